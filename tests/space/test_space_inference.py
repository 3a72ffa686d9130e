import sys
import types

import pytest
from PIL import Image

from s2h_dataset.errors import UserError
from s2h_dataset.space import inference
from s2h_dataset.space.inference import VisionChat, gpu


def test_gpu_is_a_no_op_off_zero_gpu(monkeypatch):
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)

    def fn():
        return 1

    assert gpu(fn) is fn and gpu(duration=30)(fn) is fn


def test_gpu_uses_spaces_on_zero_gpu(monkeypatch):
    calls = []
    fake = types.ModuleType("spaces")

    def GPU(duration):
        calls.append(duration)
        return lambda fn: ("wrapped", fn)

    fake.GPU = GPU
    monkeypatch.setitem(sys.modules, "spaces", fake)
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")

    def fn():
        return 1

    assert gpu(duration=90)(fn) == ("wrapped", fn) and calls == [90]
    monkeypatch.setitem(sys.modules, "spaces", None)  # set but not importable: run without it
    assert gpu(fn) is fn


def test_load_refuses_a_folder_without_a_model(tmp_path):
    with pytest.raises(UserError, match="cannot load model"):
        VisionChat.load(str(tmp_path), device="cpu")


@pytest.mark.parametrize("family", ["qwen2_vl", "smolvlm"])
def test_tiny_models_answer_over_several_images(family):
    from s2h_dataset.testing.tiny_vlms import tiny_vlm_cache

    chat = VisionChat.load(str(tiny_vlm_cache(family)), device="cpu")
    images = [Image.new("RGB", (96, 80), (40 * i, 90, 160)) for i in range(5)]
    inputs = chat.build_inputs(images, "Which image is darkest?")
    assert inputs["input_ids"].shape[0] == 1
    reply = chat.generate(images, "Which image is darkest?", max_new_tokens=6)
    assert isinstance(reply, str) and reply == chat.generate(
        images, "Which image is darkest?", max_new_tokens=6
    )  # greedy
    assert inference.on_zero_gpu() is False


def _search_model(demo):
    from s2h_dataset.space.search import SearchHandler

    return next(block.fn for block in demo.fns.values() if isinstance(block.fn, SearchHandler)).model


def test_create_app_passes_processor_kwargs_to_the_model_layer():
    """The JSON `s2h eval --processor-kwargs` takes reaches the processor: smaller images, fewer tokens."""
    from s2h_dataset.space import create_app
    from s2h_dataset.testing.tiny_vlms import tiny_vlm_cache

    path = str(tiny_vlm_cache("qwen2_vl"))
    images = [Image.new("RGB", (224, 224), (60 * i, 90, 160)) for i in range(4)]
    stock = VisionChat.load(path, device="cpu").build_inputs(images, "Which one?")["input_ids"].shape[1]
    small = '{"size": {"longest_edge": 3136, "shortest_edge": 3136}}'  # 56 x 56: 4 tokens per image
    demo = create_app(path, examples=False, processor_kwargs=small)
    model = _search_model(demo)
    assert model.processor.image_processor.size == {"longest_edge": 3136, "shortest_edge": 3136}
    shrunk = model.build_inputs(images, "Which one?")["input_ids"].shape[1]
    assert shrunk < stock, (shrunk, stock)
    demo.close()


@pytest.mark.parametrize(
    "value, message",
    [
        ("{bad", r"^`processor_kwargs` must be a JSON object such as .*\(Expecting property name"),
        ("[1, 2]", r"^`processor_kwargs` must be a JSON object \(key: value\)"),
        (
            '{"no_such_setting": 1}',
            r"^`processor_kwargs`: no_such_setting is not a setting of Qwen2VLProcessor",
        ),
    ],
)
def test_create_app_refuses_bad_processor_kwargs_in_one_line(value, message):
    from s2h_dataset.space import create_app
    from s2h_dataset.testing.tiny_vlms import tiny_vlm_cache

    with pytest.raises(UserError, match=message) as caught:
        create_app(str(tiny_vlm_cache("qwen2_vl")), examples=False, processor_kwargs=value)
    assert "\n" not in str(caught.value) and "MODEL_ID" not in str(caught.value)


def test_cli_refuses_bad_processor_kwargs_in_one_line():
    import os
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "s2h_dataset.cli", "space", "--processor-kwargs", "{bad"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "s2h space: error: `--processor-kwargs` must be a JSON object such as "
        """'{"do_image_splitting": true}', got `{bad` (Expecting property name enclosed in double quotes)"""
    ]
