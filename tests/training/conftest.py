"""Fixtures of the training tests: one small `s2h build` (4 images per row) and the scripts as modules."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[2]
# Without the `train` extra (torch, trl, peft) there is nothing to test here.
TRAIN_EXTRA = ("torch", "trl", "peft", "accelerate")
collect_ignore_glob = [] if all(importlib.util.find_spec(m) for m in TRAIN_EXTRA) else ["test_training_*.py"]

# Small, fast CPU settings; every test adds model, dataset and output_dir.
CPU_ARGS = [
    "--max_steps",
    "2",
    "--per_device_train_batch_size",
    "2",
    "--max_length",
    "None",
    "--use_cpu",
    "true",
    "--bf16",
    "false",
    "--gradient_checkpointing",
    "false",
    "--learning_rate",
    "1e-3",
    "--report_to",
    "none",
    "--logging_steps",
    "1",
    "--disable_tqdm",
    "true",
    "--save_strategy",
    "no",
    "--preflight_rows",
    "4",
    "--dataloader_num_workers",
    "0",
]
LORA_REGEX = r".*(language_model|text_model).*\.(q|k|v|o|gate|up|down)_proj"


@pytest.fixture(scope="session")
def s2h_data(tmp_path_factory) -> Path:
    """`s2h build` output: 24 rows per level, 3 distractors (4 images per row), no filter, 20 % test."""
    from s2h_dataset.build import BuildConfig, build

    out = tmp_path_factory.mktemp("s2h-train") / "s2h-dpo"
    return Path(
        build(
            BuildConfig(
                out=str(out),
                n_per_level=24,
                distractors=3,
                filter=False,
                test_fraction=0.2,
                seed=0,
                image_size=96,
                workers=1,
            )
        )
    )


def load_script(name: str):
    """`training/<name>.py` as a module, so tests can call its `main(argv)` in-process."""
    spec = importlib.util.spec_from_file_location(f"s2h_training_{name}", REPO / "training" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def dpo_script():
    return load_script("dpo")


@pytest.fixture(scope="session")
def sft_script():
    return load_script("sft")


@pytest.fixture(scope="session")
def grpo_script():
    return load_script("grpo")


@pytest.fixture
def cpu_args() -> list[str]:
    return list(CPU_ARGS)


@pytest.fixture
def train_argv(s2h_data, cpu_args):
    """`train_argv(model, out, *more)`: a training script's argv on the session build with the CPU settings,
    `more` last (so it overrides them)."""

    def argv(model, out, *more: str) -> list[str]:
        data = ["--dataset_name", str(s2h_data), "--output_dir", str(out)]
        return ["--model_name_or_path", str(model), *data, *cpu_args, *more]

    return argv


@pytest.fixture
def lora_args() -> list[str]:
    return ["--use_peft", "true", "--lora_r", "8", "--lora_alpha", "16", "--lora_target_modules", LORA_REGEX]


class HubCalls(list):
    """The recorded calls; `repos / repo_id` holds the files each upload sent, as the Hub would store them."""

    repos: Path


@pytest.fixture
def hub_calls(monkeypatch, tmp_path_factory) -> HubCalls:
    """The Hub's HTTP side replaced (the one thing that cannot run here): `HfApi.create_repo` and
    `upload_folder` record `("create_repo", repo_id, kwargs)` and `("upload_folder", repo_id, README text,
    folder, kwargs)` and succeed; the uploaded files (after `ignore_patterns`) are copied to `calls.repos`."""
    import shutil
    from concurrent.futures import Future

    import huggingface_hub
    from huggingface_hub import RepoUrl
    from huggingface_hub.utils import filter_repo_objects

    calls = HubCalls()
    calls.repos = tmp_path_factory.mktemp("stand-in-hub")

    def create_repo(self, repo_id, **kwargs):
        calls.append(("create_repo", repo_id, kwargs))
        full = repo_id if "/" in repo_id else f"me/{repo_id}"  # the Hub puts a bare name in the user's space
        return RepoUrl(f"https://huggingface.co/{full}")

    def upload_folder(self, *, repo_id, folder_path, run_as_future=False, **kwargs):
        readme = Path(folder_path) / "README.md"
        text = readme.read_text() if readme.exists() else ""
        calls.append(("upload_folder", repo_id, text, Path(folder_path), kwargs))
        files = [str(p.relative_to(folder_path)) for p in Path(folder_path).rglob("*") if p.is_file()]
        for name in filter_repo_objects(files, ignore_patterns=kwargs.get("ignore_patterns")):
            target = calls.repos / repo_id / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(folder_path) / name, target)
        if run_as_future:
            done = Future()
            done.set_result(None)
            return done
        return None

    monkeypatch.setattr(huggingface_hub.HfApi, "create_repo", create_repo)
    monkeypatch.setattr(huggingface_hub.HfApi, "upload_folder", upload_folder)
    return calls
