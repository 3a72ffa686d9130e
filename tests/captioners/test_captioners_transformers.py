"""`transformers:` captioner with tiny random VLMs: real processors, chat templates and batched generate."""

import pytest

from s2h_dataset.captioners import CaptionCache, TextRequest, make_captioner
from s2h_dataset.captioners.model import CAPTION_PROMPT
from s2h_dataset.content import content_id
from s2h_dataset.sources import load_sources
from s2h_dataset.testing import tiny_vlm_cache
from s2h_dataset.vlm.replies import normalize_answer


@pytest.fixture(scope="module")
def records():
    return {r.source_id: r for r in load_sources(["emoji"], seed=0).objects[:6]}


def _requests(ids):
    return [
        TextRequest("caption", (ids[0],)),
        TextRequest("describe", tuple(ids[:4])),
        TextRequest("caption", (ids[1],)),
        TextRequest("answer", (ids[2],), prompt="What is shown here?", gold="nothing at all", fallback="FB"),
        TextRequest("describe", tuple(ids[2:5])),
    ]


@pytest.mark.parametrize("family", ["qwen2_vl", "smolvlm"])
def test_resolves_every_kind_batched_like_one_by_one(family, records, tmp_path):
    spec, ids = f"transformers:{tiny_vlm_cache(family)}", list(records)
    batched = make_captioner(spec, device="cpu", batch_size=4, max_new_tokens=6, cache_dir=str(tmp_path))
    texts = batched.resolve(_requests(ids), records)
    assert len(texts) == 5 and all(isinstance(t, str) and t.strip() for t in texts)
    assert batched.name == f"transformers:{tiny_vlm_cache(family).name}"
    assert (batched.hits, batched.misses) == (0, 5) and len(batched.cache) == 5
    one_by_one = make_captioner(spec, device="cpu", batch_size=1, max_new_tokens=6, cache_dir="")
    assert one_by_one.resolve(_requests(ids), records) == texts  # left padding changes nothing


def test_cached_texts_need_no_model_and_gold_answers_are_replaced(records, tmp_path):
    spec, ids = f"transformers:{tiny_vlm_cache('qwen2_vl')}", list(records)
    first = make_captioner(spec, device="cpu", max_new_tokens=6, cache_dir=str(tmp_path))
    question = TextRequest("answer", (ids[2],), prompt="What is shown here?", gold=None, fallback="FB")
    caption = TextRequest("caption", (ids[0],))
    own_answer, _ = first.resolve([question, caption], records)
    assert normalize_answer(
        own_answer
    )  # the tiny model says something, so the gold check below is meaningful
    raw_caption = first.cache.get(first.cache.key("caption", (content_id(records[ids[0]]),), CAPTION_PROMPT))
    assert raw_caption is not None and raw_caption.strip()

    again = make_captioner(spec, device="cpu", max_new_tokens=6, cache_dir=str(tmp_path))
    same_as_gold = TextRequest(
        "answer", (ids[2],), prompt="What is shown here?", gold=f" {own_answer.upper()}!", fallback="FB"
    )
    assert again.resolve([same_as_gold, question], records) == ["FB", own_answer]
    assert (again.hits, again.misses) == (2, 0) and again._vlm is None  # the model was never loaded
    assert isinstance(first.cache, CaptionCache)
