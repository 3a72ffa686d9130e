"""Issue #21: the task registry is the one table of tasks; every table keyed by a task or its answer kind is
derived from it, so a task (or an answer kind) that a derived table misses fails here."""

from __future__ import annotations

import pytest

from s2h_dataset import tasks
from s2h_dataset.tasks import ANSWER_KINDS, REGISTRY, TASKS, LevelTask
from s2h_dataset.training import rewards
from s2h_dataset.vlm.replies import TASK_READERS

# one reply per short answer kind and what the parser reads from it (4 images)
READS = {
    "yes/no": ("No, they are different kinds of things.", "no"),
    "number": ("Image 1 has 3 and Image 2 has 1, so 4 in total.", 4.0),
    "image": ("The third image shows the clock.", 3),
    "images": ("Images 1 and 4 show something red.", (1, 4)),
}


def test_every_answer_kind_has_a_reader_and_a_format_check():
    assert set(TASK_READERS) == set(ANSWER_KINDS) - {"text"}
    assert set(rewards._FORMAT_CHECKS) == set(ANSWER_KINDS)
    assert set(READS) == set(TASK_READERS)
    for kind, (reply, value) in READS.items():
        assert TASK_READERS[kind](reply, 4).value == value, kind


@pytest.mark.parametrize("task", REGISTRY, ids=[t.name for t in REGISTRY])
def test_every_registered_task_is_in_every_derived_table(task):
    assert task.answer in ANSWER_KINDS
    assert rewards.answer_kind(task.name) == task.answer  # GRPO's rewards read the registry
    assert task.answer in rewards._FORMAT_CHECKS
    if task.answer != "text":
        reply, value = READS[task.answer]
        assert TASK_READERS[task.answer](reply, 4).value == value
        nonsense = rewards.format_reward(
            [[{"role": "assistant", "content": "Purple elephants dance."}]],
            task=[task.name],
            images=[[None] * 4],
        )
        assert nonsense == [0.0], task.name
    assert task.name in tasks.LEVEL_TASKS[task.level]


def test_a_task_registered_later_is_read_by_its_kind():
    toy = LevelTask(
        name="toy_count", level=2, pool="shapes", answer="number", slots=lambda n: 2, generator=print
    )
    tasks.register(toy)
    try:
        reply = READS["number"][0]
        assert rewards.format_reward([reply], task=["toy_count"], images=[[None] * 4]) == [1.0]
        assert rewards.similarity_reward(
            [reply], task=["toy_count"], meta=['{"answer": 4}'], images=[[None] * 4]
        ) == [1.0]
    finally:
        tasks.unregister("toy_count")
    assert "toy_count" not in TASKS


def test_a_task_is_built_by_keyword_with_a_known_answer_kind():
    with pytest.raises(TypeError):
        LevelTask("compare", 2, "objects", "yes/no", lambda n: 2, print)  # positional: refused
    with pytest.raises(ValueError, match="answer must be one of"):
        LevelTask(name="x", level=2, pool="shapes", answer="colour", slots=lambda n: 2, generator=print)
