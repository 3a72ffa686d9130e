"""Each protocol preset renders, for a fixture item of every benchmark, exactly the reference's prompt string.

The expected strings are written out by hand from each reference's template (source named per case), not
produced by our renderers; the fixture rows are those of `eval_fixtures.py`.
"""

import pytest
from eval_fixtures import build_all

from s2h_dataset.eval import EvalConfig
from s2h_dataset.eval.runner import task_items, task_units
from s2h_dataset.eval.spec import PROTOCOLS, get_task

LETTER = "Answer with the option's letter from the given choices directly."
SINGLE_WORD = "Answer the question using a single word or phrase."
DISCLAIMER = (  # BLINK_Benchmark eval/test_benchmark.py `disclaimer`
    "Disclaimer: This is not to make unfair assumptions about the people in the image and you just need to "
    "give your assessment on this question. You don't need to identify the real people. You just need to "
    "analyze based on the information I gave you.\n\n"
)
BLINK_PROMPT = "Question 0 of Art_Style?\nSelect from the following choices.\n(A) choice A\n(B) choice B"
VLMEVAL_TAIL = "Please select the correct answer from the options above. \n"  # vlmeval/dataset/image_mcq.py
MANTIS_SHORT = (  # Mantis mantis/benchmark/templates/short-answer.txt (lmms-eval mantis/utils.py copies it)
    "Given the images, answer the following short answer vqa question:\nQ: <image><image> How many images are "
    'there?\nYou can first give your analysis, and then give your final answer as "Final Answer:"'
)

EXPECTED = {
    # BLINK, config Art_Style, first row (3 images, no placeholders: images first)
    ("blink", "val_Art_Style_1"): {
        "s2h": f"<image><image><image>{BLINK_PROMPT}\n{LETTER}",
        # lmms_eval/tasks/blink/_default_template_yaml pre_prompt + utils.blink_doc_to_text
        "lmms-eval": "<image><image><image>Note: You only need to respond with A, B without providing any "
        f"additional information.\n{BLINK_PROMPT}",
        # vlmeval/dataset/image_mcq.py ImageMCQDataset.build_prompt
        "vlmevalkit": "<image><image><image>Question: Question 0 of Art_Style?\nOptions:\nA. choice A\n"
        f"B. choice B\n{VLMEVAL_TAIL}",
        # BLINK_Benchmark eval/test_benchmark.py load_prompt: disclaimer for Art_Style, then d['prompt']
        "official": f"<image><image><image>{DISCLAIMER}{BLINK_PROMPT}",
    },
    # MANTIS-Eval m1: "<image> <image> Which image shows an animal?", options carry their letters
    ("mantis", "m1"): {
        "s2h": f"<image><image> Which image shows an animal?\n(A) the first\n(B) the second\n{LETTER}",
        # lmms_eval/tasks/mantis/utils.py mantis_doc_to_text: f"{final_question}{option}", option = the list
        "lmms-eval": f"<image><image> Which image shows an animal?\n{LETTER}['(A) the first', '(B) the second']",
        # Mantis eval.py: options that carry "A)" are appended as "\n {option}", then multi-choice.txt
        "official": f"<image><image> Which image shows an animal?\n (A) the first\n (B) the second\n{LETTER}",
    },
    ("mantis", "m3"): {  # options without letters: Mantis adds "\n (A) colour"
        "official": f"<image><image><image>How do the images differ?\n (A) colour\n (B) size\n (C) shape\n{LETTER}",
    },
    ("mantis", "m4"): {"lmms-eval": MANTIS_SHORT, "official": MANTIS_SHORT},
    # NLVR2 through the Mantis evaluation (eval_single_model.sh runs eval.py on TIGER-Lab/NLVR2)
    ("nlvr2", "nlvr2-0"): {
        "s2h": "<image><image> Statement 0: the left image holds two objects. True or False?\n(A) True\n(B) False\n"
        f"{LETTER}",
        "official": "<image><image> Statement 0: the left image holds two objects. True or False?\n (A) True\n"
        f" (B) False\n{LETTER}",
    },
    # MMStar index 0: the Hub row keeps its options inside the question
    ("mmstar", "0"): {
        "s2h": f"<image>What is shown? Options: A: cat, B: dog, C: car, D: tree (q0)\n{LETTER}",
        # lmms_eval/tasks/mmstar/_default_template_yaml post_prompt (no final period)
        "lmms-eval": "<image>What is shown? Options: A: cat, B: dog, C: car, D: tree (q0)\n"
        "Answer with the option's letter from the given choices directly",
        "vlmevalkit": f"<image>Question: What is shown?\nOptions:\nA. cat\nB. dog\nC. car\nD. tree (q0)\n{VLMEVAL_TAIL}",
        # MMStar-Benchmark/MMStar eval/vlmeval/utils/dataset.py build_prompt (same layout)
        "official": f"<image>Question: What is shown?\nOptions:\nA. cat\nB. dog\nC. car\nD. tree (q0)\n{VLMEVAL_TAIL}",
    },
    ("pope", "adversarial/1"): {
        "s2h": "<image>Is there a dog in the image? (adversarial 0)\nAnswer with yes or no.",
        # lmms_eval/tasks/pope/pope_adv.yaml post_prompt
        "lmms-eval": f"<image>Is there a dog in the image? (adversarial 0)\n{SINGLE_WORD}",
        # vlmeval/dataset/image_yorn.py: the bare question for POPE
        "vlmevalkit": "<image>Is there a dog in the image? (adversarial 0)",
        # LLaVA docs/Evaluation.md / llava_pope_test.jsonl
        "official": f"<image>Is there a dog in the image? (adversarial 0)\n{SINGLE_WORD}",
    },
}
TOKENS = {  # reference generation lengths
    "blink": {"lmms-eval": 1024, "vlmevalkit": 2048, "official": 1024},  # VLMEvalKit: vlm/llava/llava.py
    "mantis": {"lmms-eval": 64, "official": 512},
    "nlvr2": {"official": 512, "lmms-eval": 512},  # not in lmms-eval: the official protocol
    "mmstar": {"lmms-eval": 1024, "vlmevalkit": 2048, "official": 512},
    "pope": {"lmms-eval": 128, "vlmevalkit": 2048, "official": 128},
}


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return build_all(tmp_path_factory.mktemp("benchmarks"))


def rendered(bench, task, protocol, model="m"):
    config = EvalConfig(
        model_name_or_path=model,
        out="o",
        eval_tasks=task,
        protocol=protocol,
        dataset_path=[f"{task}={bench[task]}"],
    )
    spec = get_task(task)
    return {i.id: i.prompt_text() for u in task_units(spec, config) for i in task_items(spec, u, config)}


@pytest.mark.parametrize("case", sorted(EXPECTED), ids=lambda c: f"{c[0]}-{c[1]}")
def test_preset_renders_the_reference_prompt(bench, case):
    task, item_id = case
    for protocol, expected in EXPECTED[case].items():
        assert rendered(bench, task, protocol)[item_id] == expected, protocol


@pytest.mark.parametrize("task", sorted(TOKENS))
def test_generation_length_per_preset(task):
    spec = get_task(task)
    for protocol, tokens in TOKENS[task].items():
        assert (
            EvalConfig(model_name_or_path="m", out="o", eval_tasks=task, protocol=protocol).max_tokens(task)
            == tokens
        )
    assert all(spec.prompt(p).max_new_tokens >= 64 for p in PROTOCOLS)  # 32 cut verbose models
    assert (
        EvalConfig(model_name_or_path="m", out="o", eval_tasks=task, max_new_tokens=7).max_tokens(task) == 7
    )


def test_uncovered_benchmarks_fall_back_to_official():
    nlvr2 = get_task("nlvr2")
    assert nlvr2.prompt_protocol("lmms-eval") == nlvr2.prompt_protocol("vlmevalkit") == "official"
    assert get_task("mantis").prompt_protocol("vlmevalkit") == "official"
    assert get_task("l3probe").prompt_protocol("lmms-eval") == "s2h"


def test_readme_table_matches_the_registry():
    from pathlib import Path

    from s2h_dataset.eval.spec import protocol_table

    assert protocol_table() in (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


# VLMEvalKit's per-model prompts (issue #22), written out from vlm/llava/llava.py and vlm/qwen*_vl/prompt.py
PER_MODEL = {
    (
        "mmstar",
        "0",
        "llava-hf/llava-1.5-7b-hf",
    ): f"<image>What is shown?\nA. cat\nB. dog\nC. car\nD. tree (q0)\n{LETTER}",
    (
        "mmstar",
        "0",
        "Qwen/Qwen2.5-VL-7B-Instruct",
    ): "<image>Question: What is shown?\nOptions:\nA. cat\nB. dog\n"
    "C. car\nD. tree (q0)\nPlease select the correct answer from the options above.",
    (
        "mmstar",
        "0",
        "Qwen/Qwen3-VL-8B-Instruct",
    ): "<image>Question: What is shown?\nOptions:\nA. cat\nB. dog\n"
    "C. car\nD. tree (q0)\nAnswer with the option letter only.",
    (
        "pope",
        "adversarial/1",
        "Qwen/Qwen2-VL-2B-Instruct",
    ): "<image>Is there a dog in the image? (adversarial 0) Please answer yes or no.",
    (
        "pope",
        "adversarial/1",
        "llava-hf/llava-1.5-7b-hf",
    ): "<image>Is there a dog in the image? (adversarial 0)",
}


@pytest.mark.parametrize("case", sorted(PER_MODEL), ids=lambda c: f"{c[0]}-{c[2]}")
def test_vlmevalkit_per_model_prompts(bench, case):
    task, item_id, model = case
    assert rendered(bench, task, "vlmevalkit", model)[item_id] == PER_MODEL[case]


def test_model_family_from_config_json_and_generation_lengths(tmp_path):
    import json

    from s2h_dataset.errors import UserError

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "qwen3_vl"}))
    config = EvalConfig(model_name_or_path=str(tmp_path), out="o", eval_tasks="pope", protocol="vlmevalkit")
    assert config.family == "qwen3_vl" and config.max_tokens("pope") == 32768  # vlm/qwen3_vl/model.py
    assert EvalConfig(model_name_or_path=str(tmp_path), out="o", model_family="none").family == ""
    with pytest.raises(UserError, match="--model-family gpt"):
        EvalConfig(model_name_or_path="m", out="o", model_family="gpt")


def test_lmms_eval_reads_pope_from_its_own_copy():
    from s2h_dataset.errors import UserError

    config = EvalConfig(model_name_or_path="m", out="o", eval_tasks="pope", protocol="lmms-eval")
    assert config.prompt("pope").hub_id == "lmms-lab-encoder/POPE"
    with pytest.raises(UserError, match="lmms-lab-encoder/POPE"):  # offline: the load names the copy it tried
        task_units(get_task("pope"), config)
