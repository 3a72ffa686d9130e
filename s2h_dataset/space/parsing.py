"""Find which image a model's reply points at: "Image 3", "the third image", "3", "(C)", "image three".

`parse_choice(reply, n_images)` returns a 0-based index or None. The first mention in the reply wins
("Image 2 ... unlike Image 4" -> Image 2); mentions out of range are ignored. A bare letter counts only
when it is the whole reply or follows "answer"/"option", so the article in "A peacock" is not option A.
"""

from __future__ import annotations

import re

__all__ = ["parse_choice"]

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
_NOUN = r"(?:image|picture|photo|photograph|img|pic)s?"
_ORDINAL = r"(?:" + "|".join(_ORDINALS) + r"|\d{1,2}(?:st|nd|rd|th)|last)"
_COUNT = r"(?:\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")"

_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    # "Image 3", "image #3", "picture no. 3", "Image three", "<image 3>"
    ("noun_number", re.compile(rf"\b{_NOUN}\s*(?:#|no\.?|number)?\s*({_COUNT})\b", re.I)),
    # "Image C" (letters as image names)
    ("noun_letter", re.compile(rf"\b(?i:{_NOUN})\s+\(?([A-J])\)?(?![A-Za-z])")),
    # "the third image", "3rd picture", "the last one"
    ("ordinal", re.compile(rf"\b({_ORDINAL})\s+(?:{_NOUN}|one)\b", re.I)),
    # "answer: C", "answer is (3)", "option B"
    (
        "answer",
        re.compile(r"\b(?:answer|option|choice)\s*(?:is|:|=)?\s*\(?([A-J]|\d{1,2})\)?(?![A-Za-z0-9])", re.I),
    ),
)
# the whole reply is just a number, a letter or an ordinal: "3", "3.", "(C)", "C)", "Third."
_BARE = re.compile(rf"^\s*\(?(\d{{1,2}}|[A-J]|{_ORDINAL}|{_COUNT})\)?\s*[.):!]?\s*$", re.I)


def _value(token: str, n_images: int) -> int | None:
    """1-based number from a token; None when it does not name an image in range."""
    low = token.lower()
    if low.isdigit():
        value = int(low)
    elif low in _NUMBER_WORDS:
        value = _NUMBER_WORDS[low]
    elif low in _ORDINALS:
        value = _ORDINALS[low]
    elif low == "last":
        value = n_images
    elif re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)", low):
        value = int(low[:-2])
    elif len(token) == 1 and token.isalpha():
        value = ord(token.upper()) - ord("A") + 1
    else:
        return None
    return value if 1 <= value <= n_images else None


def parse_choice(reply: str, n_images: int) -> int | None:
    """0-based index of the image `reply` names, or None when it names none of the `n_images` images."""
    if not reply or n_images < 1:
        return None
    text = reply.strip()
    bare = _BARE.match(text)
    if bare:
        value = _value(bare.group(1), n_images)
        return None if value is None else value - 1
    mentions: list[tuple[int, int]] = []
    for _, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            value = _value(match.group(1), n_images)
            if value is not None:
                mentions.append((match.start(), value))
    if not mentions:
        return None
    return min(mentions)[1] - 1
