"""CPU seconds per DPO step and peak RSS for every tiny VLM family, on a real `s2h build` with 4 images per row.

    python bench/bench_training.py                       # all families, full fine-tuning, Markdown table
    python bench/bench_training.py --lora --steps 10     # LoRA r8 on the language model instead
    python bench/bench_training.py --families llava,gemma3 --data ./s2h-dpo

Each family runs in its own subprocess (`--one FAMILY`), so the RSS is that family's alone. Timing covers the
trainer's steps only (a callback around each optimizer step), after `--warmup` untimed steps. The path is the
one `training/dpo.py` takes: `build_mixture`, `load_model_and_processor`, preflight, `DPOTrainer`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LORA_REGEX = r".*(language_model|text_model).*\.(q|k|v|o|gate|up|down)_proj"


def run_one(family: str, data: str, steps: int, warmup: int, batch: int, lora: bool) -> dict:
    import torch
    from transformers import TrainerCallback
    from trl import DPOConfig, DPOTrainer, ModelConfig, get_peft_config

    from s2h_dataset.testing.tiny_vlms import build_tiny_vlm
    from s2h_dataset.training import S2HScriptArguments, build_mixture
    from s2h_dataset.training.steps import load_model_and_processor, run_preflight

    torch.set_num_threads(max(1, os.cpu_count() or 1))

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.times, self._start = [], None

        def on_step_begin(self, args, state, control, **kwargs):
            self._start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            self.times.append(time.perf_counter() - self._start)

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_tiny_vlm(family, Path(tmp) / "model")
        script_args = S2HScriptArguments(dataset_name=data, preflight_rows=4)
        args = DPOConfig(
            output_dir=str(Path(tmp) / "out"),
            max_steps=warmup + steps,
            per_device_train_batch_size=batch,
            max_length=None,
            use_cpu=True,
            bf16=False,
            gradient_checkpointing=False,
            learning_rate=1e-4,
            report_to="none",
            save_strategy="no",
            logging_steps=1,
            disable_tqdm=True,
            dataloader_num_workers=0,
        )
        model_args = ModelConfig(
            model_name_or_path=str(model_dir),
            use_peft=lora,
            lora_r=8,
            lora_alpha=16,
            lora_target_modules=[LORA_REGEX],
        )
        mixture = build_mixture(script_args, args.seed, with_eval=False)
        model, processor = load_model_and_processor(model_args, args, script_args)
        report = run_preflight(processor, model, mixture.train, script_args, None, ("chosen", "rejected"))
        timer = StepTimer()
        trainer = DPOTrainer(
            model=model,
            args=args,
            train_dataset=mixture.train,
            processing_class=processor,
            peft_config=get_peft_config(model_args),
            callbacks=[timer],
        )
        trainer.train()
        timed = timer.times[warmup:]
        params = sum(p.numel() for p in model.parameters())
    return {
        "family": family,
        "params_m": params / 1e6,
        "s_per_step": statistics.median(timed),
        "s_min": min(timed),
        "tokens_per_row": report.longest,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _build_data(out: Path) -> str:
    from s2h_dataset.build import BuildConfig, build

    return str(
        build(
            BuildConfig(out=str(out), n_per_level=24, distractors=3, filter=False, test_fraction=0.2, seed=0)
        )
    )


def main() -> None:
    from s2h_dataset.testing.tiny_vlms import FAMILIES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument(
        "--data", help="an `s2h build` folder (default: build 24 rows per level, 4 images per row)"
    )
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--lora", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.data, args.steps, args.warmup, args.batch, args.lora)))
        return

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or _build_data(Path(tmp) / "s2h-dpo")
        rows = []
        for family in args.families.split(","):
            cmd = [
                sys.executable,
                __file__,
                "--one",
                family,
                "--data",
                data,
                "--steps",
                str(args.steps),
                "--warmup",
                str(args.warmup),
                "--batch",
                str(args.batch),
            ] + (["--lora"] if args.lora else [])
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if proc.returncode:
                sys.exit(f"{family} failed:\n{proc.stderr[-3000:]}")
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    mode = "LoRA r8" if args.lora else "full fine-tuning"
    print(
        f"\nDPO on CPU ({os.cpu_count()} cores), {mode}, batch {args.batch}, 4 images per row, "
        f"median (and fastest) of {args.steps} steps after {args.warmup} warm-up steps\n"
    )
    print(
        "| family | parameters | tokens per row (prompt + longest reply) | s/step median (min) | peak RSS (MiB) |"
    )
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['family']} | {r['params_m']:.2f}M | {r['tokens_per_row']} | {r['s_per_step']:.3f} ({r['s_min']:.3f}) | {r['peak_rss_mib']:.0f} |"
        )


if __name__ == "__main__":
    main()
