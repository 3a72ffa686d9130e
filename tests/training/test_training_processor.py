"""`processor_kwargs` and the family defaults reach the processor in training and `s2h train-check`, and change
token counts as expected on a SmolVLM-shaped (image splitting) and a Qwen-shaped (max_pixels) processor."""

from __future__ import annotations

import re
import shutil

import pytest
from datasets import load_dataset

from s2h_dataset.cli import main as s2h
from s2h_dataset.errors import UserError
from s2h_dataset.testing import tiny_vlm_cache
from s2h_dataset.training.script import parse_args
from s2h_dataset.training.steps import load_model_and_processor
from s2h_dataset.vlm.processor_defaults import (
    PROCESSOR_DEFAULTS,
    parse_processor_kwargs,
    processor_kwargs_for,
)


def test_defaults_and_overrides():
    assert processor_kwargs_for("smolvlm") == {"do_image_splitting": False}
    small = {"size": {"longest_edge": 3136, "shortest_edge": 3136}}
    assert processor_kwargs_for("qwen2_5_vl", small) == small
    assert processor_kwargs_for("qwen3_vl", {"size": None}) == {}  # null drops the default
    assert processor_kwargs_for("llava") == {} and processor_kwargs_for("smolvlm", defaults=False) == {}
    assert PROCESSOR_DEFAULTS["qwen2_vl"]["size"]["longest_edge"] == 256 * 28 * 28
    assert parse_processor_kwargs('{"a": 1}') == {"a": 1} and parse_processor_kwargs({"a": 1}) == {"a": 1}
    for bad in ("[1]", "a=1"):
        with pytest.raises(UserError, match="processor_kwargs"):
            parse_processor_kwargs(bad)


@pytest.fixture(scope="module")
def smolvlm_splitting(tmp_path_factory):
    """The tiny SmolVLM saved with the stock processor's behaviour: upscale to 4 tiles a side, then split."""
    from transformers import AutoProcessor

    folder = tmp_path_factory.mktemp("smolvlm-shaped") / "model"
    shutil.copytree(tiny_vlm_cache("smolvlm"), folder)
    processor = AutoProcessor.from_pretrained(folder)
    tile = processor.image_processor.max_image_size["longest_edge"]
    processor.image_processor.do_image_splitting = True
    processor.image_processor.size = {"longest_edge": 4 * tile}
    processor.save_pretrained(folder)
    return folder


def _check(model, data, *flags, capsys) -> int:
    """Longest prompt of the first level-3 training row, as `s2h train-check` counts it."""
    argv = ["train-check", "--model-name-or-path", str(model), "--dataset-name", str(data)]
    argv += ["--dataset-config", "level3", "--preflight-rows", "1"]
    assert s2h([*argv, *flags]) == 0
    out = capsys.readouterr().out
    return int(re.search(r"longest prompt (\d+) tokens", out).group(1))


def test_train_check_smolvlm_splitting_default_off(smolvlm_splitting, s2h_data, capsys):
    off = _check(smolvlm_splitting, s2h_data, capsys=capsys)
    on = _check(
        smolvlm_splitting, s2h_data, "--processor-kwargs", '{"do_image_splitting": true}', capsys=capsys
    )
    stock = _check(smolvlm_splitting, s2h_data, "--processor_defaults", "false", capsys=capsys)
    assert on == stock > off
    # splitting adds 16 tiles of at least 4 image tokens each to every one of the 4 images
    assert on - off >= 4 * 16 * 4


def test_train_check_qwen_max_pixels(s2h_data, capsys):
    from transformers import AutoProcessor

    model = tiny_vlm_cache("qwen2_5_vl")
    default = _check(model, s2h_data, capsys=capsys)
    size = '{"size": {"longest_edge": 3136, "shortest_edge": 3136}}'
    small = _check(model, s2h_data, "--processor-kwargs", size, capsys=capsys)
    # the difference is the image tokens the two pixel caps give (patch grid / 2 x 2 merge), and it is large
    images = load_dataset(str(s2h_data), "level3", split="train")[0]["images"]

    def image_tokens(**kwargs) -> int:
        processor = AutoProcessor.from_pretrained(model, **kwargs)
        grid = processor.image_processor(images=images, return_tensors="np")["image_grid_thw"]
        return sum(int(t * h * w) // 4 for t, h, w in grid)

    few = image_tokens(size={"longest_edge": 3136, "shortest_edge": 3136})
    assert default - small == image_tokens(**processor_kwargs_for("qwen2_5_vl")) - few >= 4 * len(images)


def test_training_loads_the_processor_with_the_settings(smolvlm_splitting, s2h_data, tmp_path):
    def loaded(*flags):
        script_args, training_args, model_args = parse_args(
            "dpo",
            ["--model_name_or_path", str(smolvlm_splitting), "--dataset_name", str(s2h_data)]
            + ["--output_dir", str(tmp_path), "--use_cpu", "true", "--bf16", "false", *flags],
        )
        return load_model_and_processor(model_args, training_args, script_args)[1].image_processor

    assert loaded().do_image_splitting is False  # the family default
    assert loaded("--processor_kwargs", '{"do_image_splitting": true}').do_image_splitting is True
    assert loaded("--processor_defaults", "false").do_image_splitting is True  # the saved processor's own
