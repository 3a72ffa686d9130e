"""CPU seconds per training step of DPO and GRPO (and SFT) on the same tiny VLM and the same `s2h build` rows.

    python bench/bench_training.py                                   # tiny Qwen2.5-VL, DPO vs GRPO
    python bench/bench_training.py --families qwen2_5_vl,llava,smolvlm --methods dpo,sft,grpo --lora
    python bench/bench_training.py --data ./s2h-dpo --steps 10

Each (family, method) runs in its own subprocess (`--one FAMILY:METHOD`), so the RSS is its own. The path is
the scripts' own (`training/<method>.py` main, recipes' settings scaled down): mixture, processor settings,
preflight, TRL trainer. Timing covers the trainer's steps only (a callback around each optimizer step),
after `--warmup` untimed steps. Both methods see the same prompts per step: DPO `--batch` preference rows,
GRPO `--batch` prompts x `--generations` sampled completions of up to `--new-tokens` tokens (the sampling is
part of GRPO's step), scored by the three rewards.
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


def _argv(method: str, model: str, data: str, out: str, args) -> list[str]:
    argv = ["--model_name_or_path", model, "--dataset_name", data, "--output_dir", out]
    argv += ["--max_steps", str(args.warmup + args.steps), "--use_cpu", "true", "--bf16", "false"]
    argv += ["--gradient_checkpointing", "false", "--learning_rate", "1e-5", "--report_to", "none"]
    argv += [
        "--logging_steps",
        "1",
        "--disable_tqdm",
        "true",
        "--save_strategy",
        "no",
        "--preflight_rows",
        "4",
    ]
    argv += ["--dataloader_num_workers", "0", "--seed", "0"]
    if method == "grpo":
        argv += ["--per_device_train_batch_size", str(args.batch * args.generations)]
        argv += ["--num_generations", str(args.generations), "--max_completion_length", str(args.new_tokens)]
    else:
        argv += ["--per_device_train_batch_size", str(args.batch), "--max_length", "None"]
    if args.lora:
        argv += [
            "--use_peft",
            "true",
            "--lora_r",
            "8",
            "--lora_alpha",
            "16",
            "--lora_target_modules",
            LORA_REGEX,
        ]
    return argv


def run_one(family: str, method: str, data: str, args) -> dict:
    import importlib.util

    import torch
    from transformers import TrainerCallback

    from s2h_dataset.testing.tiny_vlms import build_tiny_vlm

    torch.set_num_threads(max(1, os.cpu_count() or 1))

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.times, self._start = [], None

        def on_step_begin(self, args, state, control, **kwargs):
            self._start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            self.times.append(time.perf_counter() - self._start)

    spec = importlib.util.spec_from_file_location("script", REPO / "training" / f"{method}.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with tempfile.TemporaryDirectory() as tmp:
        model = build_tiny_vlm(family, Path(tmp) / "model")
        timer = StepTimer()
        trainer = script.main(
            _argv(method, str(model), data, str(Path(tmp) / "out"), args), callbacks=[timer]
        )
        timed = timer.times[args.warmup :]
        params = sum(p.numel() for p in trainer.model.parameters())
    return {
        "family": family,
        "method": method,
        "params_m": params / 1e6,
        "s_per_step": statistics.median(timed),
        "s_min": min(timed),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _build_data(out: Path) -> str:
    from s2h_dataset.build import BuildConfig, build

    config = BuildConfig(out=str(out), n_per_level=24, distractors=3, filter=False, test_fraction=0.2, seed=0)
    return str(build(config))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default="qwen2_5_vl")
    parser.add_argument("--methods", default="dpo,grpo")
    parser.add_argument(
        "--data", help="an `s2h build` folder (default: build 24 rows per level, 4 images per row)"
    )
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch", type=int, default=2, help="rows (DPO, SFT) or prompts (GRPO) per step")
    parser.add_argument("--generations", type=int, default=2, help="GRPO completions per prompt")
    parser.add_argument("--new-tokens", type=int, default=24, help="GRPO's max_completion_length")
    parser.add_argument("--lora", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        family, method = args.one.split(":")
        print(json.dumps(run_one(family, method, args.data, args)))
        return

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "PYTHONPATH": str(REPO)}
    passed = [f"--steps={args.steps}", f"--warmup={args.warmup}", f"--batch={args.batch}"]
    passed += [f"--generations={args.generations}", f"--new-tokens={args.new_tokens}"] + (
        ["--lora"] if args.lora else []
    )
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or _build_data(Path(tmp) / "s2h-dpo")
        rows = []
        for family in args.families.split(","):
            for method in args.methods.split(","):
                cmd = [sys.executable, __file__, *passed, "--data", data, "--one", f"{family}:{method}"]
                proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if proc.returncode:
                    sys.exit(f"{family} {method} failed:\n{proc.stderr[-3000:]}")
                rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    mode = "LoRA r8" if args.lora else "full fine-tuning"
    print(
        f"\nCPU ({os.cpu_count()} cores), {mode}, {args.batch} rows/prompts per step, 4 images per row, GRPO "
        f"{args.generations} completions of <= {args.new_tokens} tokens per prompt; median (fastest) of "
        f"{args.steps} steps after {args.warmup} warm-up steps\n"
    )
    print("| family | method | parameters | s/step median (min) | ratio to DPO | peak RSS (MiB) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        dpo = next((x for x in rows if x["family"] == r["family"] and x["method"] == "dpo"), None)
        ratio = f"{r['s_per_step'] / dpo['s_per_step']:.2f}x" if dpo else "-"
        print(
            f"| {r['family']} | {r['method']} | {r['params_m']:.2f}M | {r['s_per_step']:.3f} ({r['s_min']:.3f}) "
            f"| {ratio} | {r['peak_rss_mib']:.0f} |"
        )


if __name__ == "__main__":
    main()
