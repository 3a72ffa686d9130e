"""The one reply parser: a model's raw reply -> the answer it gives, or a failure with its reason.

Eval (every benchmark and the Level-3 probe), the Space's highlight and anything else that asks a model a
closed question read replies here, so a reply means the same everywhere. The rules, in order:

1. explicit final markers ("the answer is D", "Answer: b", "so C.", "I choose B", `\\boxed{C}`, "答案：C",
   "答案是B", "选C"); when there are several the LAST one wins ("... A? No, the answer is D" -> D);
2. else the reply's lone answer tokens: a standalone valid letter ("B", "(C)", "A. a red car"), yes/no,
   true/false, an image reference ("Image 2", "the third picture", "the last one", "Picture three");
3. else (letters) a unique option-text match ("blue bus" for "(B) blue bus").

Two different answers ("B or C", "(B) and (C)", "Image 1 and Image 2") are a failure, never the first one.
A mention that is negated ("C, not A", "image 2, not image 4", "Option A is wrong") is not an answer. The
article / pronoun guard keeps "A cat sits ..." and "I think ..." from reading as A or I, but only when a
lower-case word follows directly, so "A. a red car", "A) ...", "A: ..." and "A, ..." all read A.

The shared machinery (markers, negation, deciding) is in `reply_rules.py`. Nothing here imports torch or
transformers: this module sits at the bottom of the import graph.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..labels import ORDINALS
from .reply_rules import (
    ARTICLES,
    EMPTY,
    NOTHING,
    PUNCTUATION,
    Mention,
    Reading,
    clean_reply,
    decide,
    is_article,
    is_bare_letter,
    letter_mentions,
    negated,
    normalize_answer,
    read_marked_first,
    read_number,
    same_answer,
)

__all__ = [
    "READ_AS",
    "TASK_READERS",
    "Reading",
    "normalize_answer",
    "option_text",
    "read_letter",
    "read_number",
    "read_position",
    "read_positions",
    "read_reply",
    "read_short",
    "read_true_false",
    "read_yes_no",
    "same_answer",
]

# how an eval item's reply is read (its `answer_type`): the parser's own vocabulary, distinct from the S2H
# tasks' answer kinds (`tasks.ANSWER_KINDS`), which `TASK_READERS` below maps onto the readers
READ_AS = ("letter", "yesno", "truefalse", "position", "short")

_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_ORDINAL_WORDS = (*ORDINALS, "ninth", "tenth")[:10]
_NOUN = r"(?:image|picture|photo|photograph|img|pic|figure)s?"
_NOUN_NUMBER = re.compile(
    rf"\b{_NOUN}\s*(?:#|no\.?|number|-)?\s*(\d{{1,2}}|{'|'.join(_NUMBER_WORDS)})\b(?![.,]\d)", re.I
)
_NOUN_LETTER = re.compile(rf"\b(?i:{_NOUN})\s+[\(\[]?([A-Z])[\)\]]?(?![A-Za-z0-9'’])")
_ORDINAL = re.compile(
    rf"\b({'|'.join(_ORDINAL_WORDS)}|\d{{1,2}}(?:st|nd|rd|th)|last)\s+(?:{_NOUN}|one)\b", re.I
)
_BARE_POSITION = re.compile(
    rf"^\W*?(?:the\s+)?(\d{{1,2}}|{'|'.join(_NUMBER_WORDS)}|{'|'.join(_ORDINAL_WORDS)}|\d{{1,2}}(?:st|nd|rd|th)|last)"
    r"(?:\s+one)?\W*$",
    re.I,
)
_OPTION_PREFIX = re.compile(r"^\s*(?:\(([A-Z])\)|([A-Z])[\.\):])\s*")


def option_text(option: str) -> str:
    """'(B) red car' / 'B. red car' / 'B: red car' -> 'red car'; unprefixed options are returned as is."""
    return _OPTION_PREFIX.sub("", option, count=1).strip()


def _words(text: str) -> str:
    words = text.lower().translate(PUNCTUATION).split()
    while words and words[0] in ARTICLES:
        words = words[1:]
    return " ".join(words)


def _option_match(text: str, choices: Sequence[str], options: Sequence[str]) -> Reading:
    """The one option whose text the reply is, else the one option whose text the reply contains."""
    texts = [_words(option_text(o)) for o in options]
    reply = _words(text)
    exact = [c for c, t in zip(choices, texts) if t and t == reply]
    if exact:
        return decide(exact, "among the option texts")
    padded = f" {' '.join(text.lower().translate(PUNCTUATION).split())} "
    hits = []
    for choice, t in zip(choices, texts):
        at = padded.find(f" {t} ") if t else -1
        if at >= 0 and not negated(padded, at + 1, at + 1 + len(t)):
            hits.append((choice, t))
    # "red car" inside a reply that also names "a big red car": only the longer option is meant
    hits = [(c, t) for c, t in hits if not any(t != u and f" {t} " in f" {u} " for _, u in hits)]
    return decide([c for c, _ in hits], "among the option texts")


def read_letter(reply: str, choices: Sequence[str], options: Sequence[str] = ()) -> Reading:
    """A choice letter among `choices`; `options` (texts, same order) let an option's text count."""
    valid = {c.upper() for c in choices}
    text = clean_reply(reply)
    reading = read_marked_first(text, lambda t, marked: letter_mentions(t, valid, marked), is_bare_letter)
    if reading is NOTHING and options:
        reading = _option_match(text, list(choices), list(options))
    return reading


# --- yes / no and true / false -----------------------------------------------------------------------------

_YES = r"yes|yeah|yep|yup"
_NO = r"no|nope|nah"
_SEES_NOT = re.compile(
    r"\b(?:do(?:es)?\s*n[o']t|can(?:no|')?t|could\s*n[o']t|did\s*n[o']t)\s+(?:see|find|spot|notice|detect|observe|contain|show|have)\b"
    r"|\bthere(?:\s+is|'s|\s+are)\s+(?:no|not)\b|\b(?:is|are)\s*n[o']t\s+(?:any|present|visible|there|in\b)"
    r"|\bnot\s+(?:present|visible)\b|\bno\s+sign\s+of\b",
    re.I,
)
# saying the thing is there: "There is a dog in the image." / "There are two dogs" / "A dog is visible"
_SEES = re.compile(
    r"\bthere(?:\s+is|'s|\s+are)\s+(?:a|an|one|some|several|many|two|three|four|five|\d+)\b"
    r"|\b(?:is|are)\s+(?:present|visible)\b|\bI\s+(?:can\s+)?see\s+(?:a|an|one|some|two|three|\d+)\b",
    re.I,
)


def _seen(text: str) -> list[Mention]:
    """What a free-text reply says about the object's presence: "no" mentions ("I don't see a dog") and
    "yes" mentions ("There is a dog") that no negation covers."""
    absent = [(m.start(), m.end(), "no") for m in _SEES_NOT.finditer(text)]
    present = [
        (m.start(), m.end(), "yes")
        for m in _SEES.finditer(text)
        if not any(a <= m.start() <= b + 1 for a, b, _ in absent)
    ]
    return sorted(absent + present)


def _words_of(pairs: dict[str, str], text: str) -> list[Mention]:
    """Which of the two answers `text` gives: its words ("yes", "nope"), negations flipped ("not true")."""
    found = []
    for value, pattern in pairs.items():
        for match in re.finditer(rf"\b(?:{pattern})\b", text, re.I):
            flipped = re.search(
                r"(?:\bnot|n't)\s+(?:be\s+)?$", text[max(0, match.start() - 12) : match.start()], re.I
            )
            found.append((match.start(), match.end(), _other(pairs, value) if flipped else value))
    return sorted(found)


def _other(pairs: dict[str, str], value: str) -> str:
    return next(v for v in pairs if v != value)


def _read_pair(
    reply: str,
    pairs: dict[str, str],
    extra: Callable[[str], list[Mention]] | None = None,
    first_words: dict[str, str] | None = None,
) -> Reading:
    """`first_words` (value -> pattern) are further words that answer when they open the reply ("Yes" to a
    true-or-false question)."""
    text = clean_reply(reply)
    if not text:
        return EMPTY
    first = re.match(r"^\W*([A-Za-z]+)\b", text)
    for value, pattern in pairs.items():
        opening = f"{pattern}|{first_words[value]}" if first_words else pattern
        if first and re.fullmatch(opening, first.group(1), re.I):
            other = _other(pairs, value)
            rest = text[first.end() :]
            if re.match(rf"\s*(?:,|/|or\b|and\b)\s*(?:{pairs[other]})\b(?!\s+doubt)", rest, re.I):
                return Reading(failure=f"2 different answers in the reply: {value}, {other}")
            # "Yes there is no dog": the opening word and what the first sentence says disagree
            said = extra(re.split(r"[.;!?\n]", rest, maxsplit=1)[0]) if extra else []
            if any(v == other for _, _, v in said):
                return Reading(failure=f"2 different answers in the reply: {value}, {other}")
            return Reading(value)  # "No, there is no dog." / "Nope"

    def mentions(segment: str, marked: bool) -> list[Mention]:
        found = _words_of(pairs, segment)
        return sorted(found + (extra(segment) if extra and not marked else []))

    return read_marked_first(
        text, mentions, lambda s: bool(re.fullmatch(rf"\W*(?:{'|'.join(pairs.values())})\W*", s, re.I))
    )


def read_yes_no(reply: str) -> Reading:
    """'yes' or 'no': the first word, an explicit marker, or the one of the two the reply says
    ("There is no dog" -> no; "I don't see a dog" -> no)."""
    return _read_pair(reply, {"yes": _YES, "no": _NO}, _seen)


def read_true_false(reply: str, choices: Sequence[str] = (), options: Sequence[str] = ()) -> Reading:
    """'true' or 'false' ("It's not true" -> false, an opening "Yes" / "No" -> true / false); with options such
    as "(A) True", a choice letter too."""
    reading = _read_pair(
        reply,
        {"true": r"true|correct", "false": r"false|incorrect"},
        first_words={"true": _YES, "false": _NO},
    )
    if reading is NOTHING and options:
        letter = read_letter(reply, choices, options)
        if letter.ok:
            word = option_text(options[list(choices).index(letter.value)]).lower()
            return Reading(word) if word in ("true", "false") else NOTHING
        return letter
    return reading


# --- image positions ---------------------------------------------------------------------------------------


def _position_value(token: str, n_images: int) -> int:
    low = token.lower()
    if low.isdigit():
        return int(low)
    if low in _NUMBER_WORDS:
        return _NUMBER_WORDS.index(low) + 1
    if low in _ORDINAL_WORDS:
        return _ORDINAL_WORDS.index(low) + 1
    if low == "last":
        return n_images
    return int(low[:-2])  # "3rd"


def _positions(text: str, n_images: int, marked: bool) -> list[Mention]:
    """Every image the text names (1-based, possibly out of range), negated mentions left out."""
    bare = _BARE_POSITION.match(text)
    if bare:
        return [(0, len(text), _position_value(bare.group(1), n_images))]
    found = []
    for pattern in (_NOUN_NUMBER, _ORDINAL):
        for match in pattern.finditer(text):
            if not negated(text, match.start(), match.end()):
                found.append((match.start(), match.end(), _position_value(match.group(1), n_images)))
    noun_letters = set()
    for match in _NOUN_LETTER.finditer(text):
        if not negated(text, match.start(), match.end()) and not is_article(
            match.group(1), text, match.end()
        ):
            found.append((match.start(), match.end(), ord(match.group(1)) - ord("A") + 1))
            noun_letters.add(match.start(1))
    letters = {chr(ord("A") + i) for i in range(n_images)}
    for start, end, letter in letter_mentions(text, letters, marked):
        if start not in noun_letters:
            found.append((start, end, ord(letter) - ord("A") + 1))
    if marked and not found:
        number = re.match(r"^\W*(\d{1,2})\b", text)
        if number:
            found.append((number.start(1), number.end(), int(number.group(1))))
    return sorted(found)


def read_position(reply: str, n_images: int) -> Reading:
    """A 1-based image position among `n_images`: "Image 3", "the third image", "C" (A = 1), "3", "the last
    one", "Picture three". Positions out of range are a failure when nothing in range is named."""
    if n_images < 1:
        return Reading(failure="no images")

    def mentions(segment: str, marked: bool) -> list[Mention]:
        # "Images 1 and 3" names two images: a failure for a one-image question, never the first
        named = _positions(segment, n_images, marked) + _listed(segment, n_images, marked)
        return sorted([m for m in named if 1 <= m[2] <= n_images] or named)

    reading = read_marked_first(
        clean_reply(reply), mentions, lambda s: bool(_positions(s, n_images, True)) and len(s.split()) <= 4
    )
    if reading.ok and not 1 <= reading.value <= n_images:
        return Reading(failure=f"names image {reading.value}, but there are {n_images}")
    return reading


_LISTED = rf"(?:\d{{1,2}}|{'|'.join(_NUMBER_WORDS)}|{'|'.join(_ORDINAL_WORDS)}|\d{{1,2}}(?:st|nd|rd|th))"
_AND = r"\s*(?:,\s*and|,|and|&)\s*(?:the\s+)?"
# "Images 1, 2 and 4" / "the first and third images": one noun for several positions
_NOUN_LIST = re.compile(rf"\b{_NOUN}\s+({_LISTED}(?:{_AND}{_LISTED})+)\b", re.I)
_LIST_NOUN = re.compile(rf"\b({_LISTED}(?:{_AND}{_LISTED})+)\s+{_NOUN}\b", re.I)
# a bare list: the whole reply ("1 and 3"), or what an answer marker starts with ("Answer: 2, 4")
_BARE_LIST = re.compile(rf"^\W*(?:the\s+)?({_LISTED}(?:{_AND}{_LISTED})+)(?:\W*$|\b)", re.I)


# a negation and what it governs up to the next comma or sentence end: "but not Image 2 or Image 4"
_NEGATED_CLAUSE = re.compile(
    r"(?:\bnot|n't|\bexcept(?:\s+for)?|\bother\s+than|\brather\s+than|\binstead\s+of|\bnever|\bneither)"
    r"\b[^,.;:!?]*",
    re.I,
)


def _listed(text: str, n_images: int, marked: bool) -> list[Mention]:
    found = []
    bare = _BARE_LIST.match(text)
    if bare and (marked or bare.end() == len(text)):
        found += [(0, bare.end(), _position_value(t, n_images)) for t in re.findall(_LISTED, bare.group(1))]
    for pattern in (_NOUN_LIST, _LIST_NOUN):
        for match in pattern.finditer(text):
            if not negated(text, match.start(), match.end()):
                for token in re.findall(_LISTED, match.group(1), re.I):
                    found.append((match.start(), match.end(), _position_value(token, n_images)))
    return found


def read_positions(reply: str, n_images: int) -> Reading:
    """Every image a reply names as its answer, for questions with several right images ("Which images show
    an animal?"): a sorted tuple of 1-based positions. "Image 1 and Image 3", "Images 1 and 3", "the first
    and the third image" -> (1, 3); after an answer marker only what it names counts; negated mentions ("not
    image 2") are left out. Positions out of range are a failure."""
    if n_images < 1:
        return Reading(failure="no images")

    def mentions(segment: str, marked: bool) -> list[Mention]:
        segment = _NEGATED_CLAUSE.sub(lambda m: " " * len(m.group()), segment)  # "not Image 2 or 4"
        named = _positions(segment, n_images, marked) + _listed(segment, n_images, marked)
        if not named:
            return []
        values = tuple(sorted({value for _, _, value in named}))
        return [(min(m[0] for m in named), max(m[1] for m in named), values)]

    reading = read_marked_first(
        clean_reply(reply), mentions, lambda s: bool(mentions(s, True)) and len(s.split()) <= 12
    )
    if reading.ok and not all(1 <= p <= n_images for p in reading.value):
        return Reading(failure=f"names image {max(reading.value)}, but there are {n_images}")
    return reading


# --- short answers and dispatch ----------------------------------------------------------------------------


def read_short(reply: str) -> Reading:
    """Short free-form answer: the text after 'Final Answer:' / 'the answer is' / 'Answer:', else the reply."""
    text = clean_reply(reply).strip("\"' ")
    lowered = text.lower()
    for marker in ("final answer:", "the answer is", "answer:"):
        if marker in lowered:
            text = text[lowered.rindex(marker) + len(marker) :]
            break
    text = text.strip().rstrip(".").strip().strip("\"'")
    return Reading(text) if text else EMPTY


def read_reply(
    answer_type: str, reply: str, choices: Sequence[str] = (), options: Sequence[str] = ()
) -> Reading:
    """Read `reply` as `answer_type`; the value is comparable with an eval item's canonical gold (a choice
    letter for letter and position items, 'yes'/'no', 'true'/'false', a lower-cased short answer)."""
    if answer_type == "letter":
        return read_letter(reply, choices, options)
    if answer_type == "yesno":
        return read_yes_no(reply)
    if answer_type == "truefalse":
        return read_true_false(reply, choices, options)
    if answer_type == "position":
        reading = read_position(reply, len(choices))
        return Reading(choices[reading.value - 1]) if reading.ok else reading
    if answer_type == "short":
        reading = read_short(reply)
        return Reading(reading.value.lower()) if reading.ok else reading
    raise ValueError(f"unknown answer type {answer_type!r}; expected one of {READ_AS}")


# The one map from an S2H task's answer kind (`tasks.LevelTask.answer`, `tasks.ANSWER_KINDS`) to the reader of
# its replies, `fn(reply, n_images) -> Reading`: yes/no -> 'yes'/'no', number -> a float, image -> a 1-based
# position, images -> a sorted tuple of positions. Free text ("text") has no reader: it is compared whole.
TASK_READERS: dict[str, Callable[[str, int], Reading]] = {
    "yes/no": lambda reply, n_images: read_yes_no(reply),
    "number": lambda reply, n_images: read_number(reply),
    "image": lambda reply, n_images: read_position(reply, max(n_images, 1)),
    "images": lambda reply, n_images: read_positions(reply, max(n_images, 1)),
}
