"""PNG plots of the bias audit for the dataset card (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_plots"]


def write_plots(folder: Path, stats: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    tasks = stats["tasks"]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.bar([t["task"] for t in tasks], [t["length_ratio"] for t in tasks], color="#4c72b0")
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_ylabel("chosen / rejected words")
    ax.set_title("Length ratio per task (1.0 = no length cue)")
    ax.tick_params(axis="x", rotation=25)
    fig.tight_layout()
    fig.savefig(folder / "length_ratio.png", dpi=100, metadata={"Software": None})
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 3.2))
    histograms = stats["target_positions"]
    width = 0.8 / max(len(histograms), 1)
    for i, (name, counts) in enumerate(histograms.items()):
        ax.bar(
            [p + 1 + (i - (len(histograms) - 1) / 2) * width for p in range(len(counts))],
            counts,
            width,
            label=name,
        )
    ax.set_xlabel("target image position")
    ax.set_ylabel("rows")
    ax.set_title("Where the answer is")
    if histograms:
        ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "target_positions.png", dpi=100, metadata={"Software": None})
    plt.close(fig)
