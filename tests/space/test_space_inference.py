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
