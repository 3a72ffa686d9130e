"""The dataset card's prose that depends on the build: the command as run, the load snippet, the filter and
captioner, attribution, citation, warnings, the audit table's columns.

Kept apart from `render.py` (which assembles the card and its Hub YAML and holds no prose) so each piece is
plain data or a small pure function: `ATTRIBUTION` is a table keyed by source prefix, `HEALTHY` the audit's
healthy ranges. The prose that does not depend on the build is the template, `dataset_card.md`.
"""

from __future__ import annotations

import dataclasses
import json
import re

from .. import __version__
from ..configs import BuildConfig
from ..layout import REPORT_FILE
from ..redact import redact, strip_paths
from ..tasks import TASKS

__all__ = [
    "ATTRIBUTION",
    "AUDIT_COLUMNS",
    "BIBTEX",
    "CITATION",
    "HEALTHY",
    "LOAD_END",
    "LOAD_START",
    "MIT_LICENSE",
    "PACKAGE",
    "PAPER_URL",
    "attribution",
    "audit_warnings",
    "build_command",
    "build_stats",
    "code_block",
    "code_span",
    "filter_text",
    "install_spec",
    "load_section",
    "not_shipped",
    "preview_caption",
    "warnings_block",
]

PACKAGE = "s2h-dpo"  # the distribution name (pyproject.toml `[project] name`)
# the paper on arXiv (its id is the eprint of the BibTeX below); the Hub links a card's arxiv.org URLs to
# the paper's page
PAPER_URL = "https://arxiv.org/abs/2604.18512"


def install_spec() -> str:
    """`s2h-dpo==VERSION`: the package that wrote the card, as pip installs it."""
    return f"{PACKAGE}=={__version__}"


# not part of the command a reader should rerun: how it was run here, not what it makes
_NOT_IN_COMMAND = ("overwrite", "quiet", "shard")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def code_span(text: str) -> str:
    """`text` as inline code that renders as that text whatever it holds (backticks, `<tags>`, `*`): a
    delimiter longer than any backtick run inside (CommonMark), control characters shown escaped (a line
    break would end the span)."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    fence = "`" * (_longest_backticks(text) + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str, language: str = "") -> str:
    """`text` as a fenced code block that no line of it can close: the fence is longer than any backtick
    run inside."""
    fence = "`" * max(3, _longest_backticks(text) + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def build_command(cfg: BuildConfig) -> str:
    """The `s2h build` command as run: `--out` as given, then each flag that differs from its default, in
    the CLI's spelling; credentials (URL user info, keys) redacted, absolute paths cut to their last part."""
    defaults = BuildConfig(out=cfg.out)
    parts = ["s2h build", f"--out {strip_paths(cfg.out)}"]
    for f in dataclasses.fields(BuildConfig):
        if f.name in ("out", *_NOT_IN_COMMAND) or not f.init:
            continue
        value = getattr(cfg, f.name)
        if value == getattr(defaults, f.name):
            continue
        flag = "--" + f.name.replace("_", "-")
        if isinstance(value, bool):
            parts.append(flag if value else "--no-" + f.name.replace("_", "-"))
        elif isinstance(value, list):
            parts.append(" ".join([flag, *(strip_paths(redact(str(v))) for v in value)]))
        elif value is not None:
            parts.append(f"{flag} {strip_paths(redact(str(value)))}")
    return " \\\n  ".join(parts)


MIT_LICENSE = """Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE."""

_EMOJI = (
    "- **Images (`emoji`)**: 849 renders of [Microsoft Fluent Emoji](https://github.com/microsoft/fluentui-emoji) "
    "(3D style), Copyright (c) Microsoft Corporation, MIT License (full text below); taken from the npm "
    "package `@lobehub/fluent-emoji-3d` 1.1.0.\n"
    "- **Labels of those images**: names and categories from the npm package `emoji-datasource-apple` 16.0.0 "
    "([iamcal/emoji-data](https://github.com/iamcal/emoji-data), MIT License, "
    "[licence text](https://github.com/iamcal/emoji-data/blob/master/LICENSE))."
)

# source prefix -> attribution line(s); `{spec}` is the source as given, as inline code (`code_span`)
ATTRIBUTION: dict[str, str] = {
    "emoji": _EMOJI,
    "arithmetic": "- **Shapes (`arithmetic`)**: drawn procedurally by the generator; no third-party content.",
    "hub": "- **{spec}**: images and labels keep the licence of that dataset; see its card{card}.",
    "imagefolder": "- **{spec}**: local images; their licence is the builder's to state here.",
    "llava": "- **{spec}**: LLaVA-format VQA samples; the images keep the licences of their source "
    "datasets (COCO, GQA, OCR-VQA, TextVQA, Visual Genome for LLaVA-665k).",
    "kinship": "- **{spec}**: face images of a kinship dataset (FIW or KinFaceW); they keep that "
    "dataset's licence and terms of use (research only for both).",
}
_HUB_REPO = re.compile(r"[\w.-]+(/[\w.-]+)?")


def attribution(sources: list[str]) -> str:
    """Attribution lines for every source of the build, then the MIT text when a bundled source is used."""
    lines = []
    for source in sources:
        prefix, _, arg = source.partition(":")
        template = ATTRIBUTION.get(prefix, "- **{spec}**: keeps its own licence.")
        repo = arg.split(":")[0].split("@")[0]  # a Hub id gets a link; a local dataset path does not
        card = f" (https://huggingface.co/datasets/{repo})" if _HUB_REPO.fullmatch(repo) else ""
        lines.append(template.format(spec=code_span(strip_paths(redact(source))), card=card))
    text = "\n".join(lines)
    if "emoji" in sources:
        text += (
            "\n\n<details><summary>MIT License (Microsoft Fluent Emoji; emoji-datasource)</summary>\n\n"
            f"```text\nMIT License\n\nCopyright (c) Microsoft Corporation.\n\n{MIT_LICENSE}\n```\n\n</details>"
        )
    return text


# the paper's BibTeX: the card's citation and the builder script's (`s2h_dataset.py`) `DatasetInfo.citation`
BIBTEX = """@inproceedings{shukla2026s2hdpo,
  title     = {{S2H-DPO}: Hardness-Aware Preference Optimization for Vision-Language Models},
  author    = {Shukla, Nitish and Jandial, Surgan and Ross, Arun},
  booktitle = {Findings of the Association for Computational Linguistics: ACL 2026},
  year      = {2026},
  eprint    = {2604.18512},
  archivePrefix = {arXiv}
}"""

CITATION = f"""If you use this dataset, please cite the S2H-DPO paper:

```bibtex
{BIBTEX}
```

and the sources of its images (see Attribution): for the bundled images, Microsoft's
[Fluent Emoji](https://github.com/microsoft/fluentui-emoji) repository."""

# audit figure -> (low, high, why a value outside is a problem). Similarity has no bound: templated pairs
# ("3 circles" / "4 circles") are rightly near-identical texts.
HEALTHY: dict[str, tuple[float, float, str]] = {
    "length_ratio": (0.8, 1.25, "chosen and rejected differ in length, so length alone hints at the answer"),
    "yes_ratio": (0.4, 0.6, "yes and no answers are unbalanced, so answering one of them scores well"),
}
POSITION_SPREAD = 1.5  # most / least frequent target position above this: position alone is a cue


def audit_warnings(stats: dict) -> list[str]:
    """One line per audit figure outside its healthy range (per task), and per skewed target histogram."""
    warnings = []
    for task in stats["tasks"]:
        for key, (low, high, why) in HEALTHY.items():
            value = task.get(key)
            if value is None:
                continue
            if not low <= value <= high:
                warnings.append(
                    f"level {task['level']} `{task['task']}`: {key.replace('_', ' ')} {value:g} is outside "
                    f"its healthy range {low:g}-{high:g}: {why}."
                )
    for name, counts in stats["target_positions"].items():
        used = [c for c in counts if c]
        if len(used) > 1 and sum(used) >= 20 * len(counts) and max(used) / min(used) > POSITION_SPREAD:
            warnings.append(
                f"{name}: the answer sits {max(used) / min(used):.2f}x more often at its most frequent position "
                "than at its least frequent one: position alone is a cue."
            )
    return warnings


def not_shipped(held_back: list[dict], skipped: list[dict]) -> str:
    """The card's list of the tasks this build does not ship: held back by the blind audit (`holdback.py`;
    its figures are in the blind audit section) and those a split's sources cannot make, with the reason."""
    lines = [
        f"- level {h['level']} `{h['task']}`: held back, its pairs can be told apart without the images "
        "(see the blind audit below)"
        for h in held_back
    ]
    lines += [
        f"- level {s['level']} `{s['task']}`, {s['split']} split: skipped, the sources cannot make it "
        f"({s['reason']})"
        for s in skipped
    ]
    return ("Not in this build:\n\n" + "\n".join(lines)) if lines else ""


def warnings_block(stats: dict) -> str:
    """The card's audit warnings as Markdown quotes, or one line saying every figure is in its range."""
    warnings = audit_warnings(stats)
    if warnings:
        return "\n".join(f"> ⚠️ **Warning**: {w}" for w in warnings)
    return (
        "All audit figures are within their healthy ranges (length ratio {:g}-{:g}, yes-ratio {:g}-{:g}, "
        "target positions within {:g}x of each other)."
    ).format(*HEALTHY["length_ratio"][:2], *HEALTHY["yes_ratio"][:2], POSITION_SPREAD)


# the bias audit table after `level` and `task`: (column header, audit figure, decimals; None: as counted)
AUDIT_COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("rows", "rows", None),
    ("chosen words", "chosen_words", 1),
    ("rejected words", "rejected_words", 1),
    ("length ratio", "length_ratio", 3),
    ("yes-ratio", "yes_ratio", 3),
    ("mean sim.", "similarity_mean", 3),
    ("max sim. kept", "similarity_max_kept", 3),
)


def preview_caption(examples: int) -> str:
    """The caption under the example grid of `examples` rows."""
    return (
        f"The first {examples} train rows (two per level), as stored."
        if examples
        else "No train rows to preview."
    )


def build_stats(captions: dict) -> str:
    """The captioner; per-machine figures (seconds per stage, cache hits) stay in build_report.json, so two
    builds of the same bytes have the same card."""
    return (
        f"Captioner {code_span(captions.get('captioner', 'reference'))}. Seconds per stage and caption-cache "
        f"figures of the machine(s) that built it are in `{REPORT_FILE}` (`timings_s`, `captions`); they do "
        "not change the data."
    )


# the load snippet sits between these markers, so `s2h push --repo` can point it at the repo
LOAD_START, LOAD_END = "<!-- s2h:load -->", "<!-- /s2h:load -->"


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
    return f"{LOAD_START}\n{code_block(snippet, 'python')}\n{note}\n{LOAD_END}"


def filter_text(cfg: BuildConfig, stats: dict) -> str:
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
