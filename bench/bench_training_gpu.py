"""GPU figure: DPO / GRPO tokens/s and peak GPU memory of a 7B- or 2B-shaped model at 4 images per row.

`--family qwen2_5_vl` (default) is shaped like Qwen2.5-VL-7B-Instruct, `--family qwen3_vl` like
Qwen3-VL-2B-Instruct (the paper's GRPO model); both configurations are written out below, or read from
`--config-json` if you have the real config.json. The model is randomly initialised, so nothing is
downloaded; the processor gets the family's multi-image defaults (`s2h_dataset/vlm/processor_defaults.py`),
as training does; the tokenizer is the
toolkit's tiny offline BPE with Qwen's special tokens (text tokenizes longer than with Qwen's own vocabulary;
the ~196 image tokens per 384-px image dominate either way). Rows come from a fresh `s2h build` (3 distractors
= 4 images per row, 384 px). Each variant runs in its own subprocess so peak memory is its own:

- `recipe`: the LoRA recipe (r 128 / alpha 256 on the language model, bf16 weights, gradient checkpointing,
  `max_length=None`, batch 1), as in training/recipes/Qwen/Qwen2.5-VL-7B-Instruct/dpo/config_lora.yaml;
- `recipe_no_gc`: the same without gradient checkpointing;
- `full_bf16`: full fine-tuning with bf16 weights and gradient checkpointing (policy + reference copy);
- `trl_defaults`: `DPOConfig()` / `ModelConfig()` defaults (full fine-tuning, float32 weights, gradient
  checkpointing on, max_length 1024), reference = a copy of the policy;
- `grpo_lora`: a GRPO step as the Qwen3-VL-2B GRPO recipe takes it (LoRA r128, bf16, gradient checkpointing,
  the three rewards), 1 prompt x `--generations` completions of up to `--new-tokens` tokens; the sampling
  is part of the step (tokens/s counts prompt + completion tokens of the policy's forward).

    python bench/bench_training_gpu.py                              # Qwen2.5-VL-7B-shaped, DPO variants
    python bench/bench_training_gpu.py --family qwen3_vl --variants recipe,full_bf16,grpo_lora
    python bench/bench_training_gpu.py --tiny --family qwen3_vl     # same code on a tiny model, CPU smoke run

A variant that runs out of memory is reported as OOM with the memory in use when it failed.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LORA_REGEX = r".*(language_model|text_model).*\.(q|k|v|o|gate|up|down)_proj"
VARIANTS = {
    "recipe": dict(use_peft=True, gradient_checkpointing=True, dtype="bfloat16", max_length=None),
    "recipe_no_gc": dict(use_peft=True, gradient_checkpointing=False, dtype="bfloat16", max_length=None),
    "full_bf16": dict(use_peft=False, gradient_checkpointing=True, dtype="bfloat16", max_length=None),
    "trl_defaults": dict(use_peft=False, gradient_checkpointing=None, dtype=None, max_length="default"),
    "grpo_lora": dict(
        use_peft=True, gradient_checkpointing=True, dtype="bfloat16", max_length=None, grpo=True
    ),
}
# Qwen/Qwen2.5-VL-7B-Instruct config.json (text and vision towers), rewritten for transformers 5.
QWEN25_VL_7B = dict(
    text_config=dict(
        vocab_size=152064,
        hidden_size=3584,
        intermediate_size=18944,
        num_hidden_layers=28,
        num_attention_heads=28,
        num_key_value_heads=4,
        max_position_embeddings=128000,
        rms_norm_eps=1e-6,
        tie_word_embeddings=False,
        rope_parameters={"rope_type": "default", "rope_theta": 1e6, "mrope_section": [16, 24, 24]},
    ),
    vision_config=dict(
        depth=32,
        hidden_size=1280,
        intermediate_size=3420,
        num_heads=16,
        out_hidden_size=3584,
        patch_size=14,
        spatial_merge_size=2,
        temporal_patch_size=2,
        window_size=112,
        fullatt_block_indexes=[7, 15, 23, 31],
        tokens_per_second=2,
    ),
)


# Qwen/Qwen3-VL-2B-Instruct config.json (text and vision towers), rewritten for transformers 5.
QWEN3_VL_2B = dict(
    text_config=dict(
        vocab_size=151936,
        hidden_size=2048,
        intermediate_size=6144,
        num_hidden_layers=28,
        num_attention_heads=16,
        num_key_value_heads=8,
        head_dim=128,
        max_position_embeddings=262144,
        rms_norm_eps=1e-6,
        tie_word_embeddings=True,
        rope_parameters={
            "rope_type": "default",
            "rope_theta": 5e6,
            "mrope_section": [24, 20, 20],
            "mrope_interleaved": True,
        },
    ),
    vision_config=dict(
        depth=24,
        hidden_size=1024,
        intermediate_size=4096,
        num_heads=16,
        out_hidden_size=2048,
        patch_size=16,
        spatial_merge_size=2,
        temporal_patch_size=2,
        num_position_embeddings=2304,
        deepstack_visual_indexes=[5, 11, 17],
    ),
    tie_word_embeddings=True,
)
# family -> (config class, config kwargs, processor class, image processor kwargs, video processor kwargs)
SHAPES = {
    "qwen2_5_vl": ("Qwen2_5_VLConfig", QWEN25_VL_7B, "Qwen2_5_VLProcessor", {}, "Qwen2VLVideoProcessor"),
    "qwen3_vl": (
        "Qwen3VLConfig",
        QWEN3_VL_2B,
        "Qwen3VLProcessor",
        {"patch_size": 16, "size": {"shortest_edge": 65536, "longest_edge": 16777216}},
        "Qwen3VLVideoProcessor",
    ),
}


def _model_and_processor(family: str, tiny: bool, config_json: str | None, tmp: Path, dtype):
    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor, Qwen2VLImageProcessor

    from s2h_dataset.testing.tiny_tokenizer import build_tiny_tokenizer
    from s2h_dataset.testing.tiny_vlms import build_tiny_vlm, qwen_vision_token_ids
    from s2h_dataset.vlm.processor_defaults import processor_kwargs_for

    if tiny:
        path = build_tiny_vlm(family, tmp / "tiny")
        return AutoModelForImageTextToText.from_pretrained(path, dtype=dtype), AutoProcessor.from_pretrained(
            path
        )
    config_cls, shape, processor_cls, image_kwargs, video_cls = SHAPES[family]
    tok = build_tiny_tokenizer(family)
    ids = qwen_vision_token_ids(tok)
    config = (
        AutoConfig.from_pretrained(config_json) if config_json else getattr(transformers, config_cls)(**shape)
    )
    for name, value in ids.items():
        setattr(config, name, value)
    config.text_config.bos_token_id, config.text_config.eos_token_id = tok.bos_token_id, tok.eos_token_id
    config.text_config.pad_token_id = tok.pad_token_id
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = AutoModelForImageTextToText.from_config(config, dtype=dtype)
    image_kwargs = {
        **image_kwargs,
        **processor_kwargs_for(family),
    }  # the stock shape, then training's defaults
    processor = getattr(transformers, processor_cls)(
        image_processor=Qwen2VLImageProcessor(**image_kwargs),
        tokenizer=tok,
        video_processor=getattr(transformers, video_cls)(),
        chat_template=tok.chat_template,
    )
    return model, processor


def run_variant(name: str, data: str, cli) -> dict:
    import torch
    from transformers import TrainerCallback
    from trl import DPOConfig, DPOTrainer, GRPOConfig, GRPOTrainer, ModelConfig, get_peft_config

    from s2h_dataset.training import build_mixture
    from s2h_dataset.training.preflight import preflight
    from s2h_dataset.training.rewards import GRPOScriptArguments, reward_functions

    steps, warmup, tiny, config_json = cli.steps, cli.warmup, cli.tiny, cli.config_json

    spec = VARIANTS[name]
    grpo = spec.get("grpo", False)
    cuda = torch.cuda.is_available() and not tiny
    dtype_name = spec["dtype"] or ModelConfig().dtype  # TRL's default is float32
    dtype = getattr(torch, dtype_name) if cuda else torch.float32
    overrides = dict(
        max_steps=warmup + steps,
        per_device_train_batch_size=1,
        report_to="none",
        save_strategy="no",
        logging_steps=1,
        disable_tqdm=True,
        dataloader_num_workers=0,
        use_cpu=not cuda,
    )
    if grpo:
        overrides.update(
            per_device_train_batch_size=cli.generations,
            num_generations=cli.generations,
            max_completion_length=cli.new_tokens,
        )
    elif spec["max_length"] != "default":
        overrides["max_length"] = spec["max_length"]
    if spec["gradient_checkpointing"] is not None:
        overrides["gradient_checkpointing"] = spec["gradient_checkpointing"]
    if name != "trl_defaults":
        overrides["learning_rate"] = 5e-5
    if not cuda:
        overrides["bf16"] = False

    class Timer(TrainerCallback):
        def __init__(self):
            self.times, self.start = [], 0.0

        def on_step_begin(self, args, state, control, **kwargs):
            torch.cuda.synchronize() if cuda else None
            self.start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            torch.cuda.synchronize() if cuda else None
            self.times.append(time.perf_counter() - self.start)

    script_args = GRPOScriptArguments(dataset_name=data)
    args = (GRPOConfig if grpo else DPOConfig)(output_dir=tempfile.mkdtemp(prefix="bench-gpu-"), **overrides)
    mixture = build_mixture(script_args, args.seed, False)
    result = {
        "variant": name,
        "dtype": str(dtype).replace("torch.", ""),
        "max_length": getattr(args, "max_length", None),
        "gradient_checkpointing": args.gradient_checkpointing,
        "lora": spec["use_peft"],
    }
    timer, tokens = Timer(), []
    try:  # an OOM while building the policy, its reference copy, or training is a result, not a crash
        model, processor = _model_and_processor(cli.family, tiny, config_json, Path(args.output_dir), dtype)
        report = preflight(processor, mixture.train, max_length=result["max_length"], rows=8)
        result.update(
            params_b=sum(p.numel() for p in model.parameters()) / 1e9, tokens_per_row=report.longest
        )
        peft = (
            get_peft_config(
                ModelConfig(use_peft=True, lora_r=128, lora_alpha=256, lora_target_modules=[LORA_REGEX])
            )
            if spec["use_peft"]
            else None
        )
        if grpo:
            trainer = GRPOTrainer(
                model=model,
                reward_funcs=reward_functions(script_args),
                args=args,
                train_dataset=mixture.train.remove_columns("rejected"),
                processing_class=processor,
                peft_config=peft,
                callbacks=[timer],
            )
            forward = trainer._get_per_token_logps_and_entropies

            def counting_forward(model, input_ids, attention_mask, *a, **kw):
                tokens.append(int(attention_mask.sum()))
                return forward(model, input_ids, attention_mask, *a, **kw)

            trainer._get_per_token_logps_and_entropies = counting_forward
        else:
            ref = None if spec["use_peft"] else copy.deepcopy(model).eval().requires_grad_(False)
            trainer = DPOTrainer(
                model=model,
                ref_model=ref,
                args=args,
                train_dataset=mixture.train,
                processing_class=processor,
                peft_config=peft,
                callbacks=[timer],
            )
            collate = trainer.data_collator

            def counting(examples):
                batch = collate(examples)
                tokens.append(int(batch["attention_mask"].sum()))
                return batch

            trainer.data_collator = counting
        trainer.train()
    except torch.OutOfMemoryError:
        result.update(oom=True, peak_gib=torch.cuda.max_memory_allocated() / 2**30)
        result.setdefault("tokens_per_row", "?")
        return result
    per_step = len(tokens) // max(len(timer.times), 1) or 1  # GRPO counts each forward of a step
    timed, counted = timer.times[warmup:], tokens[warmup * per_step : (warmup + steps) * per_step]
    result.update(
        oom=False,
        s_per_step=sum(timed) / len(timed),
        tokens_per_s=sum(counted) / sum(timed),
        peak_gib=torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan"),
        reserved_gib=torch.cuda.max_memory_reserved() / 2**30 if cuda else float("nan"),
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--data", help="an `s2h build` folder (default: build 24 rows per level at 384 px)")
    parser.add_argument("--family", default="qwen2_5_vl", choices=sorted(SHAPES))
    parser.add_argument("--config-json", help="the real model's config.json, if on disk")
    parser.add_argument(
        "--tiny", action="store_true", help="tiny model of the family on CPU: checks the code path"
    )
    parser.add_argument("--generations", type=int, default=8, help="GRPO completions per prompt")
    parser.add_argument("--new-tokens", type=int, default=64, help="GRPO's max_completion_length")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_variant(args.one, args.data, args)))
        return

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory() as tmp:
        if args.data is None:
            from s2h_dataset.build import BuildConfig, build

            args.data = str(
                build(
                    BuildConfig(
                        out=str(Path(tmp) / "s2h"),
                        n_per_level=24,
                        distractors=3,
                        filter=False,
                        test_fraction=0.2,
                        seed=0,
                        image_size=384,
                    )
                )
            )
        rows = []
        for name in args.variants.split(","):
            cmd = (
                [
                    sys.executable,
                    __file__,
                    "--one",
                    name,
                    "--data",
                    args.data,
                    "--steps",
                    str(args.steps),
                    "--warmup",
                    str(args.warmup),
                ]
                + ["--family", args.family, "--generations", str(args.generations)]
                + ["--new-tokens", str(args.new_tokens)]
                + (["--tiny"] if args.tiny else [])
                + (["--config-json", args.config_json] if args.config_json else [])
            )
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if proc.returncode:
                print(f"{name} failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
                continue
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    import torch

    device = (
        torch.cuda.get_device_name() if torch.cuda.is_available() and not args.tiny else "CPU (tiny model)"
    )
    shape = {"qwen2_5_vl": "Qwen2.5-VL-7B", "qwen3_vl": "Qwen3-VL-2B"}[args.family]
    print(
        f"\n{shape}-shaped model (random init), 4 images per row, DPO batch 1 / GRPO 1 prompt x "
        f"{args.generations} completions, {device}, "
        f"mean of {args.steps} steps after {args.warmup} warm-up\n"
    )
    print(
        "| variant | weights | LoRA | grad. ckpt | max_length | tokens/row | tokens/s | s/step | peak GiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        speed = "OOM" if r["oom"] else f"{r['tokens_per_s']:.0f}"
        step = "OOM" if r["oom"] else f"{r['s_per_step']:.2f}"
        print(
            f"| {r['variant']} | {r['dtype']} | {r['lora']} | {r['gradient_checkpointing']} | {r['max_length']} | "
            f"{r['tokens_per_row']} | {speed} | {step} | {r['peak_gib']:.1f} |"
        )


if __name__ == "__main__":
    main()
