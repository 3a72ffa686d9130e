"""A build is a function of its sources' content: a resume after the source changed, and the caption cache,
never pair rows with pixels that are gone (issue: content integrity).

The folders are photo-like image folders made from the bundled renders (flattened on a coloured backdrop,
saved as JPEG), changed between two runs the way a user changes a folder: every image repainted, one label
folder deleted and another added, one file replaced by a broken one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import datasets
import pytest
from PIL import Image, ImageOps

from s2h_dataset import build as build_module
from s2h_dataset import build_shards
from s2h_dataset.build import BuildConfig, build
from s2h_dataset.sources.emoji import EMOJI_DIR

LABELS = 14
PER_LABEL = 3


def _renders() -> list[tuple[str, Path]]:
    items = [json.loads(line) for line in (EMOJI_DIR / "labels.jsonl").read_text().splitlines()]
    seen, out = set(), []
    for item in items:
        if item["label"] not in seen and item["form"] == "count":
            seen.add(item["label"])
            out.append((item["label"], EMOJI_DIR / item["file"]))
    return out


def _photo(path: Path, backdrop: tuple[int, int, int]) -> bytes:
    with Image.open(path) as render:
        rgba = render.convert("RGBA").resize((96, 96))
    canvas = Image.new("RGB", rgba.size, backdrop)
    canvas.paste(rgba, mask=rgba.getchannel("A"))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def make_folder(root: Path, first: int = 0, labels: int = LABELS, paint: int = 0) -> Path:
    """`labels` label folders of `PER_LABEL` photos each; `paint` picks the backdrops (a repaint)."""
    renders = _renders()[first : first + labels]
    for n, (label, path) in enumerate(renders):
        folder = root / label.replace(" ", "_")
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(PER_LABEL):
            backdrop = ((40 * i + 90 * paint) % 256, (70 * n + 50 * paint) % 256, (30 * n + 20 * i) % 256)
            (folder / f"{i}.jpg").write_bytes(_photo(path, backdrop))
    return root


def repaint(root: Path) -> None:
    """Every image changed (mirrored and inverted), same file names, sizes may change."""
    for path in sorted(root.rglob("*.jpg")):
        with Image.open(path) as image:
            changed = ImageOps.invert(ImageOps.mirror(image.convert("RGB")))
        changed.save(path, format="JPEG", quality=90)
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))


def _config(out: Path, folder: Path, **over) -> BuildConfig:
    settings = dict(
        out=str(out),
        source=[f"imagefolder:{folder}"],
        levels="1,3",
        n_per_level=48,
        shard_rows=8,
        test_fraction=0.0,
        filter=False,
        seed=5,
        workers=1,
    )
    return BuildConfig(**(settings | over))


def _parquet(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.glob("data/*/*.parquet"))
    }


def _interrupt_after(monkeypatch, shards: int) -> None:
    real, calls = build_shards.write_shard, []

    def crash(path, *args):
        if len(calls) == shards:
            raise KeyboardInterrupt
        calls.append(path)
        real(path, *args)

    monkeypatch.setattr(build_shards, "write_shard", crash)


def _image_hashes(out: Path) -> set[str]:
    ds = datasets.load_dataset(str(out), "all", split="train").cast_column(
        "images", datasets.Sequence(datasets.Image(decode=False))
    )
    return {hashlib.sha256(image["bytes"]).hexdigest() for row in ds["images"] for image in row}


@pytest.mark.parametrize("change", ["repaint", "swap_labels", "break_one"])
def test_resume_after_the_source_changed_equals_a_fresh_build(tmp_path, monkeypatch, caplog, change):
    folder = make_folder(tmp_path / "photos")
    out = tmp_path / "out"
    _interrupt_after(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        build(_config(out, folder))
    old_images = {p.read_bytes() for p in folder.rglob("*.jpg")}
    if change == "repaint":
        repaint(folder)
    elif change == "swap_labels":  # one label folder deleted, another added
        victim = sorted(p for p in folder.iterdir() if p.is_dir())[2]
        for file in victim.iterdir():
            file.unlink()
        victim.rmdir()
        make_folder(folder, first=LABELS, labels=1)
    else:  # one image replaced by a file that is not an image
        (sorted(folder.rglob("*.jpg"))[4]).write_bytes(b"not an image any more")
    monkeypatch.undo()
    caplog.set_level("WARNING")
    build(_config(out, folder))
    assert "the sources changed since the unfinished run" in caplog.text

    fresh_folder = (
        tmp_path / "fresh" / "photos"
    )  # the changed folder, copied: a build that never saw the old one
    for path in folder.rglob("*"):
        if path.is_file():
            (fresh_folder / path.relative_to(folder)).parent.mkdir(parents=True, exist_ok=True)
            (fresh_folder / path.relative_to(folder)).write_bytes(path.read_bytes())
    fresh = build(_config(tmp_path / "fresh-out", fresh_folder))
    assert _parquet(out) == _parquet(fresh)
    report = json.loads((out / "build_report.json").read_text())
    fresh_report = json.loads((fresh / "build_report.json").read_text())
    assert report["sources"]["fingerprint"] == fresh_report["sources"]["fingerprint"]
    assert report["skipped_images"] == fresh_report["skipped_images"]
    if change == "repaint":  # no old pixels anywhere: every shard was rewritten
        assert report["shards"]["reused"] == 0
        old = {hashlib.sha256(b).hexdigest() for b in old_images}
        assert not (_image_hashes(out) & old)


def test_unchanged_sources_resume_everything_and_a_touched_file_is_not_reencoded(tmp_path, monkeypatch):
    folder = make_folder(tmp_path / "photos")
    out = tmp_path / "out"
    _interrupt_after(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        build(_config(out, folder))
    monkeypatch.undo()
    build(_config(out, folder))  # nothing changed: every shard written before is reused
    assert json.loads((out / "build_report.json").read_text())["shards"]["reused"] == 3

    out = tmp_path / "out2"
    _interrupt_after(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        build(_config(out, folder))
    monkeypatch.undo()
    index = tmp_path / ".out2.partial" / "work" / "images" / "index.jsonl"
    indexed = len(index.read_text().splitlines())
    for path in folder.rglob("*.jpg"):  # touched, not changed: decoded again, same pixels, nothing re-encoded
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    build(_config(out, folder))
    report = json.loads((out / "build_report.json").read_text())
    assert report["images"]["decoded_this_run"] == LABELS * PER_LABEL  # every file was touched
    assert report["images"]["encoded_this_run"] == LABELS * PER_LABEL - indexed  # only those never seen
    assert _parquet(out) == _parquet(tmp_path / "out")


def test_one_repainted_image_rewrites_its_split_and_equals_a_fresh_build(tmp_path, monkeypatch):
    """Planning reads facts of images a row does not show (colour tables, edit weights fitted on a sample
    of the split), so a changed file rewrites the shards of its split; the other split's are reused."""
    folder = make_folder(tmp_path / "photos")
    out = tmp_path / "out"
    config = dict(shard_rows=4, test_fraction=0.3)
    _interrupt_after(monkeypatch, 100)  # every shard written, then killed before the card
    monkeypatch.setattr(build_module, "blind_audit", lambda repo: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        build(_config(out, folder, **config))
    monkeypatch.undo()
    target = sorted(folder.rglob("*.jpg"))[0]
    with Image.open(target) as image:
        ImageOps.invert(image.convert("RGB")).save(target, format="JPEG", quality=90)
    build(_config(out, folder, **config))
    report = json.loads((out / "build_report.json").read_text())
    assert report["images"]["decoded_this_run"] == 1 and report["images"]["encoded_this_run"] == 1
    assert report["shards"]["written"] > 0 and report["shards"]["reused"] > 0
    fresh = build(_config(tmp_path / "fresh", folder, **config))
    assert _parquet(out) == _parquet(fresh)


def _captioned(out: Path, folder: Path, cache: Path) -> dict:
    from s2h_dataset.testing.tiny_vlms import tiny_vlm_cache

    build(
        _config(
            out,
            folder,
            levels="3",
            n_per_level=8,
            captioner=f"transformers:{tiny_vlm_cache('qwen2_vl')}",
            caption_cache=str(cache),
            caption_max_new_tokens=4,
            device="cpu",
        )
    )
    return json.loads((out / "build_report.json").read_text())["captions"]


def test_caption_cache_is_keyed_by_pixels_not_by_path(tmp_path):
    cache = tmp_path / "captions"
    folder = make_folder(tmp_path / "a" / "photos", labels=6)
    first = _captioned(tmp_path / "out1", folder, cache)
    assert first["hits"] == 0 and first["misses"] > 0  # `repeats`: the same text asked again this run
    # the same pixels under another path and folder name: every text comes from the cache
    copy = make_folder(tmp_path / "b" / "pictures", labels=6)
    assert _captioned(tmp_path / "out2", copy, cache)["misses"] == 0
    # another folder with the same name and files, other pixels: nothing from the cache
    other = make_folder(tmp_path / "c" / "photos", labels=6, paint=1)
    assert _captioned(tmp_path / "out3", other, cache)["hits"] == 0
    # the first folder repainted in place, built into a new --out: nothing from the cache
    repaint(folder)
    assert _captioned(tmp_path / "out4", folder, cache)["hits"] == 0


def test_merge_refuses_parts_built_from_other_source_content(tmp_path):
    from s2h_dataset.errors import UserError
    from s2h_dataset.merge import merge

    folder = make_folder(tmp_path / "photos", labels=8)
    first = build(_config(tmp_path / "part1", folder, n_per_level=16, shard="1/2"))
    repaint(folder)  # the second machine reads the folder after it changed
    second = build(_config(tmp_path / "part2", folder, n_per_level=16, shard="2/2"))
    with pytest.raises(UserError, match="other source content"):
        merge(tmp_path / "merged", [first, second])
    assert not (tmp_path / "merged").exists()
    again = build(_config(tmp_path / "part1-again", folder, n_per_level=16, shard="1/2"))
    merged = merge(tmp_path / "merged", [again, second])
    report = json.loads((merged / "build_report.json").read_text())
    assert (
        report["sources"]["fingerprint"]
        == json.loads((second / "build_report.json").read_text())["sources"]["fingerprint"]
    )


def test_a_fresh_build_never_says_it_is_resuming(tmp_path, caplog):
    # above ~275 rows per split the writer encodes a size sample before the shards: not an earlier run's work
    caplog.set_level("INFO")
    build(
        BuildConfig(out=str(tmp_path / "out"), levels="1", n_per_level=320, filter=False, test_fraction=0.0)
    )
    assert "resuming" not in caplog.text and "changed since" not in caplog.text
