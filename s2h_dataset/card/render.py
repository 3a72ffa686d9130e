"""Render the dataset card: Hub YAML (configs, dataset_info, license, tags) + the body from `dataset_card.md`.

The YAML is made with the same objects the Hub and `datasets` read (`DatasetCardData`, `MetadataConfigs`,
`DatasetInfosDict`), so `load_dataset(folder, "level3")` and the Hub viewer see the configs we wrote.
"""

from __future__ import annotations

import glob
import json
import re
from pathlib import Path
from string import Template

import datasets
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCardData

from ..atomic import atomic_write
from ..configs import BUILDER_CONFIGS, BuildConfig
from ..layout import REPORT_FILE, SPLITS, shard_glob
from ..redact import redact, strip_paths
from ..rowgroups import row_group_summary
from ..schema import FEATURES, GENERATOR_VERSION
from ..tasks import TASKS, task_list
from .audit import audit, blind_section
from .blind_audit import blind_audit
from .plots import write_plots
from .preview import example_row, write_preview
from .text import (
    CITATION,
    HEALTHY,
    PAPER_URL,
    POSITION_SPREAD,
    attribution,
    audit_warnings,
    build_command,
    code_block,
    code_span,
    install_spec,
    not_shipped,
)

__all__ = ["build_command", "load_section", "recorded_repo_id", "set_repo_id", "write_card"]

TAGS = ["dpo", "preference", "multi-image", "vision-language", "s2h-dpo", "trl"]


_LOAD = re.compile(r"<!-- s2h:load -->.*?<!-- /s2h:load -->", re.DOTALL)


def load_section(repo_id: str | None) -> str:
    """The card's load snippet for the Hub repo `repo_id`; without one, `ORG/NAME` and how to fill it in.
    Never a local path: the card is published as it is (`hf upload` of the folder works too)."""
    target = repo_id or "ORG/NAME"
    note = (
        f"Hub repo: [{repo_id}](https://huggingface.co/datasets/{repo_id})."
        if repo_id
        else "Replace `ORG/NAME` with the Hub repo this folder is uploaded to (`s2h push DIR --repo ORG/NAME` "
        "writes it here, as does `s2h build --repo-id ORG/NAME`); a local copy loads with its folder path."
    )
    snippet = (
        "from datasets import load_dataset\n\n"
        f'ds = load_dataset({json.dumps(target, ensure_ascii=False)}, "level3", split="train")\n'
        "row = ds[0]  # images: list of PIL images; prompt / chosen / rejected: chat messages"
    )
    return f"<!-- s2h:load -->\n{code_block(snippet, 'python')}\n{note}\n<!-- /s2h:load -->"


def recorded_repo_id(folder: str | Path) -> str | None:
    """The `--repo-id` the build in `folder` recorded (its report's arguments), or None."""
    try:
        report = json.loads((Path(folder) / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return ((report.get("arguments") or {}) if isinstance(report, dict) else {}).get("repo_id")


def set_repo_id(folder: str | Path, repo_id: str) -> bool:
    """Point the card's load snippet in `folder` at the Hub repo `repo_id` (done by `s2h push`); return
    whether the card changed (it is rewritten only then)."""
    card = Path(folder) / "README.md"
    if not card.is_file():
        return False  # validation names the missing card
    text = card.read_text(encoding="utf-8")
    new = _LOAD.sub(lambda _m: load_section(repo_id), text, count=1)
    if new == text:
        return False
    atomic_write(card, new.encode())
    return True


def _size_category(n: int) -> str:
    for limit, name in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
    ):
        if n < limit:
            return name
    return "1M<n<10M"


def _card_data(repo: Path, cfg: BuildConfig, splits: list[str], total: int, counts: dict) -> DatasetCardData:
    hub = sorted({s.split(":")[1].split("@")[0] for s in cfg.source if s.startswith("hub:")})
    data = DatasetCardData(
        license=cfg.license,
        task_categories=["image-text-to-text"],
        language=["en"],
        # the Hub's card metadata fields (huggingface_hub DatasetCardData / the Hub's dataset card spec)
        annotations_creators=["machine-generated"],
        language_creators=["machine-generated"],
        multilinguality=["monolingual"],
        source_datasets=["original", *(f"extended|{repo}" for repo in hub)],
        tags=TAGS,
        size_categories=[_size_category(total)],
        pretty_name="S2H-DPO",
    )
    configs, infos = {}, {}
    for config in BUILDER_CONFIGS:
        files = {}  # split -> patterns of the config's levels that have shards in that split
        for split in splits:
            patterns = [shard_glob(lv, split) for lv in config.levels if (lv, split) in counts]
            if patterns:
                files[split] = patterns
        if not files:
            continue
        configs[config.name] = {"data_files": [{"split": s, "path": p} for s, p in files.items()]}
        if config.name == "all":
            configs[config.name]["default"] = True
        split_infos = []
        for split, patterns in files.items():
            size = sum(Path(f).stat().st_size for p in patterns for f in glob.glob(str(repo / p)))
            rows = sum(counts.get((lv, split), 0) for lv in config.levels)
            split_infos.append(datasets.SplitInfo(name=split, num_examples=rows, num_bytes=size))
        infos[config.name] = datasets.DatasetInfo(
            features=FEATURES,
            splits=datasets.SplitDict({s.name: s for s in split_infos}),
            download_size=sum(s.num_bytes for s in split_infos),
            dataset_size=sum(s.num_bytes for s in split_infos),
        )
    MetadataConfigs(configs).to_dataset_card_data(data)
    DatasetInfosDict(infos).to_dataset_card_data(data)
    return data


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _fixed(value: float | None, digits: int) -> str:
    """A column of figures with the same number of decimals (`1.000` beside `1.042`, not `1.0`); a dash
    where the figure does not apply (no yes/no answers, pairs not filtered)."""
    return "–" if value is None else f"{value:.{digits}f}"


def _build_stats(captions: dict) -> str:
    """The captioner; per-machine figures (seconds per stage, cache hits) stay in build_report.json, so two
    builds of the same bytes have the same card."""
    return (
        f"Captioner {code_span(captions.get('captioner', 'reference'))}. Seconds per stage and caption-cache "
        f"figures of the machine(s) that built it are in `{REPORT_FILE}` (`timings_s`, `captions`); they do "
        "not change the data."
    )


def _filter_text(cfg: BuildConfig, stats: dict) -> str:
    """What the similarity filter did, task by task, as it was: a free-text task whose rows carry a score
    was filtered; one without (caption_search with only edited near misses) was not."""
    if not cfg.filter:
        return "Pairs were not filtered (`--no-filter`)."
    scored = {t["task"] for t in stats["tasks"] if t.get("similarity_mean") is not None}
    shipped = {t["task"] for t in stats["tasks"]}
    free = [t.name for t in TASKS.values() if t.free_text and t.name in shipped]
    filtered = [f"`{name}`" for name in free if name in scored]
    lines = []
    if filtered:
        lines.append(
            f"Free-text pairs of {', '.join(filtered)} were filtered with `{strip_paths(cfg.filter_model)}`: "
            f"within each task, answer and wording, pairs above the {cfg.filter_quantile:g} quantile of "
            "chosen-rejected cosine similarity were dropped"
            + (
                " (in `caption_search`, only its `describe` rejections)."
                if "caption_search" in scored
                else "."
            )
        )
    unfiltered = [f"`{name}`" for name in free if name not in scored]
    if unfiltered:
        lines.append(
            f"{', '.join(unfiltered)} shipped unfiltered: its rejections are edited near misses (one fact "
            "changed, a distractor's caption claiming the query), similar by design."
        )
    lines.append(
        "Minimal pairs (yes/no flips, one number or one image changed) are similar by design and are never "
        "filtered."
    )
    return " ".join(lines)


def write_card(
    repo: Path,
    cfg: BuildConfig,
    timings: dict[str, float],
    captions: dict,
    repo_id: str | None = None,
    blind: list[dict] | None = None,
    held_back: list[dict] = (),
    skipped: list[dict] = (),
) -> dict[str, int]:
    """Write README.md (YAML + body) and the audit plots into `repo`, from the shards it holds.

    `timings` (seconds per stage so far) stay in the report, not on the card (two builds of the same bytes
    get the same card); `captions` names the captioner; `blind` is the blind audit (`blind_audit(repo)`, computed when not given),
    `held_back` the flagged tasks whose rows the build dropped (`holdback.hold_back`) and `skipped` the
    tasks a split could not make (`plan.check_pools`). Returns the row count per `level<L>/<split>`."""
    stats = audit(repo)
    task_counts = stats["counts"]
    counts: dict[tuple[int, str], int] = {}
    for (level, _task, split), n in task_counts.items():
        counts[level, split] = counts.get((level, split), 0) + n
    splits = sorted({split for _, split in counts}, key=SPLITS.index)
    write_plots(repo / "plots", stats)
    counts_rows = sorted({(lv, t) for lv, t, _ in task_counts})
    warnings = audit_warnings(stats)
    examples = write_preview(repo, repo / "plots" / "examples.png")
    body = Template(
        (Path(__file__).resolve().parent / "dataset_card.md").read_text(encoding="utf-8")
    ).substitute(
        n_images=cfg.n_images,
        load_section=load_section(repo_id or cfg.repo_id),
        example_row=code_block(example_row(repo), "json"),
        paper=PAPER_URL,
        # fenced so that any path shows as text
        command=code_block(f"pip install {install_spec()}\n{build_command(cfg)}", "bash"),
        generator=GENERATOR_VERSION,
        seed=cfg.seed,
        sources=", ".join(code_span(strip_paths(redact(s))) for s in cfg.source),
        test_fraction=cfg.test_fraction,
        filter_text=_filter_text(cfg, stats),
        task_list=task_list({t for _lv, t, _s in task_counts}),
        not_shipped=not_shipped(held_back, skipped),
        counts_table=_table(
            ["level", "task", *splits],
            [[lv, f"`{t}`", *(task_counts.get((lv, t, s), 0) for s in splits)] for lv, t in counts_rows],
        ),
        audit_table=_table(
            [
                "level",
                "task",
                "rows",
                "chosen words",
                "rejected words",
                "length ratio",
                "yes-ratio",
                "mean sim.",
                "max sim. kept",
            ],
            [
                [
                    t["level"],
                    f"`{t['task']}`",
                    t["rows"],
                    _fixed(t["chosen_words"], 1),
                    _fixed(t["rejected_words"], 1),
                    _fixed(t["length_ratio"], 3),
                    _fixed(t["yes_ratio"], 3),
                    _fixed(t["similarity_mean"], 3),
                    _fixed(t["similarity_max_kept"], 3),
                ]
                for t in stats["tasks"]
            ],
        ),
        blind_audit=blind_section(
            blind_audit(repo) if blind is None else blind, repo / "plots", stats, held_back
        ),
        positions_table=_table(
            ["config", *(f"image {i + 1}" for i in range(cfg.n_images))],
            [[name, *hist] for name, hist in stats["target_positions"].items()],
        ),
        attribution=attribution(cfg.source),
        citation=CITATION,
        captioner=code_span(strip_paths(redact(cfg.captioner))),
        preview_caption=f"The first {examples} train rows (two per level), as stored."
        if examples
        else "No train rows to preview.",
        audit_warnings="\n".join(f"> ⚠️ **Warning**: {w}" for w in warnings)
        or "All audit figures are within their healthy ranges (length ratio {:g}-{:g}, yes-ratio {:g}-{:g}, "
        "target positions within {:g}x of each other).".format(
            *HEALTHY["length_ratio"][:2], *HEALTHY["yes_ratio"][:2], POSITION_SPREAD
        ),
        build_stats=_build_stats(captions) + "\n\n" + row_group_summary(repo),
    )
    data = _card_data(repo, cfg, splits, sum(counts.values()), counts)
    atomic_write(repo / "README.md", f"---\n{data.to_yaml()}\n---\n\n{body}".encode())
    return {f"level{level}/{split}": n for (level, split), n in sorted(counts.items())}
