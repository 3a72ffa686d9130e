"""`s2h build --executor local|slurm`: the stages on datatrove's executors give the bytes of a one-machine
build, each image is encoded by one rank, each caption request is asked once, a failed rank is rerun alone."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from fake_http import CountingCaptions, running
from test_bad_inputs import PAIR_BUILD, pair_folder
from test_content_keys import make_folder, repaint
from test_shards import _cfg, _parquet

from s2h_dataset.build import BuildConfig, build
from s2h_dataset.cli import main
from s2h_dataset.engine import run_build
from s2h_dataset.engine.executors import _prepare

pytest.importorskip("datatrove")


def _engine(cfg: BuildConfig, **over) -> BuildConfig:
    return BuildConfig(**{**{k: getattr(cfg, k) for k in cfg.__dataclass_fields__}, **over})


def _reports(out: Path) -> dict:
    return json.loads((out / "build_report.json").read_text())


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    return build(_cfg(tmp_path_factory.mktemp("engine-single") / "single"))


@pytest.mark.slow
def test_local_executor_equals_one_machine_build(single, tmp_path):
    out = tmp_path / "engine"
    line = run_build(_engine(_cfg(out), executor="local", tasks_parallel=2))
    assert line.startswith("built 120 rows") and line.endswith(str(out))
    assert _parquet(out) == _parquet(single)
    engine = _reports(out)["engine"]
    # each image was encoded by exactly one rank of the encode stage: as many as on one machine
    encoded = engine["images_encoded_per_rank"]
    assert sum(encoded.values()) == engine["images_in_store"] == engine["unique_images"]
    assert sum(encoded.values()) == _reports(single)["images"]["encoded_this_run"]
    assert sorted(encoded) == [f"encode-{i:05d}" for i in range(12)]
    assert not (tmp_path / ".engine.partial").exists()  # nothing left beside --out


@pytest.mark.slow
def test_a_failed_rank_is_rerun_alone_and_the_bytes_stay(single, tmp_path, capfd):
    from s2h_dataset.errors import UserError

    cfg = _engine(_cfg(tmp_path / "engine"), executor="local", tasks_parallel=2)
    root, run_key, shards = _prepare(cfg)  # the staging folder a run starts from
    victim = sorted(_parquet(single))[5]
    blocker = root / "repo" / victim  # a folder where rank 5's shard goes: its final rename fails
    (blocker / "x").mkdir(parents=True)
    with pytest.raises(UserError, match=r"1 of 12 `shards` rank\(s\) failed \(ranks \d+; logs in .*; rerun"):
        run_build(cfg)
    reports = root / "work" / "engine" / run_key / "reports"
    before = {p.name: p.stat().st_mtime_ns for p in reports.glob("shards-*.json")}
    assert len(before) == shards - 1
    (blocker / "x").rmdir()
    blocker.rmdir()
    capfd.readouterr()
    run_build(cfg)
    logs = capfd.readouterr().err  # datatrove's own account of what it ran
    assert f"Not doing anything as all {shards} tasks have already been completed" in logs  # encode
    assert f"Skipping {shards - 1} already completed tasks" in logs  # shards: only the failed one runs
    assert _parquet(tmp_path / "engine") == _parquet(single)
    assert _reports(tmp_path / "engine")["shards"] == {"written": shards, "reused": 0}


@pytest.mark.slow
def test_a_bad_image_that_replans_a_later_shard(tmp_path):
    folder = make_folder(tmp_path / "photos")
    broken = sorted(folder.iterdir())[-1] / "3.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    settings = dict(
        source=[f"imagefolder:{folder}"], levels="1,3", n_per_level=24, shard_rows=2, test_fraction=0.0
    )
    single = build(BuildConfig(out=str(tmp_path / "single"), filter=False, seed=2, **settings))
    out = tmp_path / "engine"
    run_build(BuildConfig(out=str(out), filter=False, seed=2, executor="local", **settings))
    assert _parquet(out) == _parquet(single)
    replans = _reports(out)["engine"]["replans"]
    assert (
        replans
        and replans[0]["shard"] > 0
        and replans[0]["images"][0].endswith(f"{broken.parent.name}/3.jpg")
    )
    assert _reports(out)["skipped_images"] == _reports(single)["skipped_images"]


@pytest.mark.slow
def test_an_engine_replan_reports_the_final_plans_task_skips(tmp_path):
    """As on one machine: the re-plan without the broken second peacock cannot make `compare`, and the
    report and the card say so (the ranks' plan stage, not the driver's up-front check)."""
    root = pair_folder(tmp_path / "pair")
    out = build(
        BuildConfig(
            out=str(tmp_path / "engine"), source=[f"imagefolder:{root}"], executor="local", **PAIR_BUILD
        )
    )
    skipped = {(s["level"], s["split"], s["task"]) for s in _reports(out)["skipped_tasks"]}
    assert (2, "train", "compare") in skipped and (2, "train", "compare_colour") in skipped
    assert "level 2 `compare`, train split: skipped" in (out / "README.md").read_text()


@pytest.mark.slow
def test_an_unfinished_engine_build_resumed_after_the_images_changed_equals_a_fresh_build(tmp_path):
    from s2h_dataset.errors import UserError

    folder = make_folder(tmp_path / "photos")
    settings = dict(source=[f"imagefolder:{folder}"], levels="1,3", n_per_level=24, shard_rows=8)
    settings.update(test_fraction=0.0, filter=False, seed=5)
    cfg = BuildConfig(out=str(tmp_path / "engine"), executor="local", **settings)
    root, _key, _shards = _prepare(cfg)
    blocker = root / "repo" / "data" / "level3" / "train-00001-of-00003.parquet" / "x"
    blocker.mkdir(parents=True)
    with pytest.raises(UserError, match="1 of 6 `shards` rank"):
        run_build(cfg)  # every other shard is written and marked done
    blocker.rmdir()
    blocker.parent.rmdir()
    repaint(folder)  # between the two runs every image changed: no marker of the old pixels may count
    run_build(cfg)
    fresh = build(BuildConfig(out=str(tmp_path / "fresh"), **settings))
    assert _parquet(tmp_path / "engine") == _parquet(fresh)


@pytest.mark.slow
def test_each_unique_caption_request_is_asked_once_across_ranks_and_servers(tmp_path):
    with (
        running(CountingCaptions, asked=Counter()) as first,
        running(CountingCaptions, asked=Counter()) as second,
    ):
        urls = [f"http://127.0.0.1:{s.server_address[1]}/v1" for s in (first, second)]
        settings = dict(levels="1,3", n_per_level=16, filter=False, seed=1, source=["emoji"])
        out = tmp_path / "engine"
        cfg = BuildConfig(
            out=str(out),
            captioner=f"openai:{','.join(urls)}#tiny",  # two servers of one model, as on two GPU nodes
            caption_cache=str(tmp_path / "c1"),
            executor="local",
            caption_tasks=2,
            **settings,
        )
        run_build(cfg)
        engine_asked = first.asked + second.asked
        assert first.asked and second.asked  # both servers were used
        first.asked.clear()
        second.asked.clear()
        single_cfg = dict(out=str(tmp_path / "single"), caption_cache=str(tmp_path / "c2"), **settings)
        single = build(BuildConfig(captioner=f"openai:{urls[0]}#tiny", **single_cfg))
        single_asked = Counter(first.asked)
    assert engine_asked and set(engine_asked.values()) == {1}  # every request once, across ranks and servers
    assert set(engine_asked) == set(single_asked)
    assert _parquet(out) == _parquet(single)
    captions = _reports(out)["captions"]
    assert captions["misses"] == sum(engine_asked.values())
    asked = _reports(out)["engine"]["captions_asked_per_rank"]  # the shard ranks read the cache only
    assert sorted(asked) == ["captions-00000", "captions-00001"] and sum(asked.values()) == len(engine_asked)
    parts = sorted(p.name for p in (tmp_path / "c1").iterdir())
    assert len(parts) == 2 and all(re.search(r"\.captions-0000[01]\.jsonl$", p) for p in parts)


STAND_INS = {
    # records its arguments and the job script, answers like sbatch
    "sbatch": 'n=$(ls "$REC" | wc -l); mkdir "$REC/$n"; printf "%s\\n" "$@" > "$REC/$n/args"; '
    'for last; do :; done; cp "$last" "$REC/$n/script"; echo "Submitted batch job $((100 + n))"',
    "srun": 'while [ "${1#-}" != "$1" ] || [ "$1" = 1 ]; do shift; done; exec "$@"',
    "scontrol": "echo localhost",
}


@pytest.mark.slow
def test_slurm_job_scripts_run_rank_by_rank_give_the_same_bytes(single, tmp_path, monkeypatch):
    bin_dir, rec = tmp_path / "bin", tmp_path / "jobs"
    bin_dir.mkdir()
    rec.mkdir()
    for name, body in STAND_INS.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_dir / name).chmod(stat.S_IRWXU)
    path = f"{bin_dir}:{Path(sys.executable).parent}:{os.environ['PATH']}"
    monkeypatch.setenv("PATH", path)
    monkeypatch.setenv("REC", str(rec))
    out = tmp_path / "engine"
    args = ["build", "--out", str(out), "--n_per_level", "40", "--test_fraction", "0.2", "--shard_rows", "12"]
    args += ["--arithmetic_pool", "64", "--seed", "2", "--executor", "slurm", "--slurm_partition", "cpu"]
    assert main(args) == 0
    jobs = sorted((p for p in rec.iterdir()), key=lambda p: int(p.name))
    pipelines = [j for j in jobs if "launch_pickled_pipeline" in (j / "script").read_text()]
    names = [re.search(r"--job-name=(\S+)", (j / "script").read_text())[1] for j in pipelines]
    assert names == ["s2h-encode", "s2h-plan", "s2h-shards", "s2h-publish"]
    for job, previous in zip(pipelines[1:], pipelines):
        assert f"--dependency=afterok:{100 + int(previous.name)}" in (job / "args").read_text()
    assert not out.exists()  # submitted, not run
    for job in pipelines:  # each array task as SLURM would start it
        script = (job / "script").read_text()
        assert "#SBATCH --partition=cpu" in script and "#SBATCH --requeue" in script
        last = int(re.search(r"--array=0-(\d+)", script)[1])
        for task in range(last + 1):
            env = {**os.environ, "SLURM_ARRAY_TASK_ID": str(task), "RUN_OFFSET": "0", "SLURM_NODELIST": "n1"}
            env["SLURM_JOB_ID"] = job.name
            subprocess.run(
                ["bash", str(job / "script")], env=env, check=True, capture_output=True, timeout=300
            )
    assert _parquet(out) == _parquet(single)


def test_the_build_function_runs_the_stages_on_the_engine(tmp_path):
    settings = dict(levels="3", n_per_level=8, filter=False, source=["emoji"], test_fraction=0.0)
    out = build(BuildConfig(out=str(tmp_path / "engine"), executor="local", **settings))
    assert _reports(out)["engine"]["executor"] == "local"
    assert _parquet(out) == _parquet(build(BuildConfig(out=str(tmp_path / "single"), **settings)))


def test_executor_flags_are_checked_in_one_line(tmp_path, capsys):
    out = str(tmp_path / "x")
    assert main(["build", "--out", out, "--executor", "slurm"]) == 2
    assert "`--executor slurm` needs `--slurm-partition NAME`" in capsys.readouterr().err
    assert main(["build", "--out", out, "--executor", "local", "--shard", "1/2"]) == 2
    assert "pass one of them" in capsys.readouterr().err
    assert main(["build", "--out", out, "--executor", "spark"]) == 2
    assert "must be one of local, slurm, ray" in capsys.readouterr().err


def test_image_store_parts_write_their_own_files_and_read_every_part(tmp_path):
    from s2h_dataset.imagestore import ImageStore
    from s2h_dataset.sources import load_sources

    folder = make_folder(tmp_path / "photos", labels=2)
    (sorted(folder.iterdir())[0] / "9.jpg").write_bytes(b"not an image")
    records = sorted(
        load_sources([f"imagefolder:{folder}"], 0).all_records(), key=lambda r: "9.jpg" in r.source_id
    )
    root = tmp_path / "images"
    first, second = (ImageStore(root, 64, "jpeg", 1, part=p) for p in ("rank-0", "rank-1"))
    assert first.ensure(records[:3]) == {} and len(second.ensure(records[3:])) == 1
    assert sorted(p.name for p in root.glob("*.json*")) == [
        "bad.rank-1.json",
        "index.rank-0.jsonl",
        "index.rank-1.jsonl",
    ]  # no file two hosts append to
    reader = ImageStore(root, 64, "jpeg", 1)
    assert reader.stored() == len(records) - 1 and list(reader.bad) == [records[-1].source_id]
    assert reader.ensure(records) == {} and reader.encoded == reader.decoded == 0


def test_caption_cache_parts_write_their_own_files_and_read_every_part(tmp_path):
    from s2h_dataset.captioners import CaptionCache

    for part, key in (("captions-00000", "a"), ("captions-00001", "b")):
        cache = CaptionCache(tmp_path, "org/model", "max_new_tokens=8", part=part)
        cache.put(key, f"text {key}")
        cache.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 2 and all(
        re.fullmatch(r"model-[0-9a-f]{12}\.captions-0000[01]\.jsonl", f) for f in files
    )
    assert CaptionCache(tmp_path, "org/model", "max_new_tokens=8").entries == {"a": "text a", "b": "text b"}
    assert len(CaptionCache(tmp_path, "org/other")) == 0


@pytest.mark.slow
def test_ray_executor_gives_the_same_bytes(single, tmp_path):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        out = tmp_path / "engine"
        run_build(_engine(_cfg(out), executor="ray", tasks_parallel=2))
    finally:
        ray.shutdown()
    assert _parquet(out) == _parquet(single)
    assert (
        sum(_reports(out)["engine"]["images_encoded_per_rank"].values())
        == _reports(out)["engine"]["images_in_store"]
    )
