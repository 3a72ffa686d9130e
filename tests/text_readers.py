"""Text-only readers for tests: can chosen be told from rejected without the images, by how often a text recurs?

`frequency_reader` is transductive: for each train pair of a task it counts how often the chosen and the
rejected text occur as a response (chosen or rejected) in the OTHER train rows of the task, and prefers the
more frequent one; ties count half. A task whose chosen texts recur across rows while its rejected texts are
one-off edits scores near 1.0: a DPO model could learn query -> answer from repetition, without looking.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from s2h_dataset.schema import message_text


def read_pairs(folder: str | Path, split: str = "train") -> dict[str, list[tuple[str, str, str, dict]]]:
    """task -> [(prompt, chosen, rejected, meta)] of one split of a built folder."""
    import json

    pairs: dict[str, list] = defaultdict(list)
    for shard in sorted(Path(folder).glob(f"data/level*/{split}-*.parquet")):
        for row in pq.read_table(shard).to_pylist():
            meta = row.get("meta")
            meta = json.loads(meta) if isinstance(meta, str) else (meta or {})
            pairs[row["task"]].append(
                (
                    message_text(row["prompt"]),
                    message_text(row["chosen"]),
                    message_text(row["rejected"]),
                    meta,
                )
            )
    return dict(pairs)


def frequency_reader(pairs: list[tuple]) -> float:
    """Leave-one-out: the share of pairs whose chosen occurs more often than the rejected as a response in
    the other pairs (ties half)."""
    counts = Counter(t for _, chosen, rejected, *_ in pairs for t in (chosen, rejected))
    score = 0.0
    for _, chosen, rejected, *_ in pairs:
        # this row's own two responses are left out (a text that is both chosen and rejected here is no pair)
        c, r = counts[chosen] - 1 - (chosen == rejected), counts[rejected] - 1 - (chosen == rejected)
        score += 1.0 if c > r else 0.5 if c == r else 0.0
    return score / max(len(pairs), 1)
