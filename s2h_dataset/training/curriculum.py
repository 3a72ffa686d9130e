"""A staged curriculum as the paper's Table 3 runs it: "A -> B" trains on B *after* training on A.

`--curriculum "1;2,3"` runs one full training per stage (L1, then L2 and L3 mixed flat), each with its own
optimizer and learning-rate schedule (`num_train_epochs` / `max_steps` apply per stage). Stage k starts from
stage k-1's saved weights and, for DPO, uses them as its reference model:

- full fine-tuning: stage k loads `<output_dir>/stage-(k-1)-...`, and TRL's `DPOTrainer` (no `ref_model`)
  reloads the reference from the same folder, so policy and reference start equal;
- LoRA: after each stage the adapters are merged into the weights and the merged model is saved in
  `<stage folder>/merged`; the next stage loads it and trains *new* adapters, so its reference (the model with
  adapters disabled) is again the previous stage's policy. The adapters of each stage stay in its folder; the
  merged copy of the last stage is the curriculum's full result.

`--push_to_hub` pushes the last stage only. With LoRA that is its `merged` folder (full weights, a card whose
`base_model` is the curriculum's base model): the last stage's adapters sit on the previous stage's merged
weights, a folder of this machine, so an adapter repo could not be loaded anywhere else (and adapters on the
original base would lack the earlier stages). A card a push carries names local folders by their name only.

Every stage writes its checkpoints, metrics and model card into its own folder under `output_dir`;
`<output_dir>/curriculum.json` lists the stages and which ones finished, so rerunning the same command skips
finished stages and resumes the interrupted one from its last checkpoint. Only the last stage is pushed and
evaluated (`eval_tasks`).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import os
from pathlib import Path

from ..atomic import atomic_write
from ..errors import UserError

__all__ = ["run_curriculum", "stage_dirs"]

logger = logging.getLogger("s2h_dataset.training")


def stage_dirs(output_dir: str | os.PathLike, stages: tuple[tuple[int, ...], ...]) -> list[Path]:
    """`output_dir/stage-1-level1`, `output_dir/stage-2-level2+level3`, ..."""
    return [
        Path(output_dir) / f"stage-{i}-{'+'.join(f'level{n}' for n in levels)}"
        for i, levels in enumerate(stages, start=1)
    ]


def _shown(path: str, root: Path) -> str:
    """A stage's start as its card names it: relative to the curriculum's folder, or the base model as given."""
    inside = Path(path).resolve().is_relative_to(root.resolve())
    return os.path.relpath(path, root) if inside else path


def run_curriculum(method: str, script_args, training_args, model_args, train_stage) -> list:
    """Train every stage of `script_args.stages` in order with `train_stage(script_args, training_args,
    model_args, stage=...)` (one training run of `method`); return the trainers of the stages run now."""
    stages = script_args.stages
    if training_args.resume_from_checkpoint:
        raise UserError(
            "`resume_from_checkpoint` is ambiguous in a curriculum: rerun the same command, finished "
            "stages are skipped and the interrupted one resumes from its last checkpoint"
        )
    root = Path(training_args.output_dir)
    root.mkdir(parents=True, exist_ok=True)
    folders = stage_dirs(root, stages)
    record_path = root / "curriculum.json"
    record = {
        "curriculum": script_args.curriculum,
        "method": method,
        "base_model": model_args.model_name_or_path,
        "lora": bool(model_args.use_peft),
        "stages": [
            {"levels": [f"level{n}" for n in levels], "output_dir": str(folder), "finished": False}
            for levels, folder in zip(stages, folders, strict=True)
        ],
    }
    if record_path.is_file():
        before = json.loads(record_path.read_text())
        if {k: before.get(k) for k in ("curriculum", "method", "base_model", "lora")} != {
            k: record[k] for k in ("curriculum", "method", "base_model", "lora")
        }:
            raise UserError(
                f"{root} holds another curriculum ({before.get('curriculum')}, {before.get('base_model')}); "
                "use a new --output_dir"
            )
        for old, new in zip(before["stages"], record["stages"], strict=True):
            new["finished"] = old.get("finished", False) and Path(old["output_dir"]).is_dir()
            new["model"] = old.get("model")
    trainers = []
    start_from = model_args.model_name_or_path
    for index, (levels, folder, entry) in enumerate(zip(stages, folders, record["stages"], strict=True), 1):
        if entry["finished"]:
            logger.info(
                "curriculum stage %d/%d (%s) already finished in %s", index, len(stages), levels, folder
            )
            start_from = entry["model"]
            continue
        names = ",".join(f"level{n}" for n in levels)
        logger.info("curriculum stage %d/%d: %s, starting from %s", index, len(stages), names, start_from)
        last = index == len(stages)
        # evaluation tasks run on the curriculum's result, not on every intermediate stage
        stage_script = dataclasses.replace(
            script_args,
            curriculum=None,
            dataset_config=names,
            eval_tasks=script_args.eval_tasks if last else None,
        )
        stage_model = copy.copy(model_args)
        stage_model.model_name_or_path = start_from
        stage_training = copy.deepcopy(training_args)
        stage_training.output_dir = str(folder)
        push = training_args.push_to_hub and last
        # LoRA: the merged folder is pushed by `finish`, never the trainer's adapters (see the module's doc)
        stage_training.push_to_hub = push and not model_args.use_peft
        if push and not stage_training.hub_model_id:
            stage_training.hub_model_id = root.name  # the curriculum's name, not `stage-3-level3`
        stage = {
            "index": index,
            "of": len(stages),
            "spec": script_args.curriculum,
            "levels": [f"level{n}" for n in levels],
            "started_from": _shown(start_from, root),
            "base_model": model_args.model_name_or_path,
            "merge_lora": bool(model_args.use_peft),
            "push_merged": bool(push and model_args.use_peft),
        }
        trainer = train_stage(stage_script, stage_training, stage_model, stage=stage)
        trainers.append(trainer)
        start_from = str(folder / "merged" if model_args.use_peft else folder)
        entry.update(finished=True, model=start_from)
        if trainer.is_world_process_zero():
            atomic_write(record_path, (json.dumps(record, indent=2) + "\n").encode())
    return trainers
