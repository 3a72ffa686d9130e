"""Honesty about what ships (#19): the frequency reader sees answers memorisable from how often they recur, a
task the blind audit flags is held back (or shipped only with --keep-flagged, which `s2h validate` then
accepts), and a task a source cannot make is skipped with its reason instead of ending the build."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from s2h_dataset.build import BuildConfig, build
from s2h_dataset.card.blind_audit import frequency_reader
from s2h_dataset.cli import main
from s2h_dataset.levels.level1 import vqa_indexed
from s2h_dataset.tasks import LevelTask, register, unregister
from s2h_dataset.validate import validate

EMOJI = Path(__file__).resolve().parents[1] / "s2h_dataset" / "data" / "fluent-emoji-3d"


def test_frequency_reader_prefers_the_answer_seen_more_often_elsewhere():
    # caption_search before #19: one caption per label recurs as chosen, every rejected is a one-off edit
    recurring = [
        (f"r{i}", "q", f"A photo of thing {i % 10}.", f"A photo of thing {i % 10}, edit {i}.")
        for i in range(200)
    ]
    assert frequency_reader(recurring) == 1.0
    assert frequency_reader([(r[0], r[1], r[3], r[2]) for r in recurring]) == 0.0  # and the other way round
    # every text as often chosen as rejected (yes/no flips, another image named): chance
    rng = random.Random(0)
    texts = [f"Image {k}." for k in range(4)]
    balanced = [(f"b{i}", "q", *rng.sample(texts, 2)) for i in range(400)]
    assert abs(frequency_reader(balanced) - 0.5) < 0.08
    # leave-one-out: a row's own answers are not counted, so texts seen nowhere else tie (0.5)
    assert frequency_reader([("a", "q", "x", "y"), ("b", "q", "z", "w")]) == 0.5
    assert frequency_reader([]) != frequency_reader([])  # NaN: nothing to read


def test_every_task_of_a_build_reports_the_frequency_reader(built_dataset):
    report = json.loads((built_dataset / "build_report.json").read_text())
    assert report["blind_audit"]
    for entry in report["blind_audit"]:
        assert 0.0 <= entry["frequency_reader"] <= 1.0, entry
        assert entry["frequency_pairs"] >= entry["train_pairs"] > 0
    card = (built_dataset / "README.md").read_text()
    assert "frequency reader (train)" in card


def _leaky(ctx, rng, slot):
    """`vqa_indexed` whose rejected is always longer: any length reader tells them apart."""
    row = vqa_indexed(ctx, rng, slot)
    row.task, row.rejected = "leaky_name", row.rejected + " I am quite sure of that answer."
    return row


@pytest.fixture
def leaky_task():
    register(
        LevelTask(
            name="leaky_name",
            level=1,
            pool="objects",
            answer="text",
            slots=lambda n: n,
            generator=_leaky,
            about="a task with a length cue",
        )
    )
    try:
        yield "leaky_name"
    finally:
        unregister("leaky_name")


def _tasks_in(folder: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for shard in folder.glob("data/level*/*.parquet"):
        for task in pq.read_table(shard, columns=["task"])["task"].to_pylist():
            counts[task] = counts.get(task, 0) + 1
    return counts


def _leaky_build(tmp_path: Path, name: str, keep: bool) -> Path:
    cfg = BuildConfig(
        out=str(tmp_path / name),
        levels="1",
        n_per_level=200,
        test_fraction=0.15,
        filter=False,
        seed=3,
        keep_flagged=keep,
    )
    return build(cfg)


@pytest.mark.slow
def test_a_flagged_task_is_held_back_with_a_warning_and_a_card_entry(leaky_task, tmp_path, caplog):
    with caplog.at_level("WARNING", logger="s2h_dataset.holdback"):
        out = _leaky_build(tmp_path, "held", keep=False)
    warnings = [r.getMessage() for r in caplog.records]
    assert (
        len(warnings) == 1 and "`leaky_name` held back" in warnings[0] and "length rule 1.000" in warnings[0]
    )
    report = json.loads((out / "build_report.json").read_text())
    [held] = report["held_back"]
    assert held["task"] == leaky_task and held["rows"] > 50
    assert any(f["reader"] == "length rule" and f["clear"] for f in held["findings"])
    present = _tasks_in(out)
    assert leaky_task not in present and {"caption_indexed", "vqa_indexed"} <= set(present)
    assert sum(report["rows"].values()) == sum(present.values())  # the counts are the files'
    assert leaky_task not in {t["task"] for t in report["blind_audit"]}
    card = (out / "README.md").read_text()
    assert "**Held back**" in card and "level 1 `leaky_name`" in card and "length rule 1.000" in card
    assert "| `leaky_name` |" not in card  # not in the counts table: it does not ship
    assert validate(out) == []


@pytest.mark.slow
def test_keep_flagged_ships_it_and_validate_names_it_otherwise(leaky_task, tmp_path, caplog):
    with caplog.at_level("WARNING", logger="s2h_dataset.holdback"):
        out = _leaky_build(tmp_path, "kept", keep=True)
    assert "ships anyway (--keep-flagged)" in caplog.records[0].getMessage()
    report = json.loads((out / "build_report.json").read_text())
    assert report["held_back"] == [] and _tasks_in(out)[leaky_task] > 50
    assert "--keep-flagged" in (out / "README.md").read_text()  # the card's build command
    assert validate(out) == []
    # the same folder, had the build not said --keep-flagged: validate names the task
    report["arguments"]["keep_flagged"] = False
    (out / "build_report.json").write_text(json.dumps(report))
    problems = validate(out)
    assert [p for p in problems if "`leaky_name`" in p and "--keep-flagged" in p and "length rule" in p]
    assert main(["validate", str(out)]) == 1


def _one_image_per_label(root: Path, n_labels: int) -> Path:
    """A photo-folder layout: one bundled image per label, captions of the form "A <label>."."""
    lines = []
    for line in (EMOJI / "labels.jsonl").read_text().splitlines():
        item = json.loads(line)
        folder = root / item["label"].replace(" ", "_")
        if not item["label"].replace(" ", "").isalpha() or folder.exists():
            continue
        folder.mkdir(parents=True)
        name = Path(item["file"]).name
        (folder / name).write_bytes((EMOJI / item["file"]).read_bytes())
        lines.append(json.dumps({"file": f"{folder.name}/{name}", "caption": f"A {item['label']}."}))
        if len(lines) == n_labels:
            break
    (root / "captions.jsonl").write_text("\n".join(lines) + "\n")
    return root


@pytest.mark.slow
def test_one_image_per_label_builds_and_reports_what_it_skipped(tmp_path, capsys):
    """`compare` needs two images of one kind: a folder with one image per label has none. It used to end
    the build ("no two images of the same kind"), taking every level-2 task with it."""
    source = _one_image_per_label(tmp_path / "photos", 40)
    out = tmp_path / "out"
    args = ["build", "--source", f"imagefolder:{source}", "--n-per-level", "100", "--no-filter"]
    assert main([*args, "--out", str(out), "--levels", "1,2,3", "--test-fraction", "0.3"]) == 0
    report = json.loads((out / "build_report.json").read_text())
    skipped = {(s["level"], s["split"], s["task"]): s["reason"] for s in report["skipped_tasks"]}
    assert skipped[2, "train", "compare"] == skipped[2, "test", "compare"]
    assert "two images of one kind" in skipped[2, "train", "compare"]
    assert all(level in (1, 2, 3) for level, _, _ in skipped)
    assert {"level1/train", "level2/train", "level3/train"} <= set(report["rows"])
    assert "compare" not in _tasks_in(out) and "describe_each" in _tasks_in(out)
    card = (out / "README.md").read_text()
    assert "- level 2 `compare`, train split: skipped, the sources cannot make it (no two images" in card
    assert validate(out) == []
    # a level none of whose tasks a split can make still ends the build, in one line
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "out2"), "--levels", "2", "--test-fraction", "0.1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "level 2 has no task the test split can make (compare: no two images of one kind" in err
    assert "\n" not in err


@pytest.mark.slow
def test_a_resume_after_a_hold_back_gives_the_bytes_of_an_uninterrupted_build(
    leaky_task, tmp_path, monkeypatch
):
    """Holding back rewrites shards after their keys were recorded: a build killed right after must not
    reuse those shards as if they were the plan's (the rerun's audit would no longer see the task)."""
    import s2h_dataset.build as build_module

    monkeypatch.setattr(build_module, "write_card", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        _leaky_build(tmp_path, "resumed", keep=False)
    monkeypatch.undo()
    resumed = _leaky_build(tmp_path, "resumed", keep=False)
    fresh = _leaky_build(tmp_path, "fresh", keep=False)
    report = json.loads((resumed / "build_report.json").read_text())
    assert [h["task"] for h in report["held_back"]] == [leaky_task]
    shards = sorted(p.relative_to(fresh) for p in fresh.glob("data/*/*.parquet"))
    assert shards and all((resumed / p).read_bytes() == (fresh / p).read_bytes() for p in shards)


@pytest.mark.slow
def test_a_merge_holds_back_like_a_single_machine_build(leaky_task, tmp_path):
    """A `--shard I/N` slice ships every task (its audit sees a part of the data); the merge audits the whole
    and holds back, to the bytes of a single-machine build."""
    from s2h_dataset.merge import merge

    slices = []
    for i in (1, 2):
        cfg = BuildConfig(
            out=str(tmp_path / f"slice{i}"),
            levels="1",
            n_per_level=200,
            test_fraction=0.15,
            filter=False,
            seed=3,
            shard=f"{i}/2",
            shard_rows=60,
        )
        slices.append(build(cfg))
        assert json.loads((slices[-1] / "build_report.json").read_text())["held_back"] == []
        assert validate(slices[-1]) == []  # a slice is not checked for flags: the merge is
    merged = merge(tmp_path / "merged", slices)
    single = build(
        BuildConfig(
            out=str(tmp_path / "single"),
            levels="1",
            n_per_level=200,
            test_fraction=0.15,
            filter=False,
            seed=3,
            shard_rows=60,
        )
    )
    for folder in (merged, single):
        held = json.loads((folder / "build_report.json").read_text())["held_back"]
        assert [h["task"] for h in held] == [leaky_task]
    shards = sorted(p.relative_to(single) for p in single.glob("data/*/*.parquet"))
    assert len(shards) > 2 and all((merged / p).read_bytes() == (single / p).read_bytes() for p in shards)
    reports = [json.loads((f / "build_report.json").read_text()) for f in (merged, single)]
    assert reports[0]["skipped_tasks"] == reports[1]["skipped_tasks"]  # a list of tasks, not the bad images
    assert reports[0]["skipped_images"] == reports[1]["skipped_images"] == []
