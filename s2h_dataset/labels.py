"""Label text: the confusion guard for distractors, and noun phrases (articles, plurals, mass nouns).

Two labels conflict (may name the same thing, or one is a kind of the other) when any of these holds:
- they share a content word after light normalisation ("car" / "racing car", "cats" / "cat", "leaves" /
  "leaf");
- they are spelled alike once spaces and hyphens go ("icecream" / "ice cream");
- a curated group of the bundled set holds both ("delivery truck" / "articulated lorry", the banknotes);
- WordNet relates them: a sense of one is a synonym or hypernym of a sense of the other ("bird" /
  "eagle", "postbox" / "mailbox"), or a word of one is part of a compound word of the other whose rest is
  a noun ("city" / "cityscape", "tram" / "tramway"). For the bundled labels these pairs are committed with the curated
  groups (`confusable.json`), so an emoji build never depends on WordNet being installed.
The guard is deliberately conservative: a distractor that may be confused with the target is redrawn.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

__all__ = [
    "COLOUR_NAMES",
    "FORMS",
    "ORDINALS",
    "clean_text",
    "conflicts",
    "content_words",
    "definite",
    "distinct_labels",
    "guess_form",
    "indefinite",
    "normal_label",
    "number_head",
    "to_be",
    "with_article",
]

COLOUR_NAMES = (
    "red",
    "orange",
    "yellow",
    "green",
    "blue",
    "purple",
    "pink",
    "brown",
    "black",
    "white",
    "grey",
)
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
        "gray",
        "small",
        "large",
        "big",
        "little",
        "left",
        "right",
        "front",
        "two",
        "one",
        "showing",
    ]
) | frozenset(COLOUR_NAMES)
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
# how a label takes an article: "a cat", "grapes", "popcorn", "Mount Fuji", "the Milky Way"
FORMS = ("count", "plural", "mass", "proper", "the")
# bidirectional controls (marks, embeddings, overrides, isolates) reorder how a text displays; zero-width
# spaces and the BOM hide inside words. Both are removed; other control characters become spaces.
_INVISIBLE = re.compile("[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # all but \n
CONFUSABLE_FILE = Path(__file__).resolve().parent / "data" / "fluent-emoji-3d" / "confusable.json"


def clean_text(text: str, lines: bool = False) -> str:
    """A source's label or text as rows may carry it: control and bidi characters removed, whitespace
    collapsed to single spaces; with `lines` (multi-line answers) line breaks are kept, blank lines at most
    one in a row."""
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    if not lines:
        return " ".join(text.split())
    kept = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@cache
def content_words(label: str) -> frozenset[str]:
    """Lower-cased singular content words; digits are split off letters and dropped ("clock11" -> clock).
    A plural in -ves also counts as its -f singular ("leaves" -> leave, leaf)."""
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", label.lower())
    raw = [w for w in re.split(r"[^a-z0-9]+", text) if w and not w.isdigit()]
    words = {_singular(w) for w in raw} | {w[:-3] + "f" for w in raw if len(w) > 4 and w.endswith("ves")}
    return frozenset(words - STOPWORDS) or frozenset({label.lower().strip()})


MIN_COMPOUND = 4  # a word this long inside another label's compound word names a part or kind of it


def compound_related(a: str, b: str) -> bool:
    """A content word of one label is a part of a compound word of the other whose rest is a noun too
    ("city" / "cityscape", "rail" / "monorail", "tram" / "tramway", but not "ball" / "balloon"): the
    compound may name the same scene or thing. Needs WordNet (False without it)."""
    from .lexicon import wordnet

    net = wordnet()
    if net is None:
        return False
    for x in content_words(a):
        for y in content_words(b):
            short, long = sorted((x, y), key=len)
            if len(short) < MIN_COMPOUND or short == long:
                continue
            rest = (
                long[len(short) :]
                if long.startswith(short)
                else long[: -len(short)]
                if long.endswith(short)
                else ""
            )
            if len(rest) >= 3 and net.senses(rest):
                return True
    return False


def _squashed(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label.lower())


@cache
def _curated() -> tuple[frozenset[str], frozenset[frozenset[str]]]:
    """(bundled labels, confusable pairs among them): curated groups + committed WordNet pairs."""
    data = json.loads(CONFUSABLE_FILE.read_text(encoding="utf-8"))
    pairs = {frozenset(p) for p in data["wordnet_pairs"]}
    for group in data["groups"]:
        pairs |= {frozenset((a, b)) for a in group for b in group if a != b}
    for general, specific in data["kinds"].items():
        pairs |= {frozenset((general, s)) for s in specific}
    return frozenset(data["labels"]), frozenset(pairs)


MEASURES = frozenset(
    [
        "pair",
        "group",
        "bowl",
        "plate",
        "cup",
        "slice",
        "piece",
        "stack",
        "bottle",
        "glass",
        "can",
        "bar",
        "ear",
        "sheaf",
        "loaf",
        "head",
        "strip",
        "pat",
        "string",
        "spool",
        "bucket",
        "pot",
        "ball",
    ]
)


def _head(label: str) -> str:
    """The head noun: "snow-capped mountain" -> mountain, "sun behind a cloud" -> sun, but "bowl of rice"
    -> rice (a measure word is not what the label is about)."""
    text = label.lower()
    first, of, rest = text.partition(" of ")
    if of and first.split()[-1] in MEASURES:
        text = rest
    text = re.split(r" (?:of|with|showing|behind|in|at|over|on|under|tilted|pouring|and) ", text)[0]
    words = re.split(r"[^a-z0-9]+", text)
    return next((w for w in reversed(words) if w and w not in STOPWORDS), label.lower())


def _lemmas(net, label: str) -> list[str]:
    """The label's senses: of the whole phrase when WordNet has it ("polar bear"), else of its head noun;
    at most `MAX_SENSES` each, so rare senses ("dog" as a cad) do not block half the vocabulary."""
    from .lexicon import MAX_SENSES

    return net.senses(label, MAX_SENSES) or net.senses(_head(label), MAX_SENSES)


@cache
def _senses(label: str) -> tuple[frozenset[str], frozenset[str]]:
    """(the label's synsets, those synsets and all their hypernyms) in WordNet; empty without WordNet."""
    from .lexicon import wordnet

    net = wordnet()
    if net is None:
        return frozenset(), frozenset()
    synsets = frozenset(_lemmas(net, label))
    return synsets, frozenset(a for s in synsets for a in net.ancestors(s))


def wordnet_related(a: str, b: str) -> bool:
    """A sense of one label is a sense, or a hypernym of a sense, of the other."""
    (senses_a, up_a), (senses_b, up_b) = _senses(a), _senses(b)
    return bool(senses_a & up_b or senses_b & up_a)


@cache
def _conflicts(a: str, b: str) -> bool:
    if a == b or content_words(a) & content_words(b) or _squashed(a) == _squashed(b):
        return True
    bundled, pairs = _curated()
    if frozenset((a, b)) in pairs:
        return True
    return not (a in bundled and b in bundled) and (wordnet_related(a, b) or compound_related(a, b))


def conflicts(a: str, b: str) -> bool:
    """True when two labels may name the same thing; unlabelled records (empty label) never conflict."""
    return bool(a and b) and _conflicts(*sorted((a, b)))


def distinct_labels(labels, enough: int | None = None) -> int:
    """Size of a greedy set of mutually non-conflicting labels taken from `labels` in order (a lower bound
    of the best set), counted up to `enough`: callers need only that many, and the full count is quadratic
    (3,000 labels: minutes)."""
    chosen: list[str] = []
    for label in labels:
        if not any(conflicts(label, c) for c in chosen):
            chosen.append(label)
            if enough is not None and len(chosen) >= enough:
                break
    return len(chosen)


def number_head(label: str) -> str:
    """The word that decides a label's grammatical number: the last word before its first modifier
    ("bookmark tabs" -> tabs, "pair of jeans" -> pair, "night sky with stars" -> sky)."""
    text = re.split(r" (?:of|with|showing|behind|in|at|over|on|under|and) ", label.strip().lower())[0]
    words = text.split()
    return words[-1] if words else ""


def _plural_word(word: str) -> bool:
    """A plural noun: by WordNet when installed (its singular is a noun: "bricks", "blueberries",
    "glasses", but not "cactus", "bus"), else by spelling."""
    from .lexicon import _base, wordnet

    net = wordnet()
    if net is not None and word.endswith("s") and _base(word) != word:
        return bool(net.senses(_base(word)))
    return _singular(word) != word


def guess_form(label: str) -> str:
    """`plural` for labels like "grapes", "bookmark tabs" or "leaves in the wind", else `count` (sources
    without noun data)."""
    return "plural" if label.strip() and _plural_word(number_head(label)) else "count"


def normal_label(label: str) -> str:
    """A label from a file or folder name as a noun phrase: underscores become spaces, and a two-word name
    in catalogue order becomes the phrase WordNet knows ("moon full" -> "full moon", "shoes running" ->
    "running shoes"); other labels are returned as they are."""
    from .lexicon import wordnet

    text = label.replace("_", " ").strip()  # control characters are the sources' cleaning's (counted there)
    words = text.split()
    net = wordnet()
    known = net is not None and len(words) == 2 and (net.senses(text) or net.senses("".join(words)))
    if net is not None and len(words) == 2 and not known and net.senses(f"{words[1]} {words[0]}"):
        return f"{words[1]} {words[0]}"
    return text


def indefinite(label: str, form: str = "count", article: str | None = None) -> str:
    """'a peacock', 'an umbrella', 'grapes', 'popcorn', 'Mount Fuji', 'the Milky Way'."""
    if form == "the":
        return f"the {label}"
    if form != "count" or label.lower().startswith(("a ", "an ", "the ")):
        return label
    return f"{article or _article(label)} {label}"


def _article(label: str) -> str:
    """'an' before a vowel sound: 'an umbrella', 'an hourglass', but 'a euro', 'a unicorn', 'a one-piece'."""
    lowered = label.lower()
    if lowered.startswith(("eu", "uni", "use", "usu", "one", "ewe", "ufo", "uk")):
        return "a"
    if lowered.startswith(("hour", "honest", "honour", "heir")) or re.match(r"[fhlmnrsx][-. ]", lowered):
        return "an"
    return "an" if lowered[:1] in "aeiou" else "a"


def definite(label: str, form: str = "count") -> str:
    """'the peacock', 'the grapes', 'Mount Fuji'."""
    return label if form == "proper" or label.lower().startswith("the ") else f"the {label}"


def to_be(form: str = "count") -> str:
    return "are" if form == "plural" else "is"


def with_article(label: str) -> str:
    """The indefinite phrase of a label whose form is not known: guessed (see `guess_form`)."""
    return indefinite(label, guess_form(label))
