"""Free-form answers are compared one way everywhere: the VQA generator's choice of a wrong answer and the
captioner's gold check use `vlm.replies.same_answer` (articles, case and punctuation do not count)."""

import random

from PIL import Image

from s2h_dataset.levels.common import LevelContext
from s2h_dataset.levels.vqa import vqa_gold
from s2h_dataset.sources import Sources
from s2h_dataset.sources.base import Record
from s2h_dataset.vlm.replies import normalize_answer, same_answer


def _sample(i: int, answer: str) -> Record:
    return Record(
        f"test:{i}", "sample", lambda: Image.new("RGB", (8, 8)), qa=(f"What is in the image ({i})?", answer)
    )


def test_the_vqa_fallback_never_picks_the_gold_answer_spelled_differently():
    """Regression: "cat" was a 'wrong' answer to a question whose gold is "The cat" (the generator kept
    articles, the captioner's check dropped them), so a correct answer became the rejected response."""
    answers = ["The cat", "cat", "a cat.", "CAT", "dog", "The cat"]
    ctx = LevelContext(Sources(qa=[_sample(i, a) for i, a in enumerate(answers)]), n_images=4, split="train")
    fallbacks = set()
    for seed in range(60):
        row = vqa_gold(ctx, random.Random(seed), position=seed % 4)
        fallbacks.add(row.rejected.fallback)
        assert not same_answer(row.rejected.fallback, row.chosen), (row.chosen, row.rejected.fallback)
    assert fallbacks >= {
        "dog"
    }  # the wrong answer is still used, and for the cat questions it is the only one


def test_same_answer_ignores_articles_case_and_punctuation_but_not_words():
    assert normalize_answer("  The Cat. ") == "cat" and same_answer("A red ball!", "red ball")
    assert not same_answer("theatre", "atre") and not same_answer("cat", None)
