"""The machinery under the reply parser (`vlm.replies`): what a reading is, the marker and negation patterns,
how a reply is split at its answer markers and how the mentions found are decided into one answer.

Also the small readers every answer type shares: a number, and the one answer normaliser. Kept apart from
`replies.py` (the readers per answer type) so each file reads in one sitting.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "ARTICLES",
    "EMPTY",
    "NOTHING",
    "PUNCTUATION",
    "Mention",
    "Reading",
    "clean_reply",
    "decide",
    "is_article",
    "is_bare_letter",
    "letter_mentions",
    "negated",
    "normalize_answer",
    "read_marked_first",
    "read_number",
    "same_answer",
]


@dataclass(frozen=True)
class Reading:
    """What a reply says: `value` (None when unreadable) and, when unreadable, `failure` (why)."""

    value: str | int | None = None
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


Mention = tuple[int, int, object]  # (start, end, value) of one answer the text gives
EMPTY = Reading(failure="empty reply")
NOTHING = Reading(failure="no answer found")
# --- text pieces -------------------------------------------------------------------------------------------

_NEGATION = re.compile(
    r"(?:\bnot|n't|\brather\s+than|\binstead\s+of|\bother\s+than|\bexcept(?:\s+for)?|\bnever|\bneither|\bnor)"
    r"\s+(?:the\s+)?(?:option\s+|choice\s+|letter\s+)?[\(\[]?\s*$",
    re.IGNORECASE,
)
_REJECTED_AFTER = re.compile(
    r"^[\)\]]?\s*(?:is|are|seems|looks|would\s+be|'s)\s+(?:wrong|incorrect|not\b|false|unlikely)", re.I
)
# words after a capital A / I that make it a choice, not an article or a pronoun ("A is right")
_VERBS_AFTER_LETTER = frozenset(
    [
        "is",
        "was",
        "seems",
        "looks",
        "appears",
        "would",
        "should",
        "must",
        "matches",
        "shows",
        "contains",
        "fits",
        "because",
        "since",
        "as",
        "and",
        "or",
    ]
)
_LOWER_OK_AFTER = frozenset(["because", "since", "as", "is", "was", "would", "should", "seems"])
_LETTER = re.compile(r"(?<![A-Za-z0-9'’\\])([\(\[]?)([A-Za-z])([\)\]]?)(?![A-Za-z0-9'’])")
# where an explicit answer starts; the answer is read from the rest of that sentence
_MARKERS = (
    r"\b(?:the\s+)?(?:final\s+|correct\s+|right\s+|best\s+)?answer\s*(?:is|would\s+be|should\s+be|will\s+be|"
    r"must\s+be|:|=|-)?\s*(?:option|choice|letter)?\s*:?",
    r"\b(?:the\s+)?(?:correct|right|best|final)\s+(?:option|choice|image|picture|one)\s*(?:is|would\s+be|:)?",
    r"\bmy\s+(?:answer|choice|pick|guess)\s*(?:is|would\s+be|:)?",
    r"\bI(?:\s*(?:would|will|'d|'ll))?\s+(?:choose|pick|select|go\s+with|say)\b(?:\s+(?:option|choice))?",
    r"答案\s*(?:应该|應該|应|應)?\s*(?:是|为|為)?\s*[:：]?",
    r"(?:故|所以|应|應)?(?:选择|選擇|选|選)\s*(?:项|項)?\s*[:：]?",
)
_MARKER = re.compile("|".join(f"(?:{m})" for m in _MARKERS), re.IGNORECASE)
# "so C." / "Therefore, (B)" / a self-correction "Wait, actually it's C.": only when the rest of the sentence is
# nothing but the answer
_CONCLUSION = re.compile(
    r"\b(?:so|therefore|thus|hence|actually|instead)\s*,?\s+(?:it(?:'s|\s+is)\s+)?", re.IGNORECASE
)
_BOXED = re.compile(r"\\boxed\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_SENTENCE_END = re.compile(r"[.;!?。；！？\n](?=\s|$)|[。；！？\n]")
_UNSURE = re.compile(
    r"\b(?:can(?:no|')t\s+(?:tell|determine|say|be\s+sure)|not\s+sure|unsure|unclear|impossible\s+to\s+(?:tell|say))\b",
    re.I,
)
_JOINER = re.compile(
    r"\s*[\)\]]?\s*(?:,|/|&|\bor\b|\band\b|,\s*or\b|,\s*and\b)\s*[\(\[]?\s*(?:(?:option|choice|image|picture)\s*)?",
    re.I,
)
_RESTATED = re.compile(r"\s*[\(\[]\s*", re.I)
PUNCTUATION = str.maketrans({c: " " for c in string.punctuation})
ARTICLES = frozenset(("a", "an", "the"))


def clean_reply(reply: str) -> str:
    """A raw model reply made readable, before any reader looks at it: NFKC (full-width letters and CJK
    punctuation become ASCII), markdown emphasis and code ticks dropped; case, words and punctuation kept,
    since the readers need them ("A." is a letter, "a" an article). Not `replies.normalize_answer`, which
    makes two answers comparable (lower case, no punctuation, no articles)."""
    text = unicodedata.normalize("NFKC", reply or "")
    return re.sub(r"\*+|`+|__+", "", text).strip()


def negated(text: str, start: int, end: int) -> bool:
    """Whether the mention text[start:end] is ruled out ("not A", "A is wrong")."""
    return bool(_NEGATION.search(text[max(0, start - 30) : start]) or _REJECTED_AFTER.match(text[end:]))


def _sentence(text: str, start: int) -> str:
    match = _SENTENCE_END.search(text, start)
    return text[start : match.start() if match else len(text)]


def _marked(text: str) -> list[tuple[str, bool]]:
    """The text after each explicit marker, in reply order: (segment, strict). A strict segment (after "so")
    counts only when it is nothing but the answer."""
    found = [(m.start(), m.group(1), False) for m in _BOXED.finditer(text)]
    found += [
        (m.start(), _sentence(text, m.end()), False) for m in _MARKER.finditer(text) if m.group().strip()
    ]
    found += [(m.start(), _sentence(text, m.end()), True) for m in _CONCLUSION.finditer(text)]
    return [(segment, strict) for _, segment, strict in sorted(found)]


def decide(values: list, what: str) -> Reading:
    distinct = list(dict.fromkeys(values))
    if not distinct:
        return NOTHING
    if len(distinct) > 1:
        return Reading(failure=f"{len(distinct)} different answers {what}: " + ", ".join(map(str, distinct)))
    return Reading(distinct[0])


def _first_answer(mentions: list[Mention], segment: str) -> list[Mention]:
    """After a marker the answer is its first mention, with any alternatives joined to it ("A or B") and any
    restatement in brackets ("A (Image 2)": two different answers when they disagree)."""
    chosen = mentions[:1]
    for mention in mentions[1:]:
        gap = segment[chosen[-1][1] : mention[0]]
        if not (_JOINER.fullmatch(gap) or _RESTATED.fullmatch(gap)):
            break
        chosen.append(mention)
    return chosen


def read_marked_first(
    text: str, mentions: Callable[[str, bool], list[Mention]], strict_ok: Callable[[str], bool]
) -> Reading:
    """Markers first (last wins; an ambiguous last marker is a failure), then the whole reply's mentions."""
    if not text:
        return EMPTY
    for segment, strict in reversed(_marked(text)):
        if strict and not strict_ok(segment):
            continue
        found = _first_answer(mentions(segment, True), segment)
        reading = decide([value for _, _, value in found], "after the answer marker")
        if reading is not NOTHING:
            return reading
    reading = decide([value for _, _, value in mentions(text, False)], "in the reply")
    if reading is NOTHING and _UNSURE.search(text):
        return Reading(failure="the reply says it cannot tell")
    return reading


# --- letters -----------------------------------------------------------------------------------------------


def is_article(letter: str, text: str, end: int) -> bool:
    """A capital A / I followed directly by a lower-case word ("A cat sits ...", "I think ...")."""
    following = re.match(r"\s+([A-Za-z]+)", text[end:])
    word = following.group(1) if following else ""
    return letter in "AI" and word[:1].islower() and word not in _VERBS_AFTER_LETTER


def letter_mentions(text: str, valid: set[str], marked: bool) -> list[Mention]:
    """(start, end, letter) of each standalone valid choice letter, without negated ones and articles/pronouns.

    Lower-case letters count after a marker ("Answer: b"), in parentheses ("(b)") or as the whole reply."""
    whole = text.strip(" .!:()[]")
    if len(whole) == 1 and whole.upper() in valid:
        return [(0, len(text), whole.upper())]
    found = []
    for match in _LETTER.finditer(text):
        opened, letter, closed = match.groups()
        if letter.upper() not in valid or negated(text, match.start(), match.end()):
            continue
        if letter.islower():
            following = re.match(r"\s+([A-Za-z]+)", text[match.end() :])
            word = following.group(1).lower() if following and not closed else None
            if not (opened and closed) and not (marked and (word is None or word in _LOWER_OK_AFTER)):
                continue
        elif not (opened or closed) and is_article(letter, text, match.end()):
            continue
        found.append((match.start(2), match.end(), letter.upper()))
    return found


def is_bare_letter(segment: str) -> bool:
    return bool(re.fullmatch(r"\s*[\(\[]?[A-Za-z][\)\]]?\s*[.!]?\s*", segment))


# --- numbers -----------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def read_number(reply: str) -> Reading:
    """The last number of the reply, as a float (S2H arithmetic replies explain, then give the result:
    "Image 1 has 2 and Image 3 has 0, so 2 more." -> 2.0)."""
    found = _NUMBER.findall(clean_reply(reply))
    return Reading(float(found[-1])) if found else NOTHING


# --- free-form answers ------------------------------------------------------------------------------------


def normalize_answer(text: str) -> str:
    """The package's one answer normaliser, for comparing two answers (the captioner's gold check, VQA
    wrong-answer draws, GRPO's exact-match shortcut): lower case, punctuation to spaces, articles dropped,
    whitespace collapsed: "The Cat." -> "cat". (`reply_rules.clean_reply` only cleans a raw reply for the
    readers.)"""
    words = text.lower().translate(PUNCTUATION).split()
    return " ".join(w for w in words if w not in ARTICLES)


def same_answer(answer: str | None, gold: str | None) -> bool:
    """Whether two free-form answers say the same ("The cat." / "cat"); None is never the same."""
    return answer is not None and gold is not None and normalize_answer(answer) == normalize_answer(gold)
