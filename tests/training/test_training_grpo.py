"""GRPO (paper Table 5): the three rule rewards with hand-computed values, and 2 GRPO steps on a tiny Qwen VLM."""

from __future__ import annotations

import math

import pytest

from s2h_dataset.errors import UserError
from s2h_dataset.testing import tiny_vlm_cache
from s2h_dataset.training.rewards import (
    GRPOScriptArguments,
    format_reward,
    length_reward,
    reward_functions,
    similarity_reward,
)


def _reply(text: str) -> list[dict]:
    """A conversational completion as TRL hands it to reward functions."""
    return [{"role": "assistant", "content": text}]


def _chosen(text: str) -> list[dict]:
    """A row's `chosen` column as built (content parts)."""
    return [{"role": "assistant", "content": [{"type": "text", "text": text}]}]


def test_length_reward_peaks_at_20_tokens():
    ids = [[0] * n for n in (20, 10, 30, 15, 0, 40, 55)]
    assert length_reward([None] * len(ids), completion_ids=ids) == [1.0, 0.5, 0.5, 0.75, 0.0, 0.0, 0.0]
    assert length_reward([None], completion_ids=[[0] * 5], optimum=10) == [0.5]
    assert length_reward([_reply("one two three four five")], optimum=10) == [0.5]  # words without ids
    assert length_reward([None], completion_ids=[[0] * 20], target=[2]) == [1.0]  # the rows' `target` column


def test_format_reward_per_answer_type():
    completions = [
        _reply("Yes. Both are mammals."),  # compare: yes/no first
        _reply("Both are mammals, so yes."),  # compare: the answer is not first
        _reply("The third image contains the roll of paper."),  # which_image: one image named
        _reply("Image 1 or Image 3."),  # which_image: two images
        _reply("Image 1 has 2 and Image 3 has 0, so 2 more."),  # arithmetic: a number
        _reply("There are more in the first one."),  # arithmetic: no number
        _reply("A stopwatch on a table."),  # caption: plain text
        _reply("<|im_start|>assistant A stopwatch."),  # markup left in the reply
        _reply(""),  # empty
        _reply("One. Two. Three. Four."),  # more than 3 sentences
    ]
    tasks = ["compare", "compare", "which_image", "which_image", "arithmetic", "arithmetic"] + [
        "caption_search"
    ] * 4
    images = [[None] * 4] * len(tasks)
    assert format_reward(completions, task=tasks, images=images) == [1, 0, 1, 0, 1, 0, 1, 0, 0, 0]


def test_similarity_reward_short_answers_exact():
    completions = [
        _reply("yes, they are"),
        _reply("No."),
        _reply("Image 3"),
        _reply("the first image"),
        _reply("So 2 - 0 = 2."),
        _reply("It is 3."),
    ]
    tasks = ["compare", "compare", "which_image", "which_image", "arithmetic", "arithmetic"]
    meta = ['{"answer": "yes"}', '{"answer": "yes"}', "{}", "{}", '{"answer": 2}', '{"answer": 2}']
    target = [-1, -1, 2, 2, -1, -1]
    chosen = [_chosen("unused")] * 6
    images = [[None] * 4] * 6
    scores = similarity_reward(
        completions, chosen=chosen, task=tasks, meta=meta, target=target, images=images
    )
    assert scores == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]


def test_similarity_reward_free_text_uses_the_encoder():
    chosen = _chosen("This image shows a stopwatch, centred in the frame.")
    completions = [
        _reply("this image shows a STOPWATCH centred in the frame"),  # normalised exact match: 1
        _reply("A stopwatch in the middle of the picture."),
        _reply("A factory with two chimneys and smoke."),
        _reply(""),
    ]
    n = len(completions)
    scores = similarity_reward(
        completions, chosen=[chosen] * n, task=["caption_search"] * n, meta=["{}"] * n, target=[2] * n
    )
    assert scores[0] == 1.0 and scores[3] == 0.0
    assert 0 < scores[2] < scores[1] < 1  # the paraphrase is closer than another object


def test_grpo_arguments_and_reward_names():
    args = GRPOScriptArguments(dataset_name="x", rewards="length,similarity", length_target=30)
    funcs = reward_functions(args)
    assert [f.__name__ for f in funcs] == ["length_reward", "similarity_reward"]
    assert funcs[0]([None], completion_ids=[[0] * 30], target=[1]) == [1.0]  # the bound optimum
    for bad in ({"rewards": "length,speed"}, {"rewards": ""}, {"length_target": 0}):
        with pytest.raises(UserError):
            GRPOScriptArguments(dataset_name="x", **bad)


def test_grpo_trains_two_steps_on_level3(built_dataset, grpo_script, cpu_args, tmp_path):
    out = tmp_path / "grpo"
    args = [a for a in cpu_args if a not in ("--max_length", "None")]  # GRPO has no max_length
    trainer = grpo_script.main(
        [
            "--model_name_or_path",
            str(tiny_vlm_cache("qwen2_5_vl")),
            "--dataset_name",
            str(built_dataset),
            "--dataset_config",
            "level3",
            "--output_dir",
            str(out),
            *args,
            "--num_generations",
            "2",
            "--max_completion_length",
            "8",
        ]
    )
    logs = [h for h in trainer.state.log_history if "loss" in h]
    assert trainer.state.global_step == 2 and len(logs) == 2
    for name in ("length_reward", "format_reward", "similarity_reward"):
        values = [h[f"rewards/{name}/mean"] for h in logs]
        assert all(math.isfinite(v) and 0 <= v <= 1 for v in values), name
    assert (
        "rejected" not in trainer.train_dataset.column_names
        and "chosen" in trainer.train_dataset.column_names
    )
    card = (out / "README.md").read_text()
    assert "- grpo\n" in card and "levels: level3" in card
    # issue #22: the card lists the rewards, their weights and how completions were generated
    for row in ('| `rewards` | ["length", "format", "similarity"] |', "| `num_generations` | 2 |"):
        assert row in card, row
    for key in ("reward_weights", "max_completion_length", "temperature", "loss_type"):
        assert f"| `{key}` |" in card, key
    assert (out / "model.safetensors").is_file()


def test_format_reward_is_0_on_nonsense_for_every_short_answer_task():
    from s2h_dataset.tasks import TASKS

    short = [name for name, task in TASKS.items() if task.answer != "text"]
    assert len(short) >= 7
    for name in short:
        assert format_reward([_reply("Purple elephants dance.")], task=[name], images=[[None] * 4]) == [
            0.0
        ], name


def _prompt(text):
    return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]


def test_format_reward_on_free_text_varies():
    """Free text is not 1.0 for any sentence: refusals, extra sentences and images the prompt never named
    score 0, so replies of mixed quality give the reward a spread (variance > 0)."""
    import statistics

    replies = [
        "A stopwatch on a wooden table.",  # one caption sentence
        "I'm sorry, I cannot describe this image.",  # refusal
        "Image 3 shows a stopwatch.",  # names an image the prompt did not
        "A stopwatch. It is on a table.",  # two sentences for one image
        "The second image shows a stopwatch.",  # the image the prompt named: fine
        "!!! ???",  # no words
        "rd\ufffdrd ShowangeObjectsOnly Assistant TrdK",  # what a random tiny model writes
    ]
    prompts = [_prompt("Caption the second image.")] * len(replies)
    scores = format_reward(
        [_reply(r) for r in replies], task=["caption_indexed"] * 7, images=[[None] * 4] * 7, prompts=prompts
    )
    assert scores == [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    assert statistics.pvariance(scores) > 0
    each = _prompt("Describe each image in order, one sentence per image.")
    three = format_reward(
        [_reply("A cat. A dog. A car."), _reply("A cat and a dog and a car.")],
        task=["describe_each"] * 2,
        images=[[None] * 3] * 2,
        prompts=[each, each],
    )
    assert three == [1.0, 0.0]  # one sentence per image asked
