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


def test_llava_duplicate_ids_name_the_file_and_the_id(tmp_path):
    spec = _llava(tmp_path, [_sample(5), _sample("4"), _sample("5")])  # 5 and "5" are one id
    with pytest.raises(SourceError) as err:
        load_sources([spec], seed=0)
    message = str(err.value)
    assert "samples 0 and 2 have the same id 5" in message and str(tmp_path / "data.json") in message
    assert "pass each --source once" not in message and "\n" not in message


def test_deeply_nested_llava_json_is_one_line(tmp_path):
    spec = _llava(tmp_path, [])
    (tmp_path / "data.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SourceError, match="nested too deeply") as err:
        load_sources([spec], seed=0)
    assert "\n" not in str(err.value)


def test_unused_captions_are_counted_and_logged_once_with_a_hint(tmp_path, caplog):
    lines = [json.dumps({"file": f"f/{label}/a.jpg", "caption": f"A {label}."}) for label in ("cat", "dog")]
    lines += [
        json.dumps({"file": "cat/a.jpg", "caption": "A cat."}),
        json.dumps({"file": "cat/a.jpg", "caption": "A cat!"}),
    ]
    with caplog.at_level("WARNING"):
        loaded = load_sources([_folder_with_captions(tmp_path, lines)], seed=0)
    assert loaded.stats()["captions_no_file"] == 2 and loaded.stats()["captions_duplicate"] == 1
    assert {r.label: r.caption for r in loaded.objects} == {"cat": "A cat!", "dog": None}
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2
    assert "2 of 3 captions in captions.jsonl name no image file" in warnings[0]
    assert "paths must be relative to that folder, like `cat/a.jpg`" in warnings[0]


def test_a_build_left_inside_an_image_folder_is_not_read_as_images(tmp_path, caplog):
    folder = tmp_path / "photos"
    for label in ("cat", "dog"):
        _image(folder / label / "a.jpg")
    for build in (folder / "out", folder / "cat" / "nested"):  # an --out at the top and inside a label
        _image(build / "plots" / "examples.png")
        _image(build / "data" / "x.png")
        (build / "build_report.json").write_text(json.dumps({"arguments": {}}))
    _image(folder / "cat" / ".nested.partial" / "work" / "images" / "0.png")  # a build's staging folder
    _image(folder / ".out.partial" / "work" / "images" / "0.png")
    with caplog.at_level("WARNING"):
        loaded = load_sources([f"imagefolder:{folder}"], seed=0)
    assert sorted(r.source_id for r in loaded.objects) == [
        "imagefolder:photos/cat/a.jpg",
        "imagefolder:photos/dog/a.jpg",
    ]
    assert loaded.stats()["build_folders_skipped"] == 4
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "skipped 4 folder(s) holding an s2h build" in warning and "cat/nested" in warning


def test_labels_and_texts_are_normalised_and_counted(tmp_path):
    folder = tmp_path / "f"
    _image(folder / "gold\nfish" / "a.jpg")
    _image(folder / "evil\u202egnp.exe" / "a.jpg")
    _image(folder / "dog" / "a.jpg")
    (folder / "captions.jsonl").write_text(
        json.dumps({"file": "dog/a.jpg", "caption": "A\tdog\u200f\n sits."}) + "\n"
    )
    spec = _llava(tmp_path, [_sample(answer="Red.\x00\n\n\n\nVery\u202e red.")])
    loaded = load_sources([f"imagefolder:{folder}", spec], seed=0)
    assert sorted(r.label for r in loaded.objects) == ["dog", "evilgnp.exe", "gold fish"]
    assert [r.caption for r in loaded.objects if r.label == "dog"] == ["A dog sits."]
    assert loaded.qa[0].qa == ("What colour?", "Red.\n\nVery red.")
    assert loaded.stats()["labels_normalised"] == 2 and loaded.stats()["texts_normalised"] == 2


def test_a_task_a_split_cannot_make_is_skipped_with_its_reason(tmp_path, capsys):
    """12 labels x 6 bundled images: 4 labels land in the test split, enough for the 4 images a row shows
    but not for a `describe_each` row, which draws one more; it used to fail after writing shards, then to
    end the build before any: now the task is skipped in that split and the report says why (#19)."""
    images = sorted(
        (Path(__file__).resolve().parents[1] / "s2h_dataset/data/fluent-emoji-3d/images").iterdir()
    )
    test_labels = ["watermelon", "cat", "octopus", "syringe"]  # in the test split at --test-fraction 0.05
    labels = [
        *test_labels,
        "cyclone",
        "rainbow",
        "volcano",
        "thermometer",
        "taco",
        "burrito",
        "chestnut",
        "fog",
    ]
    for i, label in enumerate(labels):
        (tmp_path / "src" / label).mkdir(parents=True)
        for j in range(6):
            (tmp_path / "src" / label / f"{j}.webp").write_bytes(images[6 * i + j].read_bytes())
    args = ["build", "--out", str(tmp_path / "out"), "--source", f"imagefolder:{tmp_path / 'src'}"]
    assert main([*args, "--levels", "2", "--n-per-level", "200", "--no-filter"]) == 0
    report = json.loads((tmp_path / "out" / "build_report.json").read_text())
    [skipped] = [s for s in report["skipped_tasks"] if s["task"] == "describe_each"]
    assert skipped["split"] == "test" and "too few distinct labels for 5 images per row" in skipped["reason"]
    assert report["rows"]["level2/test"] == 10  # the split's other tasks make its rows


def test_a_label_of_control_characters_only_is_one_line(tmp_path):
    for label in ("dog", "\u202e\u200f"):
        _image(tmp_path / "f" / label / "a.jpg")
    with pytest.raises(SourceError, match=r"its label '\\u202e\\u200f' has no visible characters") as err:
        load_sources([f"imagefolder:{tmp_path / 'f'}"], seed=0)
    assert "\n" not in str(err.value) and "\u202e" not in str(err.value)
