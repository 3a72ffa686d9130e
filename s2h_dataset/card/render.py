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
from ..tasks import task_list
from .audit import audit, blind_section
from .blind_audit import blind_audit
from .plots import write_plots
from .preview import example_row, write_preview
from .text import (
    AUDIT_COLUMNS,
    CITATION,
    LOAD_END,
    LOAD_START,
    PAPER_URL,
    attribution,
    build_command,
    build_stats,
    code_block,
    code_span,
    filter_text,
    install_spec,
    load_section,
    not_shipped,
    preview_caption,
    warnings_block,
)

__all__ = ["build_command", "load_section", "recorded_repo_id", "set_repo_id", "write_card"]

TAGS = ["dpo", "preference", "multi-image", "vision-language", "s2h-dpo", "trl"]
TEMPLATE = Path(__file__).resolve().parent / "dataset_card.md"

_LOAD = re.compile(f"{re.escape(LOAD_START)}.*?{re.escape(LOAD_END)}", re.DOTALL)


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


def _level_counts(task_counts: dict) -> dict[tuple[int, str], int]:
    """Rows per (level, split) from the audit's rows per (level, task, split)."""
    counts: dict[tuple[int, str], int] = {}
    for (level, _task, split), n in task_counts.items():
        counts[level, split] = counts.get((level, split), 0) + n
    return counts


def _build_fields(cfg: BuildConfig, repo_id: str | None) -> dict[str, str]:
    """The template's fields that come from the build's arguments."""
    return {
        "n_images": cfg.n_images,
        "load_section": load_section(repo_id or cfg.repo_id),
        "paper": PAPER_URL,
        # fenced so that any path shows as text
        "command": code_block(f"pip install {install_spec()}\n{build_command(cfg)}", "bash"),
        "generator": GENERATOR_VERSION,
        "seed": cfg.seed,
        "sources": ", ".join(code_span(strip_paths(redact(s))) for s in cfg.source),
        "test_fraction": cfg.test_fraction,
        "attribution": attribution(cfg.source),
        "citation": CITATION,
        "captioner": code_span(strip_paths(redact(cfg.captioner))),
    }


def _audit_fields(stats: dict, splits: list[str], n_images: int) -> dict[str, str]:
    """The template's tables and warnings from the audit `stats`."""
    task_counts = stats["counts"]
    counts_rows = sorted({(lv, t) for lv, t, _ in task_counts})
    return {
        "task_list": task_list({t for _lv, t, _s in task_counts}),
        "counts_table": _table(
            ["level", "task", *splits],
            [[lv, f"`{t}`", *(task_counts.get((lv, t, s), 0) for s in splits)] for lv, t in counts_rows],
        ),
        "audit_table": _table(
            ["level", "task", *(header for header, _key, _digits in AUDIT_COLUMNS)],
            [
                [t["level"], f"`{t['task']}`"]
                + [
                    t[key] if digits is None else _fixed(t[key], digits)
                    for _header, key, digits in AUDIT_COLUMNS
                ]
                for t in stats["tasks"]
            ],
        ),
        "positions_table": _table(
            ["config", *(f"image {i + 1}" for i in range(n_images))],
            [[name, *hist] for name, hist in stats["target_positions"].items()],
        ),
        "audit_warnings": warnings_block(stats),
    }


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
    get the same card); `captions` names the captioner; `blind` is the blind audit (`blind_audit(repo)`,
    computed when not given), `held_back` the flagged tasks whose rows the build dropped
    (`holdback.hold_back`) and `skipped` the tasks a split could not make (`plan.check_pools`). Returns the
    row count per `level<L>/<split>`."""
    stats = audit(repo)
    counts = _level_counts(stats["counts"])
    splits = sorted({split for _, split in counts}, key=SPLITS.index)
    write_plots(repo / "plots", stats)
    examples = write_preview(repo, repo / "plots" / "examples.png")
    blind = blind_audit(repo) if blind is None else blind
    body = Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        **_build_fields(cfg, repo_id),
        **_audit_fields(stats, splits, cfg.n_images),
        example_row=code_block(example_row(repo), "json"),
        preview_caption=preview_caption(examples),
        filter_text=filter_text(cfg, stats),
        not_shipped=not_shipped(held_back, skipped),
        blind_audit=blind_section(blind, repo / "plots", stats, held_back),
        build_stats=build_stats(captions) + "\n\n" + row_group_summary(repo),
    )
    data = _card_data(repo, cfg, splits, sum(counts.values()), counts)
    atomic_write(repo / "README.md", f"---\n{data.to_yaml()}\n---\n\n{body}".encode())
    return {f"level{level}/{split}": n for (level, split), n in sorted(counts.items())}
