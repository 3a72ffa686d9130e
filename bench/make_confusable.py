"""Regenerate `s2h_dataset/data/fluent-emoji-3d/confusable.json`: the curated confusion groups of the
bundled labels (kept as they are) plus every WordNet-related pair among them (recomputed): synonyms and
hypernyms, and compounds whose part is the other label's word ("city" / "cityscape", "tram" / "tramway").

Needs WordNet 3.0 (Debian: apt-get install wordnet-base). Usage: python bench/make_confusable.py
"""

from __future__ import annotations

import json

from s2h_dataset.labels import CONFUSABLE_FILE, compound_related, content_words, wordnet_related
from s2h_dataset.lexicon import wordnet
from s2h_dataset.sources.emoji import EMOJI_DIR


def main() -> None:
    if wordnet() is None:
        raise SystemExit("WordNet not found: apt-get install wordnet-base")
    lines = (EMOJI_DIR / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    labels = sorted(json.loads(line)["label"] for line in lines)
    data = json.loads(CONFUSABLE_FILE.read_text(encoding="utf-8")) if CONFUSABLE_FILE.exists() else {}
    pairs = [
        [a, b]
        for i, a in enumerate(labels)
        for b in labels[i + 1 :]
        if not content_words(a) & content_words(b) and (wordnet_related(a, b) or compound_related(a, b))
    ]
    data = {
        "about": data.get("about", ""),
        "labels": labels,
        "groups": data.get("groups", []),
        "kinds": data.get("kinds", {}),
        "wordnet_pairs": pairs,
    }
    CONFUSABLE_FILE.write_text(json.dumps(data, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(pairs)} WordNet pairs, {len(data['groups'])} curated groups")


if __name__ == "__main__":
    main()
