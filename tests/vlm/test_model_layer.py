"""The shared model layer on every tiny family: load, render a multi-image chat, batched greedy generation,
processor settings, PEFT adapters; and the rule that no other module loads VLMs or renders chats itself."""

from __future__ import annotations

import ast
import json
import pathlib
from typing import ClassVar

import pytest
from fake_http import JSONHandler, running
from PIL import Image

from s2h_dataset.errors import UserError
from s2h_dataset.testing import FAMILIES, tiny_vlm_cache
from s2h_dataset.vlm.chat import encode, generate, images_then_text, openai_content, render, user_turn
from s2h_dataset.vlm.loading import ModelSpec, load_processor, load_vlm
from s2h_dataset.vlm.openai_client import MAX_RETRY_AFTER, OpenAIChatClient, _delay, parse_openai_spec

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "s2h_dataset"


def _images(n: int, seed: int = 0) -> list[Image.Image]:
    sizes = [(64, 64), (96, 56), (56, 120), (80, 80)]
    return [
        Image.new("RGB", sizes[(i + seed) % 4], (60 * i, 100 + 20 * seed, 200 - 40 * i)) for i in range(n)
    ]


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_batches_multi_image_chats_like_one_by_one(family):
    vlm = load_vlm(ModelSpec(str(tiny_vlm_cache(family)), device="cpu"))
    chats = [
        user_turn(images_then_text(2, "Which image is red?")),
        user_turn(images_then_text(3, "Odd one out?")),
    ]
    images = [_images(2), _images(3, seed=1)]
    prompt = render(vlm.processor, chats[1])
    assert "Odd one out?" in prompt and prompt.count("Odd one out?") == 1
    batched = generate(vlm, chats, images, max_new_tokens=5)
    alone = [generate(vlm, [c], [i], max_new_tokens=5) for c, i in zip(chats, images)]
    assert batched.texts == [a.texts[0] for a in alone]  # left padding changes nothing under greedy decoding
    assert batched.prompt_tokens[1] > batched.prompt_tokens[0] > 0
    assert batched.prompt_tokens == [a.prompt_tokens[0] for a in alone]


def test_processor_kwargs_reach_the_processor_and_typos_are_refused():
    model = str(tiny_vlm_cache("qwen2_vl"))
    chat, images = [user_turn(images_then_text(1, "hi"))], [[Image.new("RGB", (224, 224))]]
    default = encode(load_processor(model), chat, images)["input_ids"].shape[1]
    small = load_processor(model, processor_kwargs={"min_pixels": 56 * 56, "max_pixels": 56 * 56})
    assert encode(small, chat, images)["input_ids"].shape[1] < default  # fewer image tokens
    smol = load_processor(str(tiny_vlm_cache("smolvlm")), processor_kwargs={"do_image_splitting": False})
    assert smol.image_processor.do_image_splitting is False
    with pytest.raises(UserError, match="max_pixel is not a setting"):
        load_processor(model, processor_kwargs={"max_pixel": 3136})


def test_bad_specs_are_one_line_errors(tmp_path):
    with pytest.raises(UserError, match="cannot load model"):
        load_vlm(ModelSpec(str(tmp_path), device="cpu"))
    with pytest.raises(UserError, match="`dtype`"):
        ModelSpec("m", dtype="int3")


def test_a_peft_adapter_folder_loads_on_its_base_merged(tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForImageTextToText

    base_path = str(tiny_vlm_cache("qwen2_vl"))
    base = AutoModelForImageTextToText.from_pretrained(base_path)
    peft_model = get_peft_model(base, LoraConfig(r=2, target_modules=["q_proj"], init_lora_weights=False))
    peft_model.save_pretrained(tmp_path / "adapter")
    assert json.loads((tmp_path / "adapter/adapter_config.json").read_text())["base_model_name_or_path"]
    chats, images = [user_turn(images_then_text(2, "Which?"))], [_images(2)]
    merged = load_vlm(ModelSpec(str(tmp_path / "adapter"), device="cpu"))
    plain = load_vlm(ModelSpec(base_path, device="cpu"))
    assert not hasattr(merged.model, "peft_config")  # merged into the base for inference
    batch = encode(plain.processor, chats, images)
    with torch.inference_mode():
        expected = peft_model.eval()(**batch).logits
        got = merged.model(**batch).logits
        untouched = plain.model(**batch).logits
    assert torch.allclose(got, expected, atol=1e-4) and not torch.allclose(got, untouched, atol=1e-4)


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            yield node.func.attr, receiver.id if isinstance(receiver, ast.Name) else ""


def test_only_the_model_layer_loads_vlms_and_renders_chats():
    """No module outside `vlm/` (test fixture builders aside) calls `from_pretrained` on a VLM, processor or
    adapter class, or `apply_chat_template`: a family quirk is fixed in one place."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(("vlm/", "testing/")):
            continue
        for attr, receiver in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            vlm_class = any(k in receiver for k in ("Processor", "ImageTextToText", "Vision2Seq", "Peft"))
            if attr == "apply_chat_template" or (attr == "from_pretrained" and vlm_class):
                offenders.append(f"{relative}: {receiver}.{attr}" if receiver else f"{relative}: .{attr}")
    assert offenders == []


def test_openai_content_inlines_images_in_order():
    content = openai_content(
        [{"type": "text", "text": "a"}, {"type": "image"}, {"type": "image"}], _images(2)
    )
    assert [p["type"] for p in content] == ["text", "image_url", "image_url"]
    assert all(p["image_url"]["url"].startswith("data:image/jpeg;base64,") for p in content[1:])
    assert content[1] != content[2]


class _Flaky(JSONHandler):
    fail_first = 1
    seen: ClassVar[list] = []

    def do_POST(self):
        body = json.loads(self.body())
        _Flaky.seen.append((self.headers.get("Authorization"), body))
        if len(_Flaky.seen) <= _Flaky.fail_first:
            self.send_response(503)
            self.end_headers()
            return
        text = body["messages"][0]["content"][-1]["text"]
        self.send_json(200, {"choices": [{"message": {"content": f"re: {text}"}}]})


def test_openai_client_retries_skips_unbuilt_requests_and_hides_the_key(monkeypatch):
    monkeypatch.setenv("S2H_VLM_KEY", "sk-vlm-secret-123")
    with running(_Flaky) as server:
        base, model = parse_openai_spec(f"http://127.0.0.1:{server.server_address[1]}/v1#tiny")
        with OpenAIChatClient(base, model, concurrency=2, api_key_env="S2H_VLM_KEY") as client:
            requests = [
                lambda: user_turn([{"type": "text", "text": "one"}]),
                lambda: None,  # e.g. an unreadable image: not sent
                lambda: user_turn([{"type": "text", "text": "three"}]),
            ]
            replies = dict(client.complete_all(requests, max_tokens=4))
            assert replies == {0: "re: one", 1: None, 2: "re: three"}
            assert client.retries == 1 and "sk-vlm-secret" not in repr(client)
        assert {auth for auth, _ in _Flaky.seen} == {"Bearer sk-vlm-secret-123"}
        assert all(body["temperature"] == 0 and body["model"] == "tiny" for _, body in _Flaky.seen)
    with pytest.raises(UserError, match="openai:BASE_URL#MODEL"):
        parse_openai_spec("localhost:8000")


def test_retry_waits_follow_the_server_up_to_two_minutes_else_back_off():
    """Our rule, whatever the installed `openai` caps its own Retry-After at (60 s before, 120 s now)."""
    import email.utils
    import time

    import httpx

    assert MAX_RETRY_AFTER == 120
    assert _delay(0, httpx.Headers({"Retry-After": "7"})) == 7
    assert _delay(0, httpx.Headers({"retry-after-ms": "250", "Retry-After": "7"})) == 0.25
    assert _delay(0, httpx.Headers({"Retry-After": "300"})) == MAX_RETRY_AFTER
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert 55 < _delay(0, httpx.Headers({"Retry-After": in_a_minute})) <= 60
    waits = [_delay(attempt, httpx.Headers({"Retry-After": "soon"})) for attempt in range(6)]
    assert all(
        low <= w <= high for low, w, high in zip([0.375, 0.75, 1.5, 3, 6, 6], waits, [0.5, 1, 2, 4, 8, 8])
    )
