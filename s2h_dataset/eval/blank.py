"""`--blank-images`: how much a model's answers depend on the images (MMStar's multi-modal gain, "MG").

Every image a task shows (s2h_test's rows and the probe included) is replaced by one constant image: mid-grey,
the size of the image it replaces, so the prompt, the image tokens and the layout stay as they were and only
the pixels carry no information. `yes` runs the blanked evaluation alone; `both` runs it into `OUT/blank-images`
beside the run with images in `OUT`, and OUT's results then carry, per task, the headline without images
(`<headline>_blank_images`) and the gain `multimodal_gain` = headline with images - headline without (MMStar,
Chen et al. 2024, "Are We on the Right Way for Evaluating Large Vision-Language Models?", section 4).
Every rescore of OUT attaches `OUT/blank-images` only for tasks whose two run.json files agree on the answer
settings (the resume key), the eval limit and its seed, and which scored as many questions; otherwise one
warning says why no gain is reported (e.g. after `--resume fresh` with another `--protocol`).
"""

from __future__ import annotations

import logging
from typing import Any

from PIL import Image

__all__ = ["BLANK_CHOICES", "BLANK_DIR", "GREY", "attach_blank_run", "blank_images", "blank_table"]

BLANK_CHOICES = ("no", "yes", "both")
BLANK_DIR = "blank-images"  # the blanked run of `--blank-images both`, inside OUT
GREY = (128, 128, 128)

logger = logging.getLogger(__name__)


def blank_images(images: list[Image.Image]) -> list[Image.Image]:
    """One mid-grey RGB image per image, each the size of the one it replaces."""
    return [Image.new("RGB", image.size, GREY) for image in images]


def _headline_key(task: str, scores: dict[str, Any]) -> str:
    from .spec import get_task

    try:
        keys = [key for _, key in get_task(task).headline if key in scores]
    except Exception:  # a task no longer registered (an old folder)
        keys = []
    return keys[0] if keys else "accuracy"


def _setup(run: dict[str, Any], task: str, blanked: bool) -> dict[str, Any] | None:
    """What decides `task`'s questions and replies in a folder's run.json: its answer settings (the resume key,
    less the blanking itself in the blanked run) and the eval limit with its seed (the seed only under a limit)."""
    settings = run.get("answer_settings", {}).get(task)
    if settings is None:
        return None
    settings = {k: v for k, v in settings.items() if not (blanked and k == "blank_images")}
    limit = run.get("eval_limit")
    return {**settings, "eval_limit": limit, "eval_limit_seed": run.get("eval_limit_seed") if limit else None}


def _mismatch(task: str, scores, blank_scores, run, blank_run) -> str | None:
    """Why the blanked run's `task` cannot stand beside OUT's (None when it can)."""
    from .resume import _changes

    mine, theirs = _setup(run, task, False), _setup(blank_run, task, True)
    if mine is None or theirs is None:
        return f"{task}: no record of the settings {'OUT' if mine is None else BLANK_DIR} was run with"
    changes = _changes(theirs, mine)
    if not changes and scores.get("n") != blank_scores.get("n"):
        changes = [f"{blank_scores.get('n')} questions scored without images, {scores.get('n')} with"]
    return f"{task}: {'; '.join(changes)}" if changes else None


def attach_blank_run(
    results: dict[str, Any], blank: dict[str, Any], run: dict[str, Any], blank_run: dict[str, Any]
) -> dict[str, Any]:
    """`results` (with images) with each task's blanked headline and the multi-modal gain beside it, for each
    task whose blanked run (`blank`, its run.json `blank_run`) asked the same questions with the same settings
    as OUT's (`run`); one warning names the others and why."""
    skipped = []
    for task, scores in results.items():
        if task not in blank:
            continue
        reason = _mismatch(task, scores, blank[task], run, blank_run)
        if reason:
            skipped.append(reason)
            continue
        key = _headline_key(task, scores)
        without = blank[task].get(key)
        if not isinstance(without, (int, float)):
            continue
        scores[f"{key}_blank_images"] = without
        scores["multimodal_gain"] = scores[key] - without
        scores["blank_images"] = {"metric": key, "n": blank[task].get("n"), "folder": BLANK_DIR}
    if skipped:
        logger.warning(
            "no multi-modal gain reported: %s was run with other settings than OUT (was = without images, "
            "now = with) - %s; rerun with `--blank-images both` to compare",
            BLANK_DIR,
            " | ".join(skipped),
        )
    return results


def blank_table(results: dict[str, Any]) -> str:
    """with images / without / gain per task, in %; "" when no task was also run with blank images."""
    lines = []
    for task, scores in results.items():
        if "multimodal_gain" not in scores:
            continue
        key = scores["blank_images"]["metric"]
        lines.append(
            f"| {task} | {key} | {100 * scores[key]:.2f} | {100 * scores[f'{key}_blank_images']:.2f} "
            f"| {100 * scores['multimodal_gain']:+.2f} |"
        )
    if not lines:
        return ""
    head = "| benchmark | metric | with images (%) | blank images (%) | multi-modal gain (points) |"
    return "\n".join([head, "|---|---|---|---|---|", *lines])
