"""Answer extraction: a model's raw reply -> a canonical answer, or None when the reply cannot be read.

Extraction is kept apart from scoring so a reply is read the same way on a fresh run and on
`s2h eval --rescore`, and so every rule has a unit test. The rules are deliberately strict:

- a letter counts only when it is one of the item's valid choices and stands alone as a token
  ("The answer is (B)" -> B; "Based on ..." is not B; the "T" of "The" never counts); an article "A" /
  pronoun "I" followed by a lower-case word ("A cat sits ...") is not read as a choice;
- several different answers in one reply ("A or B") are a parse failure, never the first one;
- yes/no and true/false read the first word, else a single one of the two words in the reply;
- the Level-3 probe also accepts "Image 3", "the third image", "picture #3" or a bare position number.

Every function returns None for a reply it cannot read; the scorer counts those as parse failures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..labels import ORDINALS

__all__ = ["ANSWER_TYPES", "extract", "extract_letter", "extract_position", "extract_short", "extract_word"]

ANSWER_TYPES = ("letter", "yesno", "truefalse", "position", "short")

# the marker words are case-insensitive, the letter itself must be a capital
_MARKER = re.compile(
    r"(?i:\b(?:answer|option|choice)\b)\s*(?i:is|would be)?\s*[:\-]?\s*(?i:option\s*)?"
    r"[\(\[]?\**([A-Z])\**[\)\]]?(?![A-Za-z0-9])"
)
_ALTERNATIVE = re.compile(r"\s*(?:,|/|or\b|and\b)\s*[\(\[]?[A-Z][\)\]]?(?![A-Za-z0-9])")
_LEADING = re.compile(r"^\W*?[\(\[]?\**([A-Z])\**(?:[\)\]\.:,]|(?=\s)|$)")
_PAREN = re.compile(r"\(([A-Z])\)")
_OPTION_PREFIX = re.compile(r"^\s*(?:\(([A-Z])\)|([A-Z])[\.\):])\s*")
_IMAGE_REF = re.compile(r"\b(?:image|picture|photo|img)\s*(?:no\.?|number|#)?\s*(\d+)\b", re.IGNORECASE)
_ORDINAL_REF = re.compile(
    r"\b(" + "|".join(ORDINALS) + r"|\d+(?:st|nd|rd|th))\s+(?:image|picture|photo|one)\b", re.IGNORECASE
)


def _clean(reply: str) -> str:
    return reply.strip().strip("*_`\"' ").strip()


def _one(values: Sequence) -> object | None:
    """The value when all candidates agree, else None (no candidate, or an ambiguous reply)."""
    distinct = set(values)
    return values[0] if len(distinct) == 1 else None


def option_text(option: str) -> str:
    """'(B) red car' / 'B. red car' / 'B: red car' -> 'red car'; unprefixed options are returned as is."""
    return _OPTION_PREFIX.sub("", option, count=1).strip()


def extract_letter(reply: str, choices: Sequence[str], options: Sequence[str] = ()) -> str | None:
    """A choice letter among `choices`; `options` (texts, same order) let an exact option text count."""
    valid = set(choices)
    text = _clean(reply)
    if not text:
        return None
    # 1. the whole reply is a letter: "B", "(b)", "B.", "**C**"
    bare = text.strip("()[]*. ")
    if len(bare) == 1 and bare.upper() in valid:
        return bare.upper()
    # 2. an explicit marker: "The answer is (B)", "Answer: C", "the correct option is D"
    marked = [m for m in _MARKER.finditer(text) if m.group(1) in valid]
    if marked:
        if any(_ALTERNATIVE.match(text, m.end()) for m in marked):  # "the answer is (A) or (B)"
            return None
        return _one([m.group(1) for m in marked])
    # 3. a capital letter opening the reply: "B. the red one", "(C) ...", "D: ...", "B is right"
    lead = _LEADING.match(text)
    if lead and lead.group(1) in valid:
        rest = text[lead.end() :]
        is_word = (
            lead.group(1) in "AI" and re.match(r"\s+[a-z]", rest) and not re.match(r"\s*[\)\]\.:,]", rest)
        )
        if not is_word:
            return lead.group(1)
    # 4. parenthesised letters anywhere: "I pick (C) because ..."
    parens = [letter for letter in _PAREN.findall(text) if letter in valid]
    if parens:
        return _one(parens)
    # 5. the reply is exactly one option's text: "red car" for "(B) red car"
    if options:
        wanted = text.rstrip(".!").strip().lower()
        hits = [c for c, o in zip(choices, options) if option_text(o).lower() == wanted]
        if len(hits) == 1:
            return hits[0]
    return None


def extract_word(reply: str, words: tuple[str, str]) -> str | None:
    """One of two words ('yes'/'no', 'true'/'false'): the first word, else the only one of them present."""
    text = _clean(reply).lower()
    first = re.match(r"^\W*([a-z]+)", text)
    if first and first.group(1) in words:
        return first.group(1)
    present = [w for w in words if re.search(rf"\b{w}\b", text)]
    return present[0] if len(present) == 1 else None


def extract_position(reply: str, n_images: int) -> int | None:
    """A 1-based image position: letter (A = 1), "Image 3", "the third image", or a bare number."""
    letters = [chr(ord("A") + i) for i in range(n_images)]
    text = _clean(reply)
    if not text:
        return None
    bare = text.strip("()[]*. ")
    if bare.isdigit():
        return int(bare) if 1 <= int(bare) <= n_images else None
    refs = [int(n) for n in _IMAGE_REF.findall(text)]
    for word in _ORDINAL_REF.findall(text):
        word = word.lower()
        refs.append(ORDINALS.index(word) + 1 if word in ORDINALS else int(re.match(r"\d+", word).group()))
    letter = extract_letter(text, letters)
    if letter is not None:
        refs.append(letters.index(letter) + 1)
    refs = [r for r in refs if 1 <= r <= n_images]
    return _one(refs) if refs else None


def extract_short(reply: str) -> str | None:
    """Short free-form answer: the text after 'Final Answer:' / 'the answer is' / 'Answer:', else the reply."""
    text = _clean(reply)
    lowered = text.lower()
    for marker in ("final answer:", "the answer is", "answer:"):
        if marker in lowered:
            text = text[lowered.index(marker) + len(marker) :]
            break
    text = text.strip().rstrip(".").strip().strip("\"'*")
    return text or None


def extract(
    answer_type: str, reply: str, choices: Sequence[str] = (), options: Sequence[str] = ()
) -> str | None:
    """Dispatch on the item's answer type; the result is comparable with the item's canonical gold."""
    if answer_type == "letter":
        return extract_letter(reply, choices, options)
    if answer_type == "yesno":
        return extract_word(reply, ("yes", "no"))
    if answer_type == "truefalse":
        word = extract_word(reply, ("true", "false"))
        if word is None and options:  # a choice letter whose option reads True / False
            letter = extract_letter(reply, choices, options)
            word = option_text(options[choices.index(letter)]).lower() if letter else None
            word = word if word in ("true", "false") else None
        return word
    if answer_type == "position":
        position = extract_position(reply, len(choices))
        return None if position is None else choices[position - 1]
    if answer_type == "short":
        text = extract_short(reply)
        return None if text is None else text.lower()
    raise ValueError(f"unknown answer type {answer_type!r}; expected one of {ANSWER_TYPES}")
