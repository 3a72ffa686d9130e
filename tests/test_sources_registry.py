"""Sources are registered by prefix in one table: a new source is one `SourceKind` line."""

from __future__ import annotations

import pytest
from PIL import Image

from s2h_dataset import sources
from s2h_dataset.sources import SOURCE_KINDS, Record, SourceError, SourceKind, load_sources


def test_a_toy_source_is_one_registry_line(monkeypatch):
    def toy(arg, options):
        return [Record(f"toy:{arg}:{i}", f"thing {i}", lambda: Image.new("RGB", (8, 8))) for i in range(3)]

    monkeypatch.setattr(
        sources, "SOURCE_KINDS", (*SOURCE_KINDS, SourceKind("toy", "toy:NAME", "objects", toy))
    )
    loaded = load_sources(["toy:a", "emoji"], seed=0)
    assert [r.source_id for r in loaded.objects[:3]] == ["toy:a:0", "toy:a:1", "toy:a:2"]
    assert len(loaded.objects) == 3 + 849
    with pytest.raises(SourceError, match="toy:NAME"):  # the usage line lists it too
        load_sources(["nope"], seed=0)


def test_unknown_specs_name_every_usage():
    with pytest.raises(SourceError) as err:
        load_sources(["unknown:x"], seed=0)
    assert str(err.value).startswith("unknown source `unknown:x`; use emoji, arithmetic, imagefolder:PATH")
    assert "kinship:PATH" in str(err.value)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("imagefolder", "`--source imagefolder` needs what to read: `--source imagefolder:PATH`"),
        ("hub:", "`--source hub:` needs what to read: `--source hub:DATASET_ID[:CONFIG][@SPLIT]`"),
        ("emoji:extra", "`--source emoji:extra`: emoji takes nothing after it; pass `--source emoji`"),
    ],
)
def test_a_known_source_spelled_wrong_says_what_is_missing(spec, message):
    with pytest.raises(SourceError) as err:
        load_sources([spec], seed=0)
    assert str(err.value) == message


def test_kinship_registry_entry_fills_faces_and_relations(tmp_path):
    for family in ("fd_001", "fd_002"):
        for member in ("1", "2"):
            (tmp_path / "fd").mkdir(exist_ok=True)
            Image.new("RGB", (16, 16)).save(tmp_path / "fd" / f"{family}_{member}.jpg")
    loaded = load_sources([f"kinship:{tmp_path}"], seed=0)
    assert len(loaded.faces) == 4 and loaded.relations[("fd_001/parent", "fd_001/child")] == "parent"
