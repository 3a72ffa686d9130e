"""Model captioners without a model: answer checks, reply parsing, the caption cache, resolve bookkeeping."""

import json
import os

import pytest

from s2h_dataset.captioners import CaptionCache, TextRequest, make_captioner
from s2h_dataset.captioners.model import (
    CAPTION_PROMPT,
    DESCRIBE_PROMPT,
    ModelCaptioner,
    split_caption,
)
from s2h_dataset.errors import UserError
from s2h_dataset.sources import load_sources
from s2h_dataset.vlm.replies import normalize_answer
from s2h_dataset.vlm.replies import same_answer as is_gold


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The Cat.", "cat"),
        ("  a  RED, round ball!", "red round ball"),
        ("An apple", "apple"),
        ("there", "there"),
        ("Yes.", "yes"),
        ("two-thirds", "two thirds"),
        ("", ""),
    ],
)
def test_normalize_answer(text, expected):
    assert normalize_answer(text) == expected


def test_is_gold():
    assert is_gold("Yes.", "yes") and is_gold("the Red ball", "red ball!")
    assert not is_gold("no", "yes") and not is_gold("red ball", "blue ball")
    assert not is_gold("anything", None)
    assert not is_gold("theatre", "atre")  # articles are words, not prefixes


@pytest.mark.parametrize(
    "reply, caption, primary",
    [
        (
            "Caption: A red car parked on a street.\nPrimary object: car",
            "A red car parked on a street.",
            "car",
        ),
        ("**Caption:** A dog.\n**Primary object:** dog.", "A dog.", "dog"),
        ("A lamp on a desk.", "A lamp on a desk.", None),
        ("A lamp on a desk.\nPrimary Object - lamp", "A lamp on a desk.", "lamp"),
        ("Primary object: cat", "", "cat"),
    ],
)
def test_split_caption(reply, caption, primary):
    assert split_caption(reply) == (caption, primary)


def test_cache_round_trip_and_key(tmp_path):
    cache = CaptionCache(tmp_path, "org/model", settings="max_new_tokens=8")
    key = cache.key("caption", ("emoji:1",), CAPTION_PROMPT)
    assert key != cache.key("caption", ("emoji:2",), CAPTION_PROMPT)
    assert key != cache.key("describe", ("emoji:1",), CAPTION_PROMPT)
    assert key != CaptionCache(tmp_path, "org/model", settings="max_new_tokens=9").key(
        "caption", ("emoji:1",), CAPTION_PROMPT
    )
    assert key != CaptionCache(tmp_path, "org/other", settings="max_new_tokens=8").key(
        "caption", ("emoji:1",), CAPTION_PROMPT
    )
    cache.put(key, "A cat — «ünïcode»\nsecond line", "caption", ("emoji:1",), CAPTION_PROMPT)
    cache.close()
    again = CaptionCache(tmp_path, "org/model", settings="max_new_tokens=8")
    assert again.get(key) == "A cat — «ünïcode»\nsecond line" and len(again) == 1 and again.skipped == 0
    assert CaptionCache(tmp_path, "org/other").get(key) is None  # one file per model


def test_cache_ignores_torn_lines_and_repairs_the_tail(tmp_path, caplog):
    cache = CaptionCache(tmp_path, "m")
    cache.put("k1", "first")
    cache.put("k2", "second")
    cache.close()
    data = cache.path.read_bytes()
    cache.path.write_bytes(data + data.splitlines(keepends=True)[0][:17])  # a crash in the middle of a write
    with caplog.at_level("WARNING"):
        torn = CaptionCache(tmp_path, "m")
    assert torn.entries == {"k1": "first", "k2": "second"} and torn.skipped == 1
    assert "unreadable line" in caplog.text
    torn.put("k3", "third")  # appended on a fresh line, not glued to the torn one
    torn.close()
    lines = cache.path.read_bytes().splitlines()
    assert json.loads(lines[-1])["key"] == "k3"
    assert CaptionCache(tmp_path, "m").entries == {"k1": "first", "k2": "second", "k3": "third"}


def test_cache_survives_garbage_and_a_complete_last_line_without_newline(tmp_path):
    path = CaptionCache(tmp_path, "m").path
    path.parent.mkdir(parents=True, exist_ok=True)
    good = json.dumps({"key": "k1", "text": "one"})
    path.write_bytes(b'\x00\xff garbage\n[1, 2]\n{"key": 3, "text": 4}\n' + good.encode())  # no final newline
    cache = CaptionCache(tmp_path, "m")
    assert cache.entries == {"k1": "one"} and cache.skipped == 3
    cache.put("k2", "two")
    cache.close()
    assert CaptionCache(tmp_path, "m").entries == {"k1": "one", "k2": "two"}


class Scripted(ModelCaptioner):
    """A model that answers from a function of (kind, prompt, number of images); records what it was asked."""

    def __init__(self, cache, reply):
        super().__init__("scripted:m", "m", cache)
        self.reply, self.asked = reply, []

    def generate(self, jobs):
        for index in reversed(range(len(jobs))):  # out of order, as a concurrent backend answers
            images = jobs[index].images()
            self.asked.append((jobs[index].kind, jobs[index].prompt, len(images)))
            yield index, self.reply(jobs[index].kind, jobs[index].prompt)


@pytest.fixture(scope="module")
def records():
    return {r.source_id: r for r in load_sources(["emoji"], seed=0).objects[:5]}


def _requests(ids):
    return [
        TextRequest("caption", (ids[0],)),
        TextRequest("describe", tuple(ids[:4])),
        TextRequest("answer", (ids[1],), prompt="What colour is it?", gold="Red.", fallback="green"),
        TextRequest("answer", (ids[2],), prompt="What colour is it?", gold="blue", fallback="green"),
        TextRequest("caption", (ids[3],)),
    ]


def test_resolve_parses_checks_gold_and_never_asks_twice(tmp_path, records):
    def reply(kind, prompt):
        return {
            "caption": "Caption: A shiny thing.\nPrimary object: thing",
            "describe": "Four things.",
            "answer": "red",
        }[kind]

    ids = list(records)
    model = Scripted(CaptionCache(tmp_path, "m"), reply)
    texts = model.resolve(_requests(ids), records)
    assert texts == ["A shiny thing.", "Four things.", "green", "red", "A shiny thing."]
    assert [a[0] for a in model.asked].count("caption") == 2 and (
        "describe",
        DESCRIBE_PROMPT,
        4,
    ) in model.asked
    assert ("answer", "What colour is it?", 1) in model.asked
    assert (model.hits, model.misses, model.fallbacks) == (0, 5, 1)

    again = Scripted(CaptionCache(tmp_path, "m"), lambda kind, prompt: pytest.fail("asked a cached text"))
    assert again.resolve(_requests(ids), records) == texts
    assert again.stats() == {"captioner": again.name, "hits": 5, "repeats": 0, "misses": 0, "fallbacks": 1}


def test_empty_replies_fall_back_to_reference_texts(tmp_path, records):
    ids = list(records)
    model = Scripted(None, lambda kind, prompt: "  ")
    texts = model.resolve(_requests(ids), records)
    label = records[ids[0]].label
    assert label in texts[0] and all(records[i].label in texts[1] for i in ids[:4])
    assert texts[2:4] == ["green", "green"] and model.fallbacks == 5


def test_make_captioner_errors(tmp_path):
    for spec in (
        "gpt",
        "openai:",
        "vllm:x",
        "openai:localhost:8000#m",
        "openai:http://h/v1",
        "openai:http://h/v1#",
    ):
        with pytest.raises(UserError, match="captioner"):
            make_captioner(spec, cache_dir=str(tmp_path))
    with pytest.raises(UserError, match="captioner option `concurrency`"):  # no CLI flag outside a build
        make_captioner("openai:http://h/v1#m", concurrency=0, cache_dir=str(tmp_path))
    with pytest.raises(UserError, match="`max_new_tokens`"):
        make_captioner("openai:http://h/v1#m", max_new_tokens=2.5, cache_dir=str(tmp_path))
    with pytest.raises(UserError, match="`api_key_env`"):
        make_captioner("openai:http://h/v1#m", api_key_env="MY KEY", cache_dir=str(tmp_path))
    with pytest.raises(UserError, match="no such model folder"):
        make_captioner(f"transformers:{tmp_path}/missing", cache_dir=str(tmp_path))
    with pytest.raises(UserError, match="`dtype`"):
        make_captioner(f"transformers:{tmp_path}", dtype="fp8", cache_dir=str(tmp_path))
    captioner = make_captioner("openai:http://h:1/v1#org/m", cache_dir="")
    assert captioner.name == "openai:org/m" and captioner.cache is None
    assert not os.listdir(tmp_path)  # nothing written by failed or cache-less constructions


def test_captioner_config_is_validated_once_by_the_build_config(tmp_path):
    from s2h_dataset.captioners import BACKENDS
    from s2h_dataset.captioners.config import BACKEND_NAMES, CaptionerConfig
    from s2h_dataset.configs import BuildConfig

    assert tuple(BACKENDS) == BACKEND_NAMES  # one prefix table, the config checks specs against it
    cfg = BuildConfig(
        out=str(tmp_path / "o"),
        captioner="openai:http://h/v1#m",
        concurrency=3,
        caption_cache="",
        caption_max_new_tokens=9,
        caption_batch_size=2,
    )
    assert cfg.captioner_config == CaptionerConfig(
        "openai:http://h/v1#m", max_new_tokens=9, cache_dir=None, batch_size=2, concurrency=3
    )
    with pytest.raises(UserError, match="unknown captioner `gpt`"):
        BuildConfig(out=str(tmp_path / "o"), captioner="gpt")  # at parse time, before any work
    with pytest.raises(UserError, match="must be openai:BASE_URL#MODEL"):
        BuildConfig(out=str(tmp_path / "o"), captioner="openai:localhost:8000#m")  # no scheme: at parse time
    with pytest.raises(UserError, match=r"^`--concurrency` must be"):  # the CLI's flag, not the setting
        BuildConfig(out=str(tmp_path / "o"), captioner="openai:http://h/v1#m", concurrency=0)
    with pytest.raises(TypeError, match="not both"):
        make_captioner(cfg.captioner_config, concurrency=2)


def test_captioners_are_context_managers_that_close_client_and_cache(tmp_path, records):
    ids = list(records)
    with make_captioner("openai:http://127.0.0.1:9/v1#m", cache_dir=str(tmp_path)) as captioner:
        captioner.cache.put("k", "text", "caption", (ids[0],), "p")
        assert captioner.cache._fd is not None and not captioner.client.client.is_closed()
    assert captioner.cache._fd is None and captioner.client.client.is_closed()
    assert captioner.stats() == {
        "captioner": "openai:m",
        "hits": 0,
        "repeats": 0,
        "misses": 0,
        "fallbacks": 0,
        "retries": 0,
    }
    with make_captioner("reference") as reference:
        assert reference.stats() == {"captioner": "reference"}


def test_output_independent_fields_come_from_field_metadata():
    from s2h_dataset.configs import OUTPUT_INDEPENDENT, BuildConfig, changes_output

    assert set(OUTPUT_INDEPENDENT) == {
        "out",
        "workers",
        "overwrite",
        "keep_flagged",  # holding back a flagged task rewrites the staged shards after they are all written
        "repo_id",  # where the card says the dataset lives: the card, not the rows
        "shard",
        "device",
        "concurrency",
        "caption_batch_size",
        "caption_cache",
        "api_key_env",
        "request_timeout",
        "max_retries",
        "quiet",
        "executor",  # where the stages run (`--executor`, issue 23) never changes the bytes
        "tasks_parallel",
        "caption_tasks",
        "slurm_partition",
        "slurm_time",
        "slurm_cpus",
        "slurm_mem_gb",
        "slurm_venv",
        "ray_address",
    }  # the list that used to be kept by hand
    assert changes_output("seed") and changes_output("captioner") and not changes_output("workers")
    assert all(isinstance(changes_output(name), bool) for name in BuildConfig.__dataclass_fields__)


def test_cache_settings_cover_what_the_model_is_shown():
    from s2h_dataset.captioners import CaptionerConfig

    base = CaptionerConfig("transformers:org/m")
    assert base.cache_settings != CaptionerConfig("transformers:org/m", max_image_side=384).cache_settings
    assert (
        base.cache_settings
        != CaptionerConfig("transformers:org/m", processor_kwargs={"max_pixels": 50176}).cache_settings
    )
    assert base.cache_settings != CaptionerConfig("transformers:org/m", dtype="float32").cache_settings
    served = CaptionerConfig("openai:http://h/v1#m")
    assert served.cache_settings != CaptionerConfig("openai:http://h/v1#m", max_image_side=384).cache_settings
