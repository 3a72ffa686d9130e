"""datatrove's local executor, where one failed rank does not stop the others (imported only with it)."""

from __future__ import annotations

from datatrove.executor import LocalPipelineExecutor
from datatrove.utils.stats import PipelineStats

__all__ = ["KeepGoingLocalExecutor"]


class KeepGoingLocalExecutor(LocalPipelineExecutor):
    """`LocalPipelineExecutor` whose pool runs every rank even when one fails: datatrove's own lets the first
    exception end the pool (`imap_unordered` raises, the pool is terminated), killing ranks in flight. The
    failed rank has logged its traceback to its task log and has no completion marker, so the driver finds it
    with `get_incomplete_ranks()` and a rerun runs it alone."""

    def _launch_run_for_rank(self, rank: int, ranks_q, completed=None, completed_lock=None) -> PipelineStats:
        try:
            return super()._launch_run_for_rank(rank, ranks_q, completed, completed_lock)
        except Exception:  # logged by `_run_for_rank` (datatrove's `logger.exception`) into the rank's log
            return PipelineStats()
