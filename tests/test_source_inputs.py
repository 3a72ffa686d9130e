"""Every source parser checks its records and names the file, record and field; paths stay in their root;
over-long texts are cut at a sentence; rows asked of the sources are bounded."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from s2h_dataset.cli import main
from s2h_dataset.images import BadImage, load_checked
from s2h_dataset.sources import MAX_TEXT_CHARS, SourceError, load_sources


def _image(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (32, 32), (200, 30, 30)).save(path)
    return path


def _sample(sample_id="1", image="a.jpg", question="<image>\nWhat colour?", answer="Red."):
    return {
        "id": sample_id,
        "image": image,
        "conversations": [{"from": "human", "value": question}, {"from": "gpt", "value": answer}],
    }


def _llava(tmp_path: Path, samples) -> str:
    _image(tmp_path / "images" / "a.jpg")
    (tmp_path / "data.json").write_text(json.dumps(samples))
    return f"llava:{tmp_path / 'data.json'}:{tmp_path / 'images'}"


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        ({"id": "1"}, "holds a JSON dict; expected a list of samples"),
        ([_sample(), {"image": "a.jpg", "conversations": []}], "sample 1: field `id` is missing"),
        ([_sample(), "text"], "sample 1: a sample must be a JSON object, got str"),
        (
            [
                {
                    "id": "7",
                    "image": "a.jpg",
                    "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt"}],
                }
            ],
            "sample 0 (id 7): field `conversations[1].value` is missing or not text",
        ),
        ([{"id": "7", "image": "a.jpg", "conversations": "Q"}], "field `conversations` must be a list"),
        ([_sample(image="/etc/passwd")], "field `image` '/etc/passwd' must be a path relative to IMAGE_ROOT"),
        ([_sample(image="../../secret.jpg")], "field `image` '../../secret.jpg' must be a path relative"),
        ([_sample(image=5)], "field `image` 5 must be a path relative"),
    ],
)
def test_llava_records_are_checked_field_by_field(tmp_path, samples, message):
    spec = _llava(tmp_path, samples)
    with pytest.raises(SourceError) as err:
        load_sources([spec], seed=0)
    assert message in str(err.value) and str(tmp_path / "data.json") in str(err.value)
    assert "\n" not in str(err.value)


def test_symlinks_out_of_a_source_root_are_skipped_images(tmp_path):
    outside = _image(tmp_path / "elsewhere" / "private.jpg")
    spec = _llava(tmp_path, [_sample("1", "a.jpg"), _sample("2", "link.jpg")])
    os.symlink(outside, tmp_path / "images" / "link.jpg")
    folder = tmp_path / "folder"
    for label in ("cat", "dog"):
        _image(folder / label / "a.jpg")
    os.symlink(outside, folder / "cat" / "b.jpg")
    os.symlink(outside.parent, folder / "owl")  # a label folder that is a link to elsewhere
    loaded = load_sources([spec, f"imagefolder:{folder}"], seed=0)
    by_id = {r.source_id: r for r in loaded.all_records()}
    load_checked(by_id["llava:1"].load)  # inside: fine
    load_checked(by_id["imagefolder:folder/dog/a.jpg"].load)
    for source_id in ("llava:2", "imagefolder:folder/cat/b.jpg", "imagefolder:folder/owl/private.jpg"):
        with pytest.raises(BadImage, match="leads outside its source folder"):
            load_checked(by_id[source_id].load)


def _folder_with_captions(tmp_path: Path, lines: list[str]) -> str:
    for label in ("cat", "dog"):
        _image(tmp_path / "f" / label / "a.jpg")
    (tmp_path / "f" / "captions.jsonl").write_text("\n".join(lines) + "\n")
    return f"imagefolder:{tmp_path / 'f'}"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{oops", "captions.jsonl:2: not a JSON line"),
        ('["cat/a.jpg", "x"]', "captions.jsonl:2: a list, not an object"),
        ('{"file": "cat/a.jpg"}', "captions.jsonl:2: field `caption` is missing or not text"),
        ('{"file": "cat/a.jpg", "caption": 5}', "captions.jsonl:2: field `caption` is missing or not text"),
        ('{"caption": "A cat."}', "captions.jsonl:2: field `file` is missing"),
        ('{"file": "../x.jpg", "caption": "A cat."}', "captions.jsonl:2: field `file` must be relative"),
    ],
)
def test_captions_jsonl_names_line_and_field(tmp_path, line, message):
    spec = _folder_with_captions(tmp_path, ['{"file": "dog/a.jpg", "caption": "A dog."}', line])
    with pytest.raises(SourceError) as err:
        load_sources([spec], seed=0)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_kinship_mid_csv_without_member_column_names_file_row_and_field(tmp_path):
    for member in ("MID1", "MID2"):
        _image(tmp_path / "F0001" / member / "a.jpg")
    (tmp_path / "F0001" / "mid.csv").write_text("Name,1,2\nann,0,4\nbob,1,0\n")
    with pytest.raises(SourceError, match=r"F0001/mid\.csv:2: field `MID` is missing"):
        load_sources([f"kinship:{tmp_path}"], seed=0)


def test_kinship_mid_csv_that_is_a_folder_is_one_line(tmp_path, capsys):
    for member in ("MID1", "MID2"):
        _image(tmp_path / "F0001" / member / "a.jpg")
    (tmp_path / "F0001" / "mid.csv").mkdir()
    with pytest.raises(
        SourceError, match=r"F0001/mid\.csv: cannot be read \(Is a directory\); mid\.csv must be"
    ):
        load_sources([f"kinship:{tmp_path}"], seed=0)
    assert main(["build", "--out", str(tmp_path.parent / "kin-out"), "--source", f"kinship:{tmp_path}"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "mid.csv: cannot be read" in err, err


def test_over_long_captions_are_cut_at_a_sentence_or_dropped(tmp_path):
    long = "A cat sits on a mat. " * 5000  # ~100 KB
    no_sentence = "x" * (MAX_TEXT_CHARS + 10)
    lines = [
        json.dumps({"file": "cat/a.jpg", "caption": long}),
        json.dumps({"file": "dog/a.jpg", "caption": no_sentence}),
    ]
    loaded = load_sources([_folder_with_captions(tmp_path, lines)], seed=0)
    captions = {r.label: r.caption for r in loaded.objects}
    assert len(captions["cat"]) <= MAX_TEXT_CHARS and captions["cat"].endswith("on a mat.")
    assert captions["dog"] is None
    assert (loaded.texts_truncated, loaded.texts_dropped) == (1, 1)
    assert loaded.stats()["texts_truncated"] == 1


def test_n_per_level_beyond_what_the_sources_supply_is_one_line(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path / "out"), "--n_per_level", str(10**12)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("s2h build: error: --n-per-level 1000000000000 is more than the sources can supply")
    assert "\n" not in err and list(tmp_path.iterdir()) == []
