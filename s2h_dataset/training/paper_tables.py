"""Every row of the S2H-DPO paper's Tables 1-5 and its Level-3 probe claim, numbers exactly as printed.

A row is either reproduced by one of our runs (`run`, see `experiments.RUNS`) or a published reference
(`source`): a number another paper published, which the S2H paper copies and `s2h reproduce` does not
re-run (GPT-4V, LLaVA-RLHF, HA-DPO, POVID, MIA-DPO, ...). The "Delta" rows are differences of printed rows
and are left out. Scores are in %; `mean` is the table's own Average / Mean column.

Known inconsistencies of the paper, kept as printed:
- Table 3's "+L1 (Liu et al., 2025)" row (42.9 / 44.2 / 54.2) is MIA-DPO's published LLaVA-v1.5 row of
  Table 1, not an S2H level-1 run: it is listed as MIA-DPO's reference.
- Table 5 prints its columns as MANTIS, BLINK, NLVR2. Its "+ DPO" row (53.92, 81.71, 50.61) is Table 1's
  Qwen3-VL "+ S2H-DPO" row (BLINK 53.92, MANTIS 81.71) under swapped BLINK / MANTIS headers; its base row
  gives MANTIS 47.00 where Table 1 has BLINK 51.61 (and its BLINK 79.61 is Table 1's MANTIS). Which header is
  right for the GRPO row cannot be told from the paper; the rows here follow Table 5's header.
- The probe claim is text (section 5), not a table: "31.05%, outperforming baseline LLaVA-v1.5 by 6.94%",
  so the baseline's 24.11% is derived (31.05 - 6.94), on 500 ImageNet-validation questions with N in
  {2, 3, 4} distractors. The paper does not name the fine-tuned model; the LLaVA-v1.5 S2H-DPO run is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["NOTES", "ROWS", "TABLES", "Row"]

TABLES = ("1", "2", "3", "4", "5", "probe", "fig5")
MIA = "Liu et al., 2025 (MIA-DPO)"


# printed under a table by `s2h reproduce` (dry run and results): where the paper contradicts itself
NOTES = {
    "3": "+L1 (Liu et al., 2025) is MIA-DPO's published LLaVA-v1.5 row of Table 1, not an S2H level-1 run.",
    "5": "columns as printed (MANTIS, BLINK, NLVR2); the paper is inconsistent: its + DPO row is Table 1's "
    "Qwen3-VL + S2H-DPO row with BLINK and MANTIS swapped, and its base row's MANTIS 47.00 matches no Table 1 "
    "number (Table 1: BLINK 51.61, MANTIS 79.61).",
    "probe": "text, not a table: 31.05% for the fine-tuned model, +6.94 over LLaVA-v1.5 (24.11% derived).",
}


@dataclass(frozen=True)
class Row:
    """One printed row: its table, label, scores (benchmark -> %), and our run or who published it."""

    table: str
    label: str
    scores: dict[str, float] = field(default_factory=dict)
    run: str | None = None  # the run of `experiments.RUNS` that reproduces it
    source: str | None = None  # a published reference: who published the number (not re-run here)


def _multi(blink, mantis, nlvr2, mean) -> dict[str, float]:
    return {"blink": blink, "mantis": mantis, "nlvr2": nlvr2, "mean": mean}


def _single(mmstar, pope, mean) -> dict[str, float]:
    return {"mmstar": mmstar, "pope": pope, "mean": mean}


def _ref(table: str, label: str, scores: dict, source: str) -> Row:
    return Row(table, label, scores, source=source)


ROWS: tuple[Row, ...] = (
    # Table 1: multi-image benchmarks (BLINK, MANTIS, NLVR2, Average)
    _ref("1", "GPT-4V (Achiam et al., 2023)", _multi(51.1, 62.7, 88.8, 67.53), "Achiam et al., 2023"),
    _ref("1", "LLaVA-v1.6 (Li et al., 2025) 7B", _multi(39.6, 45.6, 58.9, 48.03), "Li et al., 2025"),
    _ref("1", "Qwen-VL-Chat (Bai et al., 2023) 7B", _multi(31.2, 39.2, 58.7, 43.03), "Bai et al., 2023"),
    _ref("1", "VideoLLaVA (Lin et al., 2024) 7B", _multi(38.9, 35.9, 56.5, 43.77), "Lin et al., 2024"),
    _ref("1", "Fuyu (Bavishi et al., 2023) 8B", _multi(36.6, 27.2, 51.1, 38.3), "Bavishi et al., 2023"),
    _ref(
        "1", "Idefics2 (Laurençon et al., 2024) 8B", _multi(45.2, 48.9, 86.9, 60.33), "Laurençon et al., 2024"
    ),
    _ref("1", "InstructBLIP (Dai et al., 2023) 13B", _multi(42.2, 45.6, 60.3, 49.37), "Dai et al., 2023"),
    _ref("1", "CogVLM (Wang et al., 2024) 17B", _multi(41.5, 45.2, 58.6, 48.43), "Wang et al., 2024"),
    _ref("1", "Emu2-Chat (Sun et al., 2024) 37B", _multi(36.2, 37.8, 58.2, 44.07), "Sun et al., 2024"),
    Row("1", "LLaVA-v1.5 (Liu et al., 2024a) 7B", _multi(37.1, 41.9, 52.1, 43.7), run="llava-base"),
    _ref("1", "+ LLaVA-RLHF (Sun et al., 2023) 7B", _multi(40.8, 30.4, 51.8, 41.0), "Sun et al., 2023"),
    _ref("1", "+ HA-DPO (Zhao et al., 2023) 7B", _multi(38.6, 34.6, 51.6, 41.6), "Zhao et al., 2023"),
    _ref("1", "+ POVID (Zhou et al., 2024) 7B", _multi(19.9, 37.8, 21.4, 26.37), "Zhou et al., 2024"),
    _ref("1", "+ MIA-DPO (Liu et al., 2025) 7B", _multi(42.9, 44.2, 54.2, 47.1), MIA),
    Row("1", "+ S2H-DPO (Ours) 7B", _multi(43.40, 47.93, 55.59, 48.97), run="llava-dpo"),
    Row("1", "Qwen2.5-VL (Bai et al., 2025b) 7B", _multi(54.29, 68.66, 74.28, 65.74), run="qwen2.5-base"),
    _ref("1", "+ MIA-DPO (Liu et al., 2025) 7B [Qwen2.5-VL]", _multi(41.28, 59.45, 74.18, 58.30), MIA),
    Row("1", "+ S2H-DPO (Ours) 7B [Qwen2.5-VL]", _multi(55.85, 74.19, 74.67, 68.24), run="qwen2.5-dpo"),
    Row("1", "Qwen3-VL (Bai et al., 2025a) 2B", _multi(51.61, 79.61, 49.71, 60.31), run="qwen3-base"),
    Row("1", "+ S2H-DPO (Ours) 2B", _multi(53.92, 81.71, 50.61, 62.08), run="qwen3-dpo"),
    # Table 2: single-image benchmarks (MMStar, POPE, Average)
    _ref("2", "LLaVA-v1.6 (Li et al., 2025) 7B", _single(37.6, 70.3, 53.95), "Li et al., 2025"),
    _ref("2", "Qwen-VL-Chat (Bai et al., 2023) 7B", _single(34.5, 74.9, 54.7), "Bai et al., 2023"),
    _ref("2", "Idefics2 (Laurençon et al., 2024) 8B", _single(49.5, 86.2, 67.85), "Laurençon et al., 2024"),
    _ref("2", "OpenFlamingo (Awadalla et al., 2023) 9B", _single(36.9, 52.6, 44.75), "Awadalla et al., 2023"),
    _ref("2", "InstructBLIP (Dai et al., 2023) 13B", _single(32.7, 86.1, 59.4), "Dai et al., 2023"),
    _ref("2", "CogVLM (Wang et al., 2024) 17B", _single(39.9, 88.0, 63.95), "Wang et al., 2024"),
    _ref("2", "Emu2-Chat (Sun et al., 2024) 37B", _single(40.7, 88.0, 64.35), "Sun et al., 2024"),
    Row("2", "LLaVA-v1.5 (Liu et al., 2024a) 7B", _single(32.9, 85.9, 59.4), run="llava-base"),
    _ref("2", "+ LLaVA-RLHF (Sun et al., 2023) 7B", _single(31.6, 80.8, 56.2), "Sun et al., 2023"),
    _ref("2", "+ HA-DPO (Zhao et al., 2023) 7B", _single(33.5, 84.3, 58.9), "Zhao et al., 2023"),
    _ref("2", "+ POVID (Zhou et al., 2024) 7B", _single(36.2, 86.3, 61.25), "Zhou et al., 2024"),
    _ref("2", "+ MIA-DPO (Liu et al., 2025) 7B", _single(32.9, 87.2, 60.05), MIA),
    Row("2", "+ S2H-DPO (Ours) 7B", _single(33.62, 85.70, 59.66), run="llava-dpo"),
    Row("2", "Qwen2.5-VL (Bai et al., 2025b) 7B", _single(62.24, 83.13, 72.69), run="qwen2.5-base"),
    Row("2", "+ S2H-DPO (Ours) 7B [Qwen2.5-VL]", _single(62.47, 83.59, 73.03), run="qwen2.5-dpo"),
    Row("2", "Qwen3-VL (Bai et al., 2025a) 2B", _single(53.42, 85.28, 69.35), run="qwen3-base"),
    Row("2", "+ S2H-DPO (Ours) 2B", _single(53.62, 85.46, 69.54), run="qwen3-dpo"),
    # Table 3: curriculum (A -> B: B trained after A) vs flat, LLaVA-v1.5 (BLINK, MANTIS, NLVR2, Mean)
    Row("3", "LLaVA-v1.5", _multi(37.1, 41.9, 52.1, 43.70), run="llava-base"),
    _ref("3", "+L1 (Liu et al., 2025)", _multi(42.9, 44.2, 54.2, 47.10), MIA),
    Row("3", "L1 -> L2", _multi(40.2, 39.6, 54.7, 44.83), run="t3-l1-l2"),
    Row("3", "L2 flat", _multi(44.1, 44.7, 55.6, 48.13), run="t3-l2"),
    Row("3", "L1 -> L3", _multi(37.03, 41.0, 54.7, 44.24), run="t3-l1-l3"),
    Row("3", "L3 flat", _multi(43.8, 42.8, 55.2, 47.27), run="t3-l3"),
    Row("3", "L1 -> (L2 u L3)", _multi(40.17, 41.0, 55.5, 45.56), run="t3-l1-l23"),
    Row("3", "(L2 u L3) flat", _multi(43.2, 41.4, 55.0, 46.53), run="t3-l23"),
    Row("3", "L1 -> L2 -> L3", _multi(39.96, 41.4, 55.3, 45.55), run="t3-l1-l2-l3"),
    # Table 4: DPO vs SFT on LLaVA-v1.5 (BLINK, MANTIS, NLVR2, Mean)
    Row("4", "LLaVA", _multi(37.1, 41.9, 52.1, 43.70), run="llava-base"),
    Row("4", "+SFT", _multi(40.52, 45.15, 55.09, 46.92), run="t4-llava-sft"),
    Row("4", "+DPO", _multi(43.40, 47.93, 55.59, 48.97), run="llava-dpo"),
    # Table 5: DPO vs GRPO on Qwen3-VL-2B, columns as printed (MANTIS, BLINK, NLVR2; no mean)
    Row("5", "Qwen3-VL-2B", {"mantis": 47.00, "blink": 79.61, "nlvr2": 49.71}, run="qwen3-base"),
    Row("5", "+ DPO", {"mantis": 53.92, "blink": 81.71, "nlvr2": 50.61}, run="qwen3-dpo"),
    Row("5", "+ GRPO", {"mantis": 61.29, "blink": 70.62, "nlvr2": 61.73}, run="t5-qwen3-grpo"),
    # Section 5's L3 probe (text): 500 ImageNet-validation questions; the baseline is 31.05 - 6.94
    Row("probe", "LLaVA-v1.5 (31.05 - 6.94, derived)", {"l3probe": 24.11}, run="llava-base"),
    Row("probe", "fine-tuned (S2H-DPO)", {"l3probe": 31.05}, run="llava-dpo"),
    # Figure 5: L3 with 2-5 distractors (no numbers printed)
    *(Row("fig5", f"L3, {n} distractors", run=f"f5-l3-d{n}") for n in (2, 3, 4, 5)),
)
