"""Label text helpers: near-synonym guard for distractors, articles and ordinals for prompts.

Two labels conflict when they share a content word after light normalisation ("car" / "racing car",
"clock11" / "clock1130", "umbrella" / "closed umbrella"). The guard is deliberately conservative: a
distractor that merely shares a word with the target is redrawn, never kept.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["ORDINALS", "conflicts", "content_words", "with_article"]

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "with",
        "and",
        "or",
        "in",
        "on",
        "at",
        "to",
        "for",
        "by",
        "from",
        "its",
        "it",
        "face",
        "sign",
        "symbol",
        "button",
        "mark",
    ]
)
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@cache
def content_words(label: str) -> frozenset[str]:
    """Lower-cased singular content words; digits are split off letters and dropped ("clock11" -> clock)."""
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", label.lower())
    words = {_singular(w) for w in re.split(r"[^a-z0-9]+", text) if w and not w.isdigit()}
    return frozenset(words - STOPWORDS) or frozenset({label.lower().strip()})


def conflicts(a: str, b: str) -> bool:
    """True when two labels may name the same thing; unlabelled records (empty label) never conflict."""
    return bool(a and b and content_words(a) & content_words(b))


def with_article(label: str) -> str:
    """'peacock' -> 'a peacock', 'umbrella' -> 'an umbrella'; labels already starting with one are kept."""
    lowered = label.lower()
    if lowered.startswith(("a ", "an ", "the ")) or (lowered.endswith("s") and not lowered.endswith("ss")):
        return label
    return ("an " if lowered[:1] in "aeiou" else "a ") + label
