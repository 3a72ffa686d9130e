"""Task generators of the three S2H levels (paper section 2.2).

Each task is `fn(ctx, rng, slot) -> RowSpec`, where `slot` is the answer the planner balances: the target
position for localized / search tasks, yes or no for `compare`, the operator for `arithmetic`. Which tasks
exist, their level, pool and slots are data: `s2h_dataset.tasks.REGISTRY`.
"""

from __future__ import annotations

from ..tasks import NEEDS, TASKS, task_slots
from .common import LevelContext, PlanError, image_ref

__all__ = ["NEEDS", "TASKS", "LevelContext", "PlanError", "image_ref", "task_slots"]
