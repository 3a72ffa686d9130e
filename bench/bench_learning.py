"""Does S2H-DPO data teach a VLM to look at the images? The 2x2 table, on a user's GPU.

    python bench/bench_learning.py --model Qwen/Qwen2.5-VL-3B-Instruct --data ./s2h-dpo --out runs/learning \
        --config training/recipes/Qwen/Qwen2.5-VL-3B-Instruct/dpo/config_lora.yaml --max-steps 500
    python bench/bench_learning.py --tiny --out /tmp/learning        # CPU plumbing run on a tiny random VLM

From one pretrained VLM: DPO on the dataset's rows as built ("trained with images") and on the same rows with
every image replaced by one mid-grey image of its size ("trained on blank images": `s2h eval --blank-images`'s
image, `s2h_dataset.eval.blank`), same seed, same order; then `s2h_test` (preference accuracy on the test
split) and the Level-3 probe, each with and without images (`--blank-images both`), for the base model and
both trained ones. Data that teaches looking shows as a larger multi-modal gain (with images minus without)
after training with images than after training on blank images, on the same number of steps.

A random tiny model learns nothing here (it stays at chance); `--tiny` checks the plumbing the table rests on:
images change the log-probabilities (a blind pipeline would not), the vision tower gets gradients in the
images run, and two runs with the same seed end with identical weights. The same checks are reported on a
real model (`vision_grad_norm` is null when the vision tower is frozen, e.g. LoRA on the language model only).
Writes OUT/learning.json and prints the table.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
VISION_NAMES = ("vision_tower", "vision_model", "visual.", "vision_encoder")
TINY_TRAIN = ["--use_cpu", "true", "--bf16", "false", "--learning_rate", "1e-3", "--max_length", "None"]
TINY_TRAIN += ["--per_device_train_batch_size", "2", "--gradient_checkpointing", "false"]


def blank_copy(data: str, out: Path) -> Path:
    """Every config and split of the built dataset `data` (folder or Hub id) with its images blanked, as a
    folder `datasets.load_dataset` reads like the original (README `configs:` + one parquet per split)."""
    import datasets

    from s2h_dataset.eval.blank import blank_images

    yaml = ["---", "configs:"]
    for config in datasets.get_dataset_config_names(data):
        yaml += [f"- config_name: {config}", "  data_files:"]
        for split, rows in datasets.load_dataset(data, config).items():
            blanked = rows.map(lambda row: {"images": blank_images(row["images"])}, features=rows.features)
            blanked.to_parquet(out / config / f"{split}-00000-of-00001.parquet")
            yaml += [f"  - split: {split}", f"    path: {config}/{split}-*.parquet"]
    (out / "README.md").write_text("\n".join([*yaml, "---", ""]), encoding="utf-8")
    return out


def _vision_grad_callback():
    from transformers import TrainerCallback

    class VisionGrad(TrainerCallback):
        """The summed gradient norm of the trainable vision-tower parameters at the first optimizer step."""

        norm: float | None = None

        def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
            if self.norm is not None or model is None:
                return
            grads = [
                p.grad.float().norm().item()
                for name, p in model.named_parameters()
                if p.requires_grad and p.grad is not None and any(v in name for v in VISION_NAMES)
            ]
            self.norm = sum(grads) if grads else None

    return VisionGrad()


def _dpo():
    spec = importlib.util.spec_from_file_location("s2h_training_dpo", REPO / "training" / "dpo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train(model: str, data: Path | str, out: Path, args) -> tuple[Path, float | None]:
    """One DPO run of training/dpo.py; returns the folder of the weights to evaluate and the vision grad norm."""
    argv = ["--model_name_or_path", model, "--dataset_name", str(data), "--output_dir", str(out)]
    argv += ["--max_steps", str(args.max_steps), "--seed", str(args.seed), "--report_to", "none"]
    argv += ["--save_strategy", "no", "--logging_steps", "1", "--disable_tqdm", "true"]
    argv += ["--dataloader_num_workers", "0", "--dataset_config", args.levels]
    if args.config:
        argv = ["--config", args.config, *argv]
    if args.tiny:
        argv += TINY_TRAIN
    argv += args.train_args
    grad = _vision_grad_callback()
    _dpo().main(argv, callbacks=[grad])
    result = out / "merged" if (out / "merged").is_dir() else out
    if (out / "adapter_config.json").is_file() and result == out:  # LoRA: evaluate the merged model
        from peft import AutoPeftModelForImageTextToText
        from transformers import AutoProcessor

        merged = AutoPeftModelForImageTextToText.from_pretrained(out).merge_and_unload()
        merged.save_pretrained(out / "merged")
        AutoProcessor.from_pretrained(out).save_pretrained(out / "merged")
        result = out / "merged"
    return result, grad.norm


def _weights(folder: Path) -> dict:
    from safetensors.torch import load_file

    found = {}
    for path in sorted(folder.glob("*.safetensors")):
        found.update(load_file(path))
    return found


def identical(a: Path, b: Path) -> bool:
    """Both folders hold the same tensors, bit for bit."""
    import torch

    wa, wb = _weights(a), _weights(b)
    return bool(wa) and wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def logprob_change(model: str, data: str, device: str) -> float:
    """|log p(chosen) with images - with blank images| on the first test row, under `model`."""
    import datasets

    from s2h_dataset.eval.blank import blank_images
    from s2h_dataset.eval.preference import _completion_logprobs
    from s2h_dataset.vlm.loading import ModelSpec, load_vlm

    row = next(iter(datasets.load_dataset(data, "all", split="test", streaming=True)))
    vlm = load_vlm(ModelSpec(model, device=device))
    with_images = _completion_logprobs(vlm.model, vlm.processor, row)[0]
    blank = _completion_logprobs(vlm.model, vlm.processor, {**row, "images": blank_images(row["images"])})[0]
    return abs(with_images - blank)


def score(model: Path | str, data: str, out: Path, args) -> dict:
    """s2h_test and the probe with and without images: {task: (with, without, gain)}."""
    from s2h_dataset.eval import EvalConfig, run_eval

    results = run_eval(
        EvalConfig(
            model_name_or_path=str(model),
            out=str(out),
            eval_tasks="s2h_test,l3probe",
            test_dataset=data,
            blank_images="both",
            eval_limit=args.eval_limit,
            probe_questions=args.probe_questions,
            device=args.device,
        )
    )
    table = {}
    for task, scores in results.items():
        key = scores["blank_images"]["metric"]
        table[task] = {
            "metric": key,
            "with_images": scores[key],
            "blank_images": scores[f"{key}_blank_images"],
            "multimodal_gain": scores["multimodal_gain"],
        }
    return table


def tiny_setup(out: Path) -> tuple[str, str]:
    """A tiny random llava and a small build (4 images per row) under `out`."""
    from s2h_dataset.build import BuildConfig, build
    from s2h_dataset.testing.tiny_vlms import build_tiny_vlm

    model = build_tiny_vlm("llava", out / "tiny-llava")
    data = build(
        BuildConfig(
            out=str(out / "s2h-dpo"),
            n_per_level=24,
            distractors=3,
            filter=False,
            test_fraction=0.2,
            seed=0,
            image_size=96,
            workers=1,
        )
    )
    return str(model), str(data)


def markdown(report: dict) -> str:
    lines = ["| model | task | with images (%) | blank images (%) | multi-modal gain (points) |"]
    lines.append("|---|---|---|---|---|")
    for name, table in report["table"].items():
        for task, s in table.items():
            lines.append(
                f"| {name} | {task} ({s['metric']}) | {100 * s['with_images']:.2f} "
                f"| {100 * s['blank_images']:.2f} | {100 * s['multimodal_gain']:+.2f} |"
            )
    checks = report["checks"]
    lines += [
        "",
        f"- images change the log-probs of the base model: {checks['logprob_change']:.4g} nats",
        f"- vision-tower gradient norm at step 1 (trained with images): {checks['vision_grad_norm']}",
        f"- two runs with the same seed identical: {checks['repeat_identical']}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="pretrained VLM (Hub id or folder)")
    parser.add_argument("--data", help="an `s2h build` output (folder or Hub id)")
    parser.add_argument("--out", required=True, help="folder for the runs, evaluations and learning.json")
    parser.add_argument("--config", help="a training recipe YAML (training/recipes/...)")
    parser.add_argument("--levels", default="level1,level2,level3", help="levels trained on (dataset_config)")
    parser.add_argument("--max-steps", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-limit", type=int, default=None, help="questions per task (default: all)")
    parser.add_argument("--probe-questions", type=int, default=500)
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--repeat", action="store_true", help="train the images run twice (determinism check)"
    )
    parser.add_argument(
        "--tiny", action="store_true", help="CPU plumbing run: tiny random llava, small build"
    )
    parser.add_argument("train_args", nargs="*", help="more training/dpo.py flags, after `--`")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.tiny:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        args.model, args.data = tiny_setup(out)
        args.max_steps, args.eval_limit, args.probe_questions = 2, 6, 6
        args.device, args.repeat = "cpu", True
    if not args.model or not args.data:
        parser.error("--model and --data are required (or --tiny)")
    blank = blank_copy(args.data, out / "s2h-dpo-blank-images")
    checks = {"logprob_change": logprob_change(args.model, args.data, args.device)}
    with_images, checks["vision_grad_norm"] = train(args.model, args.data, out / "train-images", args)
    without, _ = train(args.model, blank, out / "train-blank-images", args)
    checks["repeat_identical"] = None
    if args.repeat:
        again, _ = train(args.model, args.data, out / "train-images-repeat", args)
        checks["repeat_identical"] = identical(with_images, again)
    table = {
        "base": score(args.model, args.data, out / "eval-base", args),
        "trained with images": score(with_images, args.data, out / "eval-train-images", args),
        "trained on blank images": score(without, args.data, out / "eval-train-blank-images", args),
    }
    report = {"model": args.model, "data": args.data, "max_steps": args.max_steps, "checks": checks}
    report["table"] = table
    (out / "learning.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(markdown(report))
    return report


if __name__ == "__main__":
    main()
