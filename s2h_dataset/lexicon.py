"""WordNet (Princeton 3.0, Debian's `wordnet-base`) as a confusion guard: synonyms, hypernyms, hyponyms.

Two labels are confusable when a noun sense of one is the same synset as, or an ancestor (hypernym,
instance hypernym) of, a noun sense of the other: "bird" / "eagle", "dog" / "poodle", "postbox" /
"mailbox", "truck" / "lorry". Only the label's whole phrase and its words are looked up; a word's first
`MAX_SENSES` senses are used, so rare senses ("dog" as a cad) do not block half the vocabulary.

The database is read from `WORDNET_DIRS` (or `$WORDNET_DIR`) when present. The bundled labels do not need
it at build time: their confusable pairs are committed (`data/fluent-emoji-3d/confusable.json`), so an
emoji build is the same on every machine. For other labels a missing database means only the word and
curated guards run, which the build reports.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

__all__ = ["MAX_SENSES", "WordNet", "wordnet"]

logger = logging.getLogger(__name__)

WORDNET_DIRS = ("/usr/share/wordnet", "/usr/local/share/wordnet", "/opt/homebrew/share/wordnet")
MAX_SENSES = 2
_HYPERNYM = {"@", "@i"}


class WordNet:
    """Noun senses and their hypernym closure, read lazily from `index.noun` and `data.noun`."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.index: dict[str, list[str]] = {}
        with open(folder / "index.noun", encoding="utf-8") as f:
            for line in f:
                if line.startswith(" "):
                    continue
                parts = line.split()
                n_synsets, n_pointers = int(parts[2]), int(parts[3])
                self.index[parts[0]] = parts[6 + n_pointers : 6 + n_pointers + n_synsets]
        self.parents: dict[str, list[str]] = {}
        with open(folder / "data.noun", encoding="utf-8") as f:
            for line in f:
                if line.startswith(" "):
                    continue
                parts = line.split(" | ")[0].split()
                n_words = int(parts[3], 16)
                start = 4 + 2 * n_words
                n_pointers = int(parts[start])
                pointers = parts[start + 1 : start + 1 + 4 * n_pointers]
                self.parents[parts[0]] = [
                    pointers[i + 1] for i in range(0, len(pointers), 4) if pointers[i] in _HYPERNYM
                ]

    def senses(self, lemma: str, limit: int | None = None) -> list[str]:
        key = lemma.lower().strip().replace(" ", "_").replace("-", "_")
        for candidate in (key, _base(key)):
            if candidate in self.index:
                return self.index[candidate][:limit]
        return []

    @cache  # noqa: B019 - one WordNet per process; the closure of a synset never changes
    def ancestors(self, synset: str) -> frozenset[str]:
        """The synset and all its hypernyms."""
        seen, stack = {synset}, [synset]
        while stack:
            for parent in self.parents.get(stack.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return frozenset(seen)


def _base(word: str) -> str:
    """A plural's singular by the common English rules (WordNet's own exception lists are not needed here)."""
    for suffix, replacement in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"), ("ses", "s")):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            return word[: -len(suffix)] + replacement
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


@cache
def wordnet() -> WordNet | None:
    """The installed WordNet, or None (logged once) when no database is found."""
    folders = [os.environ["WORDNET_DIR"]] if os.environ.get("WORDNET_DIR") else list(WORDNET_DIRS)
    for folder in map(Path, folders):
        if (folder / "index.noun").is_file() and (folder / "data.noun").is_file():
            return WordNet(folder)
    logger.warning(
        "WordNet not found (apt-get install wordnet-base, or set WORDNET_DIR); the confusion guard of "
        "labels outside the bundled set uses shared words and the curated list only"
    )
    return None
