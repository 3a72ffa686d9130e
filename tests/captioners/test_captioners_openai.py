"""`openai:` captioner against real HTTP servers.

- `transformers serve` with a tiny random VLM (a real OpenAI-compatible server with image inputs): a level-3
  build goes through it at concurrency 4, survives a crash and restart of the server in the middle, and a
  second build asks nothing (every text comes from the cache).
- A scripted stdlib HTTP server for what a healthy server never does: 5xx / 429 answers, refused keys
  (echoing the key back), so retries and the API key's secrecy can be checked.
"""

import json
import logging
import re
import threading
import time

import datasets
import pytest
from captioner_server import free_port, serve_tiny_vlm
from fake_http import JSONHandler, running

from s2h_dataset.build import BuildConfig, build
from s2h_dataset.captioners import CaptionCache, TextRequest, make_captioner
from s2h_dataset.errors import UserError
from s2h_dataset.sources import load_sources
from s2h_dataset.vlm.chat import user_turn
from s2h_dataset.vlm.openai_client import OpenAIChatClient, ServerError

MAX_NEW_TOKENS = 6
CONCURRENCY = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from serve_tiny_vlm(tmp_path_factory)


def _config(out, spec, cache_dir):
    """A test-sized build whose captioner settings go through the real BuildConfig fields."""
    return BuildConfig(
        out=str(out),
        levels="3",
        n_per_level=16,
        filter=False,
        captioner=spec,
        caption_cache=str(cache_dir),
        concurrency=CONCURRENCY,
        caption_max_new_tokens=MAX_NEW_TOKENS,
    )


def _texts(out):
    ds = datasets.load_dataset(str(out), "level3", split="train")
    return [
        (row["chosen"][0]["content"][0]["text"], row["rejected"][0]["content"][0]["text"]) for row in ds
    ], ds


@pytest.mark.slow
def test_level3_build_survives_a_server_restart_and_never_asks_twice(server, tmp_path, caplog):
    spec, cache_dir = f"openai:{server.url}#{server.model}", tmp_path / "captions"
    before = server.requests
    restarted = threading.Event()

    def crash_and_restart():
        deadline = time.monotonic() + 120
        while server.requests < before + 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.kill()  # in-flight requests die with it
        server.start()
        restarted.set()

    thread = threading.Thread(target=crash_and_restart, daemon=True)
    thread.start()
    with caplog.at_level(logging.WARNING, logger="s2h_dataset.captioners"):
        first = build(_config(tmp_path / "first", spec, cache_dir))
    thread.join(timeout=300)
    assert (
        restarted.is_set() and server.starts >= 2 and server.requests_since_start > 0
    )  # finished after the crash
    assert "retry" in caplog.text  # the build waited for the server instead of failing
    captions = json.loads((tmp_path / "first" / "build_report.json").read_text())["captions"]
    assert captions["retries"] > 0 and captions["misses"] > 0 and "fallbacks" in captions

    cache = CaptionCache(cache_dir, server.model, f"max_new_tokens={MAX_NEW_TOKENS}")
    lines = cache.path.read_text().splitlines()
    asked = server.requests - before
    assert len(lines) == len(cache) >= 8  # one record per distinct text, none written twice
    assert len(cache) <= asked <= len(cache) + CONCURRENCY  # only replies lost in the crash were asked again

    texts, ds = _texts(first)
    raw = set(cache.entries.values())
    model_made = [t for pair in texts for t in pair if t in raw or any(t and t in r for r in raw)]
    # a random tiny model's captions state no fact that can be edited and checked: such a row stands on a
    # caption of the pixels instead (and says so), never on an unchecked model text
    searches = [
        (c, json.loads(m)) for (c, _), t, m in zip(texts, ds["task"], ds["meta"]) if t == "caption_search"
    ]
    assert searches and all(c in model_made or m.get("chosen_from") == "pixels" for c, m in searches)
    assert {json.loads(m)["captioner"] for m in ds["meta"]} == {f"openai:{server.model}"}

    second = build(_config(tmp_path / "second", spec, cache_dir))
    assert server.requests - before == asked  # everything came from the cache
    assert _texts(second)[0] == texts


def test_answers_through_the_server_and_the_gold_check(server, tmp_path):
    record = load_sources(["emoji"], seed=0).objects[0]
    spec = f"openai:{server.url}#{server.model}"
    options = {"cache_dir": str(tmp_path), "concurrency": 2, "max_new_tokens": MAX_NEW_TOKENS}
    question = TextRequest("answer", (record.source_id,), prompt="What is this?", fallback="FB")
    captioner = make_captioner(spec, **options)
    own = captioner.resolve([question], {record.source_id: record})[0]
    assert own != "FB" and captioner.misses == 1
    before = server.requests
    gold = TextRequest(
        "answer", (record.source_id,), prompt="What is this?", gold=own.upper() + ".", fallback="FB"
    )
    again = make_captioner(spec, **options)
    assert again.resolve([gold], {record.source_id: record}) == ["FB"]
    assert server.requests == before and again.hits == 1


class Scripted(JSONHandler):
    """Chat completions answered from `server.script` (status codes, then 200s); records what it saw."""

    def do_POST(self):
        body = json.loads(self.body())
        state = self.server
        with state.lock:
            state.seen.append(
                {"auth": self.headers.get("Authorization"), "headers": self.headers, "body": body}
            )
            status = state.script.pop(0) if state.script else 200
        if status == 200:
            text = body["messages"][0]["content"][-1]["text"]
            payload = {"choices": [{"message": {"role": "assistant", "content": f"reply to {text[:20]}"}}]}
        else:
            payload = {
                "error": f"refused key {self.headers.get('Authorization')}"
            }  # a server that echoes secrets
        self.send_json(status, payload, {"Retry-After": "0"} if status == 429 else None)


@pytest.fixture
def scripted():
    with running(Scripted, seen=[], script=[]) as server:
        yield server


SECRET = "sk-test-5f3c9a1e-DO-NOT-LOG"


def _records():
    return {r.source_id: r for r in load_sources(["emoji"], seed=0).objects[:3]}


def test_retries_and_the_api_key_stays_secret(scripted, monkeypatch, caplog):
    monkeypatch.setenv("S2H_TEST_KEY", SECRET)
    url = f"http://127.0.0.1:{scripted.server_address[1]}/v1"
    records = _records()
    requests = [TextRequest("caption", (sid,)) for sid in records]
    scripted.script = [503, 429, 502]
    with caplog.at_level(logging.DEBUG):  # every logger, httpx and httpcore included
        captioner = make_captioner(f"openai:{url}#m", api_key_env="S2H_TEST_KEY", concurrency=2, cache_dir="")
        texts = captioner.resolve(requests, records)
        assert all(t.startswith("reply to") for t in texts) and captioner.retries == 3
        assert len(scripted.seen) == 6 and {s["auth"] for s in scripted.seen} == {f"Bearer {SECRET}"}
        image_part = scripted.seen[-1]["body"]["messages"][0]["content"][0]
        assert image_part["image_url"]["url"].startswith("data:image/jpeg;base64,")

        scripted.script = [401]
        with pytest.raises(UserError) as refused:
            make_captioner(f"openai:{url}#m", api_key_env="S2H_TEST_KEY", cache_dir="").resolve(
                requests[:1], records
            )
        scripted.script = [500] * 3
        with pytest.raises(UserError) as exhausted:
            make_captioner(
                f"openai:{url}#m", api_key_env="S2H_TEST_KEY", max_retries=2, cache_dir=""
            ).resolve(requests[:1], records)
    assert "HTTP 401" in str(refused.value) and "***" in str(refused.value)
    assert "failed 3 times" in str(exhausted.value) and "HTTP 500" in str(exhausted.value)
    assert "retry" in caplog.text and "HTTP 503" in caplog.text
    for text in (caplog.text, str(refused.value), str(exhausted.value), repr(captioner)):
        assert SECRET not in text


def test_model_texts_show_a_progress_bar(scripted, monkeypatch, capsys, tmp_path):
    """A model captioner's texts are the slow part of a shard: a labelled bar counts them (stderr)."""
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    url = f"http://127.0.0.1:{scripted.server_address[1]}/v1"
    records = _records()
    requests = [TextRequest("caption", (sid,)) for sid in records]
    with make_captioner(f"openai:{url}#m", cache_dir=str(tmp_path)) as captioner:
        captioner.resolve(requests, records)
        captioner.resolve(requests, records)  # answered from the cache: no bar without texts to ask for
    err = capsys.readouterr().err.replace("\r", "\n")
    assert re.search(r"openai:.*: texts: 100%.*\| 3/3 \[", err), err
    assert len(re.findall(r": texts: +0%", err)) == 1  # one bar, for the first call only


def test_unreachable_server_is_a_one_line_error(tmp_path):
    captioner = make_captioner(
        f"openai:http://127.0.0.1:{free_port()}/v1#m",
        max_retries=1,
        cache_dir=str(tmp_path),
    )
    records = _records()
    with pytest.raises(UserError, match=r"failed 2 times, last: ConnectError.*rerun to resume"):
        captioner.resolve([TextRequest("describe", tuple(records))], records)


def test_no_organization_or_project_header_reaches_the_server(scripted, monkeypatch):
    """The SDK reads OPENAI_ORG_ID / OPENAI_PROJECT_ID for api.openai.com: a third-party server never sees them."""
    monkeypatch.setenv("OPENAI_ORG_ID", "org-should-stay-home")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_should_stay_home")
    url = f"http://127.0.0.1:{scripted.server_address[1]}/v1"
    with OpenAIChatClient(url, "m", api_key_env="S2H_UNSET_KEY") as client:
        assert client.complete(user_turn([{"type": "text", "text": "hi"}]), max_tokens=4) == "reply to hi"
    headers = {name.lower(): value for name, value in scripted.seen[0]["headers"].items()}
    assert "authorization" not in headers and "openai-organization" not in headers
    assert "openai-project" not in headers and "_should_stay_home" not in " ".join(headers.values())


class Unavailable(JSONHandler):
    """503 to every request but one whose text is `refused` (401; every request with `refuse_all`): a server
    that never comes back."""

    def do_POST(self):
        text = json.loads(self.body())["messages"][0]["content"][-1]["text"]
        with self.server.lock:
            self.server.attempts += 1
        refused = text == "refused" or getattr(self.server, "refuse_all", False)
        self.send_json(401 if refused else 503, {"error": "try later"})


def _s2h_threads():
    return [t for t in threading.enumerate() if t.name.startswith("s2h-openai")]


def _no_worker_retries_on(server, client):
    deadline = time.monotonic() + 3
    while _s2h_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _s2h_threads() == []
    attempts = server.attempts
    time.sleep(1.5)  # past the next backoff: nothing retries any more
    assert server.attempts == attempts and client.retries >= 1


@pytest.mark.parametrize("stop", ["interrupt", "fatal error"])
def test_an_interrupt_or_a_fatal_error_stops_the_retries_at_once(stop):
    """Ctrl-C (a KeyboardInterrupt in a worker here) or a refused request ends `complete_all` and the retries
    of the other requests with it: no worker is left retrying (Python would wait for it at exit)."""

    def first():
        time.sleep(0.5)  # the other requests are in their retry loops by now
        if stop == "interrupt":
            raise KeyboardInterrupt
        return user_turn([{"type": "text", "text": "refused"}])

    def waiting():
        return user_turn([{"type": "text", "text": "wait"}])

    with running(Unavailable, attempts=0) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        with OpenAIChatClient(url, "m", concurrency=3, max_retries=20) as client:
            with pytest.raises(KeyboardInterrupt if stop == "interrupt" else ServerError):
                list(client.complete_all([first, waiting, waiting], max_tokens=4))
            _no_worker_retries_on(server, client)


def test_a_refusing_server_stops_the_retries_on_the_others():
    """`openai:URL1,URL2#MODEL`: the first server refuses, the second one's retries end with the error."""
    records = _records()
    with (
        running(Unavailable, attempts=0, refuse_all=True) as refusing,
        running(Unavailable, attempts=0) as down,
    ):
        urls = [f"http://127.0.0.1:{s.server_address[1]}/v1" for s in (refusing, down)]
        captioner = make_captioner(f"openai:{','.join(urls)}#m", cache_dir="", concurrency=2)
        requests = [TextRequest("caption", (sid,)) for sid in records]
        with pytest.raises(UserError, match="HTTP 401"):
            captioner.resolve(requests, records)
        _no_worker_retries_on(down, captioner.clients[1])
