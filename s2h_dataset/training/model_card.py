"""The model card of a checkpoint trained on S2H-DPO data, and the push that carries it to the Hub.

TRL's trainers write a generic card on every save and push; the scripts write this one last, after training
(and evaluation), into `output_dir/README.md`, then `push_folder` uploads the folder so the Hub copy ends
with it. The YAML header names the base model and dataset only when they are Hub ids (the Hub rejects local
paths there); the body names them, except that a card written for a push (`CardInfo.portable`) shows a local
folder by its name only: no path of the training machine reaches the Hub.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from huggingface_hub import HfApi, ModelCard, ModelCardData
from huggingface_hub.utils import HFValidationError, validate_repo_id

__all__ = [
    "CARD_TAGS",
    "HYPERPARAMETERS",
    "CardInfo",
    "hyperparameters",
    "model_card",
    "portable_args",
    "portable_name",
    "push_folder",
    "write_model_card",
]

logger = logging.getLogger(__name__)

CARD_TAGS = ("trl", "s2h-dpo", "multi-image", "vision-language")
# Training arguments worth a reader's time, in this order; those a config lacks are left out.
HYPERPARAMETERS = (
    "beta",
    "loss_type",
    "learning_rate",
    "lr_scheduler_type",
    "warmup_ratio",
    "warmup_steps",
    "num_train_epochs",
    "max_steps",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "max_length",
    "bf16",
    "gradient_checkpointing",
    "seed",
    # GRPO: the rewards' weights and how completions are generated
    "reward_weights",
    "num_generations",
    "max_completion_length",
    "temperature",
    "top_p",
    "scale_rewards",
)
LORA_KEYS = ("lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "use_rslora", "use_dora")


def _hub_id(name: str | None) -> str | None:
    """`name` if it can be a Hub repo id (and is not an existing local path), else None."""
    if not name or os.path.exists(name):
        return None
    try:
        validate_repo_id(name)
    except HFValidationError:
        return None
    return name


def portable_name(name: str | None) -> str | None:
    """`name` as a pushed card shows it: a Hub id (or any name that is not a local path) as is, a local
    path as `<local folder NAME>` (its last component), so no path of the training machine is published."""
    if not name or _hub_id(name) or not (os.path.isabs(name) or os.path.exists(name)):
        return name
    return f"<local folder {os.path.basename(os.path.normpath(name))}>"


def portable_args(args: list[str]) -> list[str]:
    """A command line as a pushed card shows it: each value through `portable_name`, in both forms
    HfArgumentParser reads (`--output_dir /home/u/run` and `--output_dir=/home/u/run`); flags as they are."""
    out = []
    for arg in args:
        if arg.startswith("-") and "=" in arg:
            flag, value = arg.split("=", 1)
            out.append(f"{flag}={portable_name(value)}")
        else:
            out.append(arg if arg.startswith("-") else portable_name(arg))
    return out


def hyperparameters(training_args, model_args=None, world_size: int = 1) -> dict:
    """The card's hyper-parameter table: selected training arguments, the effective batch, LoRA settings."""
    out = {key: getattr(training_args, key) for key in HYPERPARAMETERS if hasattr(training_args, key)}
    if out.get("max_steps", -1) > 0:  # max_steps overrides the epochs: showing both misleads
        out.pop("num_train_epochs", None)
    else:
        out.pop("max_steps", None)
    if isinstance(out.get("loss_type"), list) and len(out["loss_type"]) == 1:
        out["loss_type"] = out["loss_type"][0]
    out["total_train_batch_size"] = (
        training_args.per_device_train_batch_size * training_args.gradient_accumulation_steps * world_size
    )
    if model_args is not None and getattr(model_args, "use_peft", False):
        out.update({key: getattr(model_args, key) for key in LORA_KEYS})
    return out


@dataclass
class CardInfo:
    """Everything the card says: the method (`DPO` or `SFT`), what was trained on, how, and eval results."""

    method: str
    base_model: str
    dataset_name: str
    mixture: dict
    hyperparameters: dict
    model_name: str = "model"
    use_peft: bool = False
    eval_results: dict | None = None
    eval_table: str | None = None  # Markdown table from the evaluation harness
    command: str | None = None
    hub_model_id: str | None = None
    extra_tags: list[str] = field(default_factory=list)
    stage: dict | None = None  # curriculum: {"index", "of", "spec", "levels", "started_from"}
    portable: bool = False  # written for a push: local paths shown by name only (`portable_name`)
    merged_curriculum: bool = False  # the merged weights of a LoRA curriculum's last stage, not its adapters


def _cell(value) -> str:
    if isinstance(value, Enum):
        value = value.value
    text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    return text.replace("|", "\\|")


def _table(rows: dict) -> str:
    lines = ["| key | value |", "|---|---|"]
    lines += [f"| `{k}` | {_cell(v)} |" for k, v in rows.items()]
    return "\n".join(lines)


def _eval_section(results: dict | None, table: str | None) -> str:
    if table:
        return (
            table
            + "\n\nScores in %, greedy decoding (`s2h eval`); full results in `eval/results.json`."
            + _items_note(results)
        )
    if not results:
        return "Not evaluated by the training run (pass `--eval_tasks`, or run `s2h eval --model-name-or-path <this repo>`)."
    flat = {
        k: (round(v, 4) if isinstance(v, float) else v) for k, v in results.items() if not isinstance(v, dict)
    }
    return _table(flat) if flat else "```json\n" + json.dumps(results, indent=2) + "\n```"


def _stage_section(stage: dict | None, method: str, merged: bool = False) -> str:
    if not stage:
        return ""
    reference = " and used it as its reference model" if method == "DPO" else ""
    if merged:
        return (
            f"- curriculum `{stage['spec']}` with LoRA: these are the full (merged) weights after stage "
            f"{stage['index']} of {stage['of']} ({', '.join(stage['levels'])}). Each stage trained new adapters "
            "on the previous stage's merged weights and merged them in, so the result is a full model: it "
            "loads without PEFT and without the training machine's intermediate folders"
        )
    return (
        f"- curriculum `{stage['spec']}`: this is stage {stage['index']} of {stage['of']} "
        f"({', '.join(stage['levels'])}), a full training with its own schedule that started from "
        f"`{stage['started_from']}`{reference}"
    )


def _model_index(results: dict | None, dataset_id: str | None) -> list | None:
    """results.json of `s2h eval` as `model-index` entries (the Hub's evaluation widget), when there are any."""
    if not results:
        return None
    from s2h_dataset.eval.model_index import eval_results

    return eval_results(results, dataset_id) or None


def _items_note(results: dict | None) -> str:
    """How many items each score rests on (an `--eval-limit` run is a few items, not the benchmark)."""
    counts = {t: s["n"] for t, s in (results or {}).items() if isinstance(s, dict) and "n" in s}
    if not counts:
        return ""
    listed = ", ".join(f"{task} {n}" for task, n in counts.items())
    return f" Items scored per task: {listed} (a run with `--eval_limit` scores a sample, not the whole benchmark)."


def model_card(info: CardInfo) -> ModelCard:
    """Render the card (YAML header + Markdown body)."""
    base_id, data_id = _hub_id(info.base_model), _hub_id(info.dataset_name)
    shown = portable_name if info.portable else (lambda name: name)
    base_name, data_name = shown(info.base_model), shown(info.dataset_name)
    tags = [*CARD_TAGS, info.method.lower(), *info.extra_tags] + (
        ["lora"] if info.use_peft or info.merged_curriculum else []
    )
    data = ModelCardData(
        base_model=base_id,
        datasets=[data_id] if data_id else None,
        library_name="peft" if info.use_peft else "transformers",
        pipeline_tag="image-text-to-text",
        tags=list(dict.fromkeys(tags)),
        model_name=info.model_name,
        eval_results=_model_index(info.eval_results, data_id),
    )
    mixture = info.mixture
    repo = json.dumps(info.hub_model_id or info.model_name)
    loader = (
        f"PeftModel.from_pretrained(AutoModelForImageTextToText.from_pretrained({json.dumps(base_name)}), {repo})"
        if info.use_peft
        else f"AutoModelForImageTextToText.from_pretrained({repo})"
    )
    body = f"""
# {info.model_name}

`{base_name}` fine-tuned with {info.method} on S2H-DPO multi-image preference data (`{data_name}`),
trained with [TRL](https://github.com/huggingface/trl) through the `s2h-dpo` toolkit's `training/{info.method.lower()}.py`.

## Data
- dataset: `{data_name}`
- levels: {", ".join(mixture.get("levels", []))}
- mixture: {mixture.get("mode")}
- rows per level (training set as built, repeats included): {json.dumps(mixture.get("rows_per_level", {}))}
{f"- weights: {json.dumps(mixture['weights'])}" if mixture.get("weights") else ""}
{_stage_section(info.stage, info.method, info.merged_curriculum)}

## Training hyper-parameters
{_table(info.hyperparameters)}

## Evaluation
{_eval_section(info.eval_results, info.eval_table)}

## Use
```python
from transformers import AutoModelForImageTextToText, AutoProcessor
{"from peft import PeftModel" + chr(10) if info.use_peft else ""}model = {loader}
processor = AutoProcessor.from_pretrained({repo})
```
{f"{chr(10)}## Reproduce{chr(10)}```bash{chr(10)}{info.command}{chr(10)}```{chr(10)}" if info.command else ""}"""
    return ModelCard(f"---\n{data.to_yaml()}\n---\n{body}")


def write_model_card(output_dir: str | os.PathLike, info: CardInfo) -> Path:
    """Write `output_dir/README.md` (replacing the trainer's generic card); return its path."""
    path = Path(output_dir) / "README.md"
    model_card(info).save(path)
    logger.info("model card written to %s", path)
    return path


def push_folder(
    output_dir: str | os.PathLike,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool | None = None,
    revision: str | None = None,
    commit_message: str = "S2H-DPO training: weights and model card",
) -> str:
    """Create `repo_id` if needed and upload `output_dir` (checkpoints excluded) with its card; return the URL."""
    api = HfApi()
    url = api.create_repo(repo_id, token=token, private=private, exist_ok=True)
    api.upload_folder(
        repo_id=url.repo_id,
        folder_path=str(output_dir),
        commit_message=commit_message,
        token=token,
        revision=revision,
        ignore_patterns=["_*", "checkpoint-*", "checkpoint-*/**"],
    )
    logger.info("pushed %s to %s", output_dir, url)
    return str(url)
