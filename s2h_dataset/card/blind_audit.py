"""Blind audit: can chosen be told from rejected without the images? (per task, text only)

A pair teaches vision only when its text alone does not give the answer away. For every task three blind
readers are scored:

- the length rule: always pick the shorter (or always the longer) answer, whichever does better; ties count
  half. Lengths are in characters, the finest cue a reader has.
- a text-only pairwise classifier: logistic regression on the difference of the two answers' features (word
  1-2-grams of prompt + answer, prompt-answer word overlap, lengths), trained on the train split and scored
  on the test split; when the test split is too small for a stable figure it is 5-fold cross-validated over
  all rows instead (folds by row id, so a row never scores itself).
- the frequency reader (transductive): on the train split, prefer the answer seen more often elsewhere in
  that task's train rows (as a chosen or a rejected of any other row; leave-one-out); ties count half. DPO
  trains on every train row at once, so a chosen text that recurs while each rejected is a one-off edit can
  be memorised without the images; the two inductive readers, trained on train and scored on test with
  disjoint labels, cannot see that.

Chance is 0.5 for all three. A task above `FLAG` (0.60) on any reader is flagged: its pairs can be learned
from text alone. `findings(entry)` says which readers flag it and whether the figure is above the flag level
beyond its 95 % margin (`clearly_flagged`): the build holds such a task back (`holdback.py`).
The audit reads only the text columns, so it runs on any built folder, also one downloaded from the Hub.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from ..layout import parse_shard_path
from ..progress import bar
from ..schema import message_text

__all__ = ["FLAG", "READERS", "blind_audit", "findings", "frequency_reader", "margin", "pair_features"]

FLAG = 0.60  # blind accuracy above this flags a task
MIN_TEST = 200  # fewer test pairs than this: cross-validate over all pairs instead
MAX_PAIRS = 20000  # per task and split; beyond this the figure does not move and fitting only costs time
COLUMNS = ["task", "level", "id", "prompt", "chosen", "rejected"]
_WORD = re.compile(r"[a-z0-9]+")
# reader -> its column in an audit entry and the pair count its figure is measured on
READERS = {
    "length rule": ("length_rule", ("train_pairs", "test_pairs")),
    "text classifier": ("text_classifier", ("train_pairs", "test_pairs")),
    "frequency reader": ("frequency_reader", ("frequency_pairs",)),
}


def _rows(repo: Path) -> dict[tuple[int, str], dict[str, list[tuple[str, str, str, str]]]]:
    """(level, task) -> split -> [(id, prompt, chosen, rejected)], read from every shard's text columns."""
    rows: dict = defaultdict(lambda: defaultdict(list))
    for shard in sorted(Path(repo).glob("data/level*/*.parquet")):
        name = parse_shard_path(shard.relative_to(repo).as_posix())
        split = name.split if name else shard.name.split("-")[0]
        table = pq.read_table(shard, columns=COLUMNS).to_pylist()
        for row in table:
            rows[row["level"], row["task"]][split].append(
                (
                    row["id"],
                    message_text(row["prompt"]),
                    message_text(row["chosen"]),
                    message_text(row["rejected"]),
                )
            )
    return rows


def _overlap(prompt: str, answer: str, words: dict[str, set]) -> list[float]:
    """Prompt-answer word overlap and lengths; `words` holds each prompt's word set, split once."""
    if prompt not in words:
        words[prompt] = set(_WORD.findall(prompt.lower()))
    p, a = words[prompt], _WORD.findall(answer.lower())
    shared = sum(w in p for w in a)
    return [
        shared,
        shared / max(len(a), 1),
        len(p & set(a)) / max(len(p | set(a)), 1),
        len(answer),
        len(a),
        np.log1p(len(answer)),
    ]


def pair_features(vectorizer, prompts: list[str], answers: list[str], grams=None):
    """Sparse features of (prompt, answer): word n-grams of prompt + answer and of the answer alone,
    prompt-answer overlap and lengths. `grams` are the prompt + answer n-grams when already computed."""
    from scipy import sparse

    if grams is None:
        grams = _unique_transform(vectorizer, [f"{p} || {a}" for p, a in zip(prompts, answers)])
    answer_grams = _unique_transform(vectorizer, answers)
    words: dict[str, set] = {}  # prompts recur across answers and rows: split each once
    dense = sparse.csr_matrix(np.array([_overlap(p, a, words) for p, a in zip(prompts, answers)]))
    return sparse.hstack([grams, answer_grams, dense]).tocsr()


def _unique_transform(vectorizer, texts: list[str]):
    """`vectorizer.transform(texts)`, analysing each distinct text once (answers such as "Yes" recur)."""
    unique, inverse = np.unique(np.array(texts, dtype=object), return_inverse=True)
    return vectorizer.transform(list(unique))[inverse.ravel()]


def _pairs(rows: list[tuple[str, str, str, str]]):
    """Difference features X (first - second) and labels y (1: first is chosen) of every pair; the order
    of each pair is flipped by a hash of its id, so about half the pairs have the chosen answer first. The
    vocabulary is fitted on the texts alone (no labels), so fitting it on every row leaks nothing; the
    prompt + answer n-grams come out of that same fit, so each text is analysed once for them."""
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import MaxAbsScaler

    prompts = [r[1] for r in rows]
    vectorizer = CountVectorizer(ngram_range=(1, 2), min_df=2, binary=True, dtype=np.float64)
    both = vectorizer.fit_transform([f"{r[1]} || {r[2]}" for r in rows] + [f"{r[1]} || {r[3]}" for r in rows])
    n = len(rows)
    diff = pair_features(vectorizer, prompts, [r[2] for r in rows], both[:n]) - pair_features(
        vectorizer, prompts, [r[3] for r in rows], both[n:]
    )
    flip = np.array([int(hashlib.sha1(r[0].encode()).hexdigest()[:2], 16) % 2 for r in rows], dtype=bool)
    x = sparse.diags(np.where(flip, -1.0, 1.0)) @ diff
    return MaxAbsScaler().fit_transform(x).tocsr(), (~flip).astype(int)


def _classifier_accuracy(train: list, test: list) -> tuple[float, str]:
    from sklearn.linear_model import LogisticRegression

    every = train + test
    if len(every) < 10:
        return float("nan"), "too few rows"
    x, y = _pairs(every)

    def fit_score(fit: np.ndarray, score: np.ndarray) -> float:
        if len(set(y[fit])) < 2:
            return 0.5
        model = LogisticRegression(C=1.0, fit_intercept=False, solver="liblinear", max_iter=200)
        model.fit(x[fit], y[fit])
        return float((model.predict(x[score]) == y[score]).mean())

    index = np.arange(len(every))
    if len(test) >= MIN_TEST and len(train) >= MIN_TEST:
        return fit_score(index[: len(train)], index[len(train) :]), "train->test"
    folds = np.array([int(hashlib.sha1(r[0].encode()).hexdigest()[2:6], 16) % 5 for r in every])
    scores, weights = [], []
    for k in range(5):
        fit, score = index[folds != k], index[folds == k]
        if len(fit) and len(score):
            scores.append(fit_score(fit, score))
            weights.append(len(score))
    return float(np.average(scores, weights=weights)), "5-fold CV"


def _length_rule(rows: list) -> tuple[float, str]:
    shorter = sum((len(c) < len(r)) + 0.5 * (len(c) == len(r)) for _, _, c, r in rows) / len(rows)
    return (shorter, "shorter") if shorter >= 0.5 else (1 - shorter, "longer")


def frequency_reader(rows: list) -> float:
    """Accuracy of "prefer the answer seen more often in the other rows" over `rows` (one task's train
    pairs): each answer's count of occurrences, as chosen or rejected, in every row but its own; ties 0.5."""
    if not rows:
        return float("nan")
    seen = Counter(text for _, _, chosen, rejected in rows for text in (chosen, rejected))
    right = 0.0
    for _, _, chosen, rejected in rows:
        # leave-one-out: this row's own chosen and rejected are one occurrence each (chosen != rejected)
        own = 1 + (chosen == rejected)
        c, r = seen[chosen] - own, seen[rejected] - own
        right += 1.0 if c > r else 0.5 if c == r else 0.0
    return right / len(rows)


def margin(pairs: int) -> float:
    """Half-width of the 95 % interval of an accuracy near chance measured on `pairs` pairs (binomial)."""
    return 1.96 * math.sqrt(0.25 / max(pairs, 1))


def findings(entry: dict) -> list[dict]:
    """The readers of one audit entry above `FLAG`: reader, accuracy, pairs it is measured on, its 95 %
    margin and whether the figure stays above the flag level beyond that margin (`clear`). Entries of older
    builds lack the frequency reader: only the readers present are read."""
    found = []
    for reader, (column, counted) in READERS.items():
        value = entry.get(column)
        if not isinstance(value, (int, float)) or not value > FLAG:  # NaN (too few rows) is no finding
            continue
        pairs = sum(n for c in counted if isinstance(n := entry.get(c), int))
        half = margin(pairs)
        found.append(
            {
                "reader": reader,
                "accuracy": value,
                "pairs": pairs,
                "margin": round(half, 4),
                "clear": value - half > FLAG,
            }
        )
    return found


def _cap(rows: list) -> list:
    """At most MAX_PAIRS rows, picked by id hash (so the choice does not depend on shard order)."""
    if len(rows) <= MAX_PAIRS:
        return rows
    return sorted(rows, key=lambda r: hashlib.sha1(r[0].encode()).hexdigest())[:MAX_PAIRS]


def blind_audit(repo: str | Path) -> list[dict]:
    """One entry per (level, task): length-rule, text-classifier and frequency-reader accuracy, how measured,
    whether any is above `FLAG` (`flagged`) and whether one is beyond its 95 % margin (`clearly_flagged`)."""
    results = []
    tasks = sorted(_rows(Path(repo)).items())
    for (level, task), splits in bar(tasks, desc="blind audit", unit="task"):  # seconds per task at 20K rows
        train, test = _cap(splits.get("train", [])), _cap(splits.get("test", []))
        every = train + test
        length, direction = _length_rule(every)
        classifier, method = _classifier_accuracy(train, test)
        every_train = splits.get("train", [])  # uncapped: subsampling would hide how often texts recur
        entry = {
            "level": level,
            "task": task,
            "train_pairs": len(train),
            "test_pairs": len(test),
            "length_rule": round(length, 4),
            "length_rule_picks": direction,
            "text_classifier": round(classifier, 4),
            "classifier_scored_on": method,
            "frequency_reader": round(frequency_reader(every_train), 4),
            "frequency_pairs": len(every_train),
        }
        found = findings(entry)
        entry["flagged"] = bool(found)
        entry["clearly_flagged"] = any(f["clear"] for f in found)
        results.append(entry)
    return results
