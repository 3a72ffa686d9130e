"""The dataset card as a reader meets it: the command as run, a load snippet that works, attribution with
the full licence, the citation, an example grid, plots with integer ticks and legends off the bars, and
warnings for audit figures outside their healthy ranges."""

from __future__ import annotations

import json
import re
import shutil
import tempfile

import numpy as np
import pytest
from PIL import Image

from s2h_dataset import __version__
from s2h_dataset.card.plots import blind_audit_figure, figures
from s2h_dataset.card.render import set_repo_id
from s2h_dataset.card.text import audit_warnings, build_command
from s2h_dataset.configs import BuildConfig


def _section(card: str, title: str) -> str:
    return card.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_card_snapshot(built_dataset):
    card = (built_dataset / "README.md").read_text(encoding="utf-8")
    # the package to install, then the command as run: --out's last part (never the machine's path), then
    # only the flags that differ from their defaults
    assert (
        f"```bash\npip install s2h-dpo=={__version__}\ns2h build \\\n  --out {built_dataset.name} \\\n"
        "  --n-per-level 240 \\\n  --seed 1 \\\n  --test-fraction 0.15\n```" in card
    )
    # no repo id given: the snippet names ORG/NAME and says how to fill it in, never the local folder
    assert 'load_dataset("ORG/NAME", "level3", split="train")' in card and str(built_dataset) not in card
    assert tempfile.gettempdir() not in card  # nor where the shared build was made (tests/conftest.py)
    assert "s2h push DIR --repo ORG/NAME" in card
    assert "(https://arxiv.org/abs/2604.18512)" in card  # the Hub links the paper page from it
    # one row as JSON, images described
    example = card.split("```json\n", 1)[1].split("\n```", 1)[0]
    row = json.loads(example)
    assert set(row) == {
        "id",
        "level",
        "task",
        "images",
        "prompt",
        "chosen",
        "rejected",
        "target",
        "similarity",
        "meta",
    }
    assert all(image.startswith("<PIL.Image ") for image in row["images"])
    # per-machine figures stay in the report
    assert "| stage | seconds |" not in card and "cache hit rate" not in card
    yaml = card.split("\n---\n", 1)[0]
    for line in (
        "annotations_creators:\n- machine-generated",
        "multilinguality:\n- monolingual",
        "source_datasets:\n- original",
    ):
        assert line in yaml
    attribution = _section(card, "Attribution")
    assert "Microsoft Fluent Emoji" in attribution and "Copyright (c) Microsoft Corporation" in attribution
    assert "NONINFRINGEMENT" in attribution and "SOFTWARE.\n```" in attribution  # the whole MIT text
    assert "# Fluent Emoji 3D subset" not in card  # not the NOTICE file's own heading
    assert "drawn procedurally" in attribution
    citation = _section(card, "Citation")
    assert (
        "@inproceedings{shukla2026s2hdpo" in citation
        and "Shukla, Nitish and Jandial, Surgan and Ross, Arun" in citation
    )
    assert "## Intended use" in card and "## Limitations" in card
    # the bias audit's figures: the same decimals down a column, a dash where a figure does not apply
    audit = card.split("| level | task | rows | chosen words |", 1)[1].split("\n\n", 1)[0]
    for row in audit.strip().splitlines()[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert all(re.fullmatch(r"\d+\.\d", c) for c in cells[3:5]), row
        assert all(re.fullmatch(r"\d\.\d{3}|–", c) for c in cells[5:]), row
    for plot in ("examples", "length_ratio", "yes_ratio", "similarity", "target_positions"):
        assert f"(plots/{plot}.png)" in card
        assert (built_dataset / "plots" / f"{plot}.png").stat().st_size > 5000
    grid = Image.open(built_dataset / "plots" / "examples.png")
    assert grid.width == 1000 and grid.height > 6 * 200  # two rows per level, each images + three texts
    assert "*The first 6 train rows (two per level), as stored.*" in card


def test_push_rewrites_the_load_snippet(built_dataset, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built_dataset, copy)
    set_repo_id(copy, "someone/s2h-dpo")
    card = (copy / "README.md").read_text(encoding="utf-8")
    assert 'load_dataset("someone/s2h-dpo", "level3", split="train")' in card
    assert str(built_dataset) not in card.split("## Load")[1].split("## ")[0]
    assert "https://huggingface.co/datasets/someone/s2h-dpo" in card


def test_command_is_redacted_and_uses_cli_spelling():
    cfg = BuildConfig(
        out="build/x",
        captioner="openai:https://user:hunter2@api.example/v1#some-model",
        source=["emoji", "imagefolder:/data/pics"],
        filter=False,
        workers=3,
    )
    command = build_command(cfg)
    assert "hunter2" not in command and "user:" not in command
    assert "--source emoji imagefolder:pics" in command and "--no-filter" in command  # no machine path
    assert "--workers 3" in command and "--image-size" not in command and "--shard" not in command


def _stats(length_ratio=1.0, yes_ratio=0.5, positions=(100, 100, 100, 100)):
    task = {
        "level": 3,
        "task": "caption_search",
        "rows": 400,
        "length_ratio": length_ratio,
        "yes_ratio": yes_ratio,
        "similarity_mean": 0.5,
        "similarity_max_kept": 0.7,
    }
    return {"tasks": [task], "target_positions": {"level3": list(positions)}}


def test_audit_warnings_name_figures_out_of_range():
    assert audit_warnings(_stats()) == []
    (warning,) = audit_warnings(_stats(length_ratio=0.535))
    assert warning.startswith(
        "level 3 `caption_search`: length ratio 0.535 is outside its healthy range 0.8-1.25"
    )
    (warning,) = audit_warnings(_stats(yes_ratio=0.8))
    assert "yes ratio 0.8" in warning
    (warning,) = audit_warnings(_stats(positions=(200, 100, 100, 100)))
    assert "level3: the answer sits 2.00x more often" in warning


_TASKS = [
    (1, "caption_indexed"),
    (1, "vqa_indexed"),
    (2, "arithmetic"),
    (2, "compare"),
    (2, "compare_colour"),
    (2, "describe_each"),
    (2, "more_than"),
    (3, "caption_search"),
    (3, "which_image"),
]


def _assert_readable(name: str, fig) -> None:
    """Drawn as a reader sees it: the legend off the axes (so off every bar, whatever its height), and no
    two x tick labels running into each other."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    bars = [patch for container in ax.containers for patch in container.patches]
    assert bars, name
    legend = ax.get_legend()
    if legend is not None:
        box = legend.get_window_extent(renderer)
        assert not box.overlaps(ax.get_window_extent(renderer)), f"{name}: legend inside the axes"
        assert not any(box.overlaps(bar.get_window_extent(renderer)) for bar in bars), name
    # the labels' ink, drawn apart: the even-numbered ones, then the odd-numbered ones (bounding boxes of
    # slanted text always overlap, so compare pixels: any pixel inked by both is an overlap)
    labels = ax.get_xticklabels()
    base, even, odd = (_ink(fig, labels, keep) for keep in (set(), {0}, {1}))
    assert (even != base).any() and ((odd != base).any() or len(labels) == 1), name  # the labels are drawn
    touching = ((even != base) & (odd != base)).any(axis=-1)
    assert not touching.any(), f"{name}: x tick labels overlap ({touching.sum()} pixels)"
    for label in labels:
        label.set_visible(True)


def _ink(fig, labels, keep: set[int]):
    for i, label in enumerate(labels):
        label.set_visible(i % 2 in keep)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def test_plots_have_integer_ticks_and_legends_beside_the_bars():
    figs = figures(_stats(length_ratio=0.535, positions=(7, 5, 6, 3)))
    assert set(figs) == {"length_ratio", "yes_ratio", "similarity", "target_positions"}
    positions = figs["target_positions"].axes[0]
    assert [t.get_text() for t in positions.get_xticklabels()] == ["Image 1", "Image 2", "Image 3", "Image 4"]
    assert all(float(t).is_integer() for t in positions.get_yticks())
    for name, fig in figs.items():
        _assert_readable(name, fig)
    # a bar outside its healthy range is drawn in another colour than one inside it
    stats = _stats(length_ratio=0.535)
    stats["tasks"].append({**stats["tasks"][0], "task": "which_image", "length_ratio": 1.0})
    (bars,) = figures(stats)["length_ratio"].axes[0].containers
    inside, outside = (b.get_facecolor() for b in reversed(bars.patches))
    assert inside != outside


def test_plots_of_a_full_build_stay_readable():
    """Nine tasks with long names (a default build), bars reaching the top: the blind audit's plot too."""
    task = _stats()["tasks"][0]
    tasks = [{**task, "level": lv, "task": t, "length_ratio": 1.24, "yes_ratio": 0.59} for lv, t in _TASKS]
    stats = {"tasks": tasks, "target_positions": {"level1": [9, 9, 9, 9], "level3": [9, 9, 9, 9]}}
    blind = [{"level": lv, "task": t, "length_rule": 0.98, "text_classifier": 0.97} for lv, t in _TASKS]
    for name, fig in {**figures(stats), "blind_audit": blind_audit_figure(blind, 0.6)}.items():
        _assert_readable(name, fig)


def test_any_source_path_renders_as_text_in_the_card(tmp_path):
    """A backtick ends an inline code span early: a source path with one used to render as raw HTML."""
    from markdown_it import MarkdownIt

    from s2h_dataset.build import build

    folder = tmp_path / "pics`<img src=x onerror=alert(1)>```"
    for i, label in enumerate(
        ["peacock", "lamp", "bicycle", "teapot", "guitar", "cactus", "anchor", "violin"]
    ):
        (folder / label).mkdir(parents=True)
        Image.new("RGB", (48, 48), (30 * i, 100, 200)).save(folder / label / "a.png")
    cfg = BuildConfig(
        out=str(tmp_path / "out"),
        source=[f"imagefolder:{folder}"],
        levels="1",
        n_per_level=8,
        test_fraction=0,
        filter=False,
    )
    card = (build(cfg) / "README.md").read_text(encoding="utf-8")
    html = MarkdownIt("commonmark").render(card.split("\n---\n", 1)[1])
    assert "<img src=x" not in html and "onerror=alert(1)>" not in html  # never markup
    shown = "pics`&lt;img src=x onerror=alert(1)&gt;```"
    assert html.count(shown) >= 3  # the command, the sources line and the attribution, as text
    assert f"<code>imagefolder:{shown}</code>" in html  # the folder's name, not the machine's path


def _photo_folder(root):
    for i, label in enumerate(
        ["peacock", "lamp", "bicycle", "teapot", "guitar", "cactus", "anchor", "violin"]
    ):
        (root / label).mkdir(parents=True)
        Image.new("RGB", (48, 48), (30 * i, 100, 200)).save(root / label / "a.png")
    return root


@pytest.mark.slow
def test_a_built_folder_holds_no_machine_path_and_its_card_is_the_same_on_a_rebuild(tmp_path):
    """What `hf upload` would publish names no folder of the build machine; two builds of the same
    arguments elsewhere write byte-identical READMEs (no per-machine timings on the card)."""
    from s2h_dataset.build import build

    photos = _photo_folder(tmp_path / "home" / "me" / "photos")
    cards = []
    for place in ("a", "b"):
        cfg = BuildConfig(
            out=str(tmp_path / place / "s2h-dpo"),
            source=[f"imagefolder:{photos}", "emoji"],
            levels="1,3",
            n_per_level=12,
            test_fraction=0,
            filter=False,
            repo_id="someone/s2h-dpo",
        )
        out = build(cfg)
        for file in out.rglob("*"):
            if file.is_file():
                data = file.read_bytes()
                assert str(tmp_path).encode() not in data, file  # no absolute path of this machine
        cards.append((out / "README.md").read_bytes())
        report = json.loads((out / "build_report.json").read_text())
        assert report["arguments"]["repo_id"] == "someone/s2h-dpo"  # recorded for `s2h push`
        assert report["arguments"]["source"][0] == "imagefolder:photos" and report["timings_s"]
    assert cards[0] == cards[1]
    card = cards[0].decode()
    assert 'load_dataset("someone/s2h-dpo", "level3", split="train")' in card
    assert "--repo-id someone/s2h-dpo" in card


def test_filter_wording_says_per_task_what_was_filtered(built_dataset):
    """caption_search's default rejections are edited near misses, never scored: the card says so."""
    card = (built_dataset / "README.md").read_text(encoding="utf-8")
    text = card.split("Free-text pairs", 1)[1].split("\n\n", 1)[0]
    assert "of `caption_indexed` were filtered" in text
    assert "`caption_search` shipped unfiltered" in text


def test_eval_holdout_still_matches_a_local_source_the_report_names_by_its_last_part(tmp_path):
    """The report records `imagefolder:photos` for `imagefolder:/abs/photos`; `s2h eval --probe-source
    imagefolder:/abs/photos --train-dataset DIR` must still find the build used it."""
    from types import SimpleNamespace

    import pytest

    from s2h_dataset.errors import UserError
    from s2h_dataset.eval.holdout import check_holdout
    from s2h_dataset.layout import split_of

    (tmp_path / "build_report.json").write_text(
        json.dumps({"arguments": {"source": ["imagefolder:photos"], "test_fraction": 0.1}})
    )
    trained = next(
        f"imagefolder:photos/dog/{i}.png"
        for i in range(100)
        if split_of(f"imagefolder:photos/dog/{i}.png", 0.1) == "train"
    )
    with pytest.raises(UserError, match="trained on"):
        check_holdout(str(tmp_path), "imagefolder:/data/me/photos", [SimpleNamespace(source_id=trained)])


def test_the_root_template_is_the_packaged_one():
    """The product's layout keeps `dataset_card.md` at the top level; the package renders (and a wheel ships)
    `s2h_dataset/card/dataset_card.md`: the two must never drift apart."""
    from pathlib import Path

    from s2h_dataset.card.render import TEMPLATE

    root = Path(__file__).resolve().parents[1] / "dataset_card.md"
    assert root.read_bytes() == TEMPLATE.read_bytes(), (
        "copy s2h_dataset/card/dataset_card.md to ./dataset_card.md"
    )
