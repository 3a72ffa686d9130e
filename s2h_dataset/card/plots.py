"""PNG plots of the bias audit for the dataset card (matplotlib, headless).

`figures(stats)` returns the audit figures and `blind_audit_figure(blind, flag)` the blind audit's (so tests
can read their ticks and legends); `write_plots` and `save` write them. Counts use integer ticks, every
legend sits outside the axes (right of them, where no bar can be), task names are slanted and anchored at
their tick so that nine of them do not run into each other, and each plot marks the healthy value or range.
"""

from __future__ import annotations

from pathlib import Path

from .text import HEALTHY

__all__ = ["PLOTS", "blind_audit_figure", "figures", "save", "write_plots"]

PLOTS = ("length_ratio", "yes_ratio", "similarity", "target_positions")
_BLUE, _ORANGE, _RED, _BAND = "#4c72b0", "#dd8452", "#c44e52", "#55a868"  # red: outside the healthy range
_PURPLE = "#8172b3"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _task_names(tasks: list[dict]) -> list[str]:
    return [f"L{t['level']} {t['task']}" for t in tasks]


def _task_axis(ax, names: list[str]) -> None:
    """Task names under their bars, slanted and right-aligned at the tick; at least 3 slots wide and
    centred (one task: a bar in the middle, not a wall)."""
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right", rotation_mode="anchor")
    middle, half = (len(names) - 1) / 2, max(len(names), 3) / 2
    ax.set_xlim(middle - half - 0.25, middle + half + 0.25)


def _legend_outside(ax) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _bars(plt, tasks, key, title, ylabel, healthy=None, reference=None):
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    shown = [t for t in tasks if t.get(key) is not None]
    if healthy is not None:
        ax.axhspan(*healthy, color=_BAND, alpha=0.15, label="healthy range")
    if reference is not None:
        ax.axhline(reference, color="black", linewidth=0.8, linestyle="--", label=f"{reference:g}")
    values = [t[key] for t in shown]
    outside = [healthy is not None and not healthy[0] <= v <= healthy[1] for v in values]
    ax.bar(range(len(shown)), values, color=[_RED if o else _BLUE for o in outside])
    _task_axis(ax, _task_names(shown))
    if not shown:
        ax.text(0.5, 0.5, "no task with this figure", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if healthy is not None or reference is not None:
        _legend_outside(ax)
    fig.tight_layout()
    return fig


def _similarity(plt, tasks):
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    shown = [t for t in tasks if t.get("similarity_mean") is not None]
    x = list(range(len(shown)))
    ax.bar([i - 0.2 for i in x], [t["similarity_mean"] for t in shown], 0.4, color=_BLUE, label="mean")
    ax.bar(
        [i + 0.2 for i in x], [t["similarity_max_kept"] for t in shown], 0.4, color=_ORANGE, label="max kept"
    )
    _task_axis(ax, _task_names(shown))
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("cosine similarity")
    ax.set_title("Chosen-rejected similarity after the filter" if shown else "Pairs were not filtered")
    if shown:
        _legend_outside(ax)
    fig.tight_layout()
    return fig


def _positions(plt, histograms: dict[str, list[int]]):
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    width = 0.8 / max(len(histograms), 1)
    n_positions = max((len(c) for c in histograms.values()), default=1)
    for i, (name, counts) in enumerate(histograms.items()):
        offset = (i - (len(histograms) - 1) / 2) * width
        colour = (_BLUE, _ORANGE, _BAND)[i % 3]
        ax.bar([p + 1 + offset for p in range(len(counts))], counts, width, color=colour, label=name)
    ax.set_xticks(range(1, n_positions + 1), [f"Image {p}" for p in range(1, n_positions + 1)])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("rows")
    ax.set_title("Where the answer is (target image position)")
    if histograms:
        _legend_outside(ax)
    fig.tight_layout()
    return fig


def figures(stats: dict) -> dict:
    """{plot name: matplotlib Figure} for the audit `stats` (see `s2h_dataset.card.audit.audit`)."""
    plt = _pyplot()
    tasks = stats["tasks"]
    return {
        "length_ratio": _bars(
            plt,
            tasks,
            "length_ratio",
            "Length ratio per task",
            "chosen / rejected words",
            HEALTHY["length_ratio"][:2],
            1.0,
        ),
        "yes_ratio": _bars(
            plt,
            tasks,
            "yes_ratio",
            "Share of yes among yes/no answers",
            "yes-ratio",
            HEALTHY["yes_ratio"][:2],
            0.5,
        ),
        "similarity": _similarity(plt, tasks),
        "target_positions": _positions(plt, stats["target_positions"]),
    }


def blind_audit_figure(blind: list[dict], flag: float):
    """Blind accuracy per task (length rule, text classifier, frequency reader), chance and the flag level
    marked; a reader an entry lacks (an older build's audit, too few rows) draws no bar."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    x = range(len(blind))
    readers = (
        ("length_rule", _BLUE, "length rule"),
        ("text_classifier", _ORANGE, "text classifier"),
        ("frequency_reader", _PURPLE, "frequency reader"),
    )
    for k, (column, colour, label) in enumerate(readers):
        values = [t.get(column) for t in blind]
        values = [v if isinstance(v, (int, float)) and v == v else 0.0 for v in values]
        ax.bar([i + (k - 1) * 0.27 for i in x], values, 0.27, color=colour, label=label)
    ax.axhline(0.5, color="black", linewidth=0.8, linestyle="--", label="chance 0.5")
    ax.axhline(flag, color=_RED, linewidth=0.8, linestyle=":", label=f"flag above {flag:.2f}")
    _task_axis(ax, _task_names(blind))
    ax.set_ylim(0, 1)
    ax.set_ylabel("blind accuracy")
    ax.set_title("Chosen vs rejected told apart without the images")
    _legend_outside(ax)
    fig.tight_layout()
    return fig


def save(fig, path: Path) -> None:
    """Write `fig` as a PNG (cropped to what is drawn, legends outside the axes included) and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, metadata={"Software": None}, bbox_inches="tight")
    _pyplot().close(fig)


def write_plots(folder: Path, stats: dict) -> list[str]:
    """Save every audit plot as `folder/<name>.png`; returns the file names."""
    names = []
    for name, fig in figures(stats).items():
        save(fig, folder / f"{name}.png")
        names.append(f"{name}.png")
    return names
