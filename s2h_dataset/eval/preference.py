"""`s2h_test`: preference accuracy on a built dataset's test split, per level and task, with margins.

For each test row the model scores the chosen and the rejected completion: the policy's summed
log-likelihood of the completion tokens given the prompt and images, or, with `--reference-model`, the
DPO implicit reward beta * (log pi - log pi_ref). A row counts when chosen scores above rejected. This is
the cheapest signal of what training taught, per level.

Rows are read with `datasets` streaming (`IterableDataset`), so a large config is never loaded whole;
`--eval-limit N` keeps N rows spread evenly over the level/task subtasks (seeded, like every task). Any object with `score(rows) -> list[(chosen, rejected)]` can stand
in for the model (`Scorer`), which is how the oracle check runs.

Scored per level/task subtask and per level (`levels`, and their unweighted mean `accuracy_mean_of_levels`), with
the margins chosen - rejected; `preference_scores` is also what the `evaluate` module
`eval/metrics/preference_accuracy` wraps.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from ..errors import UserError
from ..redact import error_line
from .loading import even_pick
from .report import json_line
from .scoring import breakdown, mean_of
from .spec import Prompt, Scoring, TaskSpec, register

__all__ = ["BETA", "LogLikelihoodScorer", "Scorer", "preference_rows", "preference_scores", "score_rows"]

logger = logging.getLogger(__name__)
BETA = 0.1  # TRL's DPOConfig default


class Scorer(Protocol):
    def score(self, rows: Sequence[dict[str, Any]]) -> list[tuple[float, float]]: ...


def _completion_logprobs(model, processor, row: dict[str, Any]) -> tuple[float, float]:
    """Summed log-probability of the row's chosen and rejected tokens after its prompt (chat template,
    images); the prompt is measured once for both."""
    import torch

    from ..vlm.chat import render, to_model

    images = [image.convert("RGB") for image in row["images"]] or None
    batch_images = [images] if images else None
    prompt_text = render(processor, row["prompt"])
    n_prompt = processor(text=[prompt_text], images=batch_images, return_tensors="pt")["input_ids"].shape[1]
    scores = []
    for key in ("chosen", "rejected"):
        full_text = render(processor, row["prompt"] + row[key], add_generation_prompt=False)
        full = processor(text=[full_text], images=batch_images, return_tensors="pt")
        ids = full["input_ids"]
        if n_prompt >= ids.shape[1]:
            raise UserError(f"row {row.get('id')}: the completion adds no tokens to the prompt")
        full = to_model(full, model)
        with torch.inference_mode():
            logits = model(**full).logits[0, :-1].float()
        logprobs = torch.log_softmax(logits, dim=-1)
        targets = full["input_ids"][0, 1:]
        scores.append(float(logprobs[n_prompt - 1 :].gather(1, targets[n_prompt - 1 :, None]).sum()))
    return scores[0], scores[1]


class LogLikelihoodScorer:
    """Policy log-likelihood of chosen and rejected; minus a reference's (times beta) when one is given."""

    def __init__(self, policy, reference=None, beta: float = BETA):
        self.policy, self.reference, self.beta = policy, reference, beta
        self.name = policy.name + (f" vs {reference.name}" if reference else "")

    def _pair(self, loaded, row: dict[str, Any]) -> tuple[float, float]:
        return _completion_logprobs(loaded.model, loaded.processor, row)

    def score(self, rows: Sequence[dict[str, Any]]) -> list[tuple[float, float]]:
        out = []
        for row in rows:
            chosen, rejected = self._pair(self.policy, row)
            if self.reference is not None:
                ref_chosen, ref_rejected = self._pair(self.reference, row)
                chosen, rejected = self.beta * (chosen - ref_chosen), self.beta * (rejected - ref_rejected)
            out.append((chosen, rejected))
        return out


def preference_rows(
    dataset: str, config: str = "all", limit: int | None = None, seed: int = 0
) -> Iterator[dict[str, Any]]:
    """The test split of a built dataset (folder or Hub id), streamed row by row; with `limit`, that many
    rows spread evenly over the level/task subtasks (`even_pick`), chosen from a first pass that reads
    only the `id`, `level` and `task` columns."""
    import datasets

    try:
        stream = datasets.load_dataset(dataset, config, split="test", streaming=True)
    except Exception as err:  # datasets raises many types; the user needs one line and the fix
        from ..hubnet import explain

        what = f"`--test-dataset {dataset}`: cannot stream config `{config}` split `test`"
        if Path(dataset).expanduser().is_dir():  # a local folder: not the Hub's failure
            reason = error_line(err, default=type(err).__name__)
            raise UserError(f"{what} ({reason}); pass the folder `s2h build --out` wrote") from None
        raise UserError(explain(err, what, "pass the folder `s2h build --out` wrote")) from None
    if not limit:
        return iter(stream)
    keys = [
        (r["id"], f"level{r['level']}/{r['task']}") for r in stream.select_columns(["id", "level", "task"])
    ]
    wanted = {keys[i][0] for i in even_pick([subtask for _, subtask in keys], limit, seed)}
    return (row for row in stream if row["id"] in wanted)


def score_rows(rows: Iterable[dict[str, Any]], scorer: Scorer, done: set[str], sink) -> int:
    """Score every row not in `done`, appending one record per row to `sink`; returns how many were scored."""
    count = 0
    for row in rows:
        if row["id"] in done:
            continue
        ((chosen, rejected),) = scorer.score([row])
        record = {
            "task": "s2h_test",
            "id": row["id"],
            "subtask": f"level{row['level']}/{row['task']}",
            "level": int(row["level"]),
            "gold": "chosen",
            "parsed": "chosen" if chosen > rejected else "rejected",
            "chosen": chosen,
            "rejected": rejected,
            "answer_type": "preference",
        }
        sink.write(json_line(record))
        sink.flush()
        count += 1
    return count


def _run(spec: TaskSpec, config, generator, sink, done: dict) -> dict[str, Any]:
    scorer = generator if hasattr(generator, "score") else _hf_scorer(config, generator)
    rows = preference_rows(config.test_dataset, config.test_config, config.eval_limit, config.eval_limit_seed)
    if getattr(config, "blank_images", "no") == "yes":
        from .blank import blank_images

        rows = ({**row, "images": blank_images(row["images"])} for row in rows)
    answered = {item_id for task, item_id in done if task == spec.name}
    scored = score_rows(rows, scorer, answered, sink)
    logger.info("s2h_test: scored %d pairs of %s (%s)", scored, config.test_dataset, config.test_config)
    return {"source": config.test_dataset, "config": config.test_config, "split": "test", "streaming": True}


def _hf_scorer(config, generator) -> LogLikelihoodScorer:
    reference = None
    if config.reference_model:
        from .generate import HFGenerator

        reference = HFGenerator(config.reference_model, None, config.device, config.dtype)
    return LogLikelihoodScorer(generator, reference)


def preference_scores(chosen: list[float], rejected: list[float]) -> dict[str, float]:
    """Share of pairs whose chosen completion scores above the rejected one, and the margins."""
    margins = [c - r for c, r in zip(chosen, rejected, strict=True)]
    return {
        "accuracy": sum(m > 0 for m in margins) / len(margins),
        "margin_mean": sum(margins) / len(margins),
        "margin_min": min(margins),
    }


def _group_scores(records: list[dict[str, Any]]) -> dict[str, Any]:
    scores = preference_scores([r["chosen"] for r in records], [r["rejected"] for r in records])
    scores.pop("accuracy")
    return scores


def _per_level(records: list[dict[str, Any]], subtasks, pooled: dict[str, Any]) -> dict[str, Any]:
    """Per level (the subtasks are level/task) and their unweighted mean, with the pooled margins."""
    levels = breakdown(records, lambda r: f"level{r['level']}", PREFERENCE_SCORING)
    return {
        "levels": levels,
        "accuracy_mean_of_levels": mean_of(levels, "accuracy"),
        **{k: pooled[k] for k in ("margin_mean", "margin_min")},
    }


PREFERENCE_SCORING = Scoring(group=_group_scores, task=_per_level)


def _no_prompt(question) -> str:
    raise TypeError("s2h_test scores completions; it renders no prompt")


SPEC = register(
    TaskSpec(
        name="s2h_test",
        title="S2H-DPO test split (preference accuracy)",
        build=lambda row, config, split: row,
        prompts={"s2h": Prompt(_no_prompt, 0, "preference", "policy log-likelihood / DPO implicit reward")},
        scoring=PREFERENCE_SCORING,
        headline=(
            ("preference accuracy (mean of levels)", "accuracy_mean_of_levels"),
            ("pooled", "accuracy"),
        ),
        run=_run,
        key_fields=("test_dataset", "test_config", "reference_model"),
    )
)
