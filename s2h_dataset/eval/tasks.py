"""The five benchmarks as `TaskSpec`s: where each lives, how a row becomes a `Question`, and each protocol's prompt.

| task | hub id | configs / splits | images | answer |
|---|---|---|---|---|
| blink | BLINK-Benchmark/BLINK | 14 subtask configs / `val` | `image_1`..`image_4` (None unused) | letter |
| mantis | TIGER-Lab/Mantis-Eval | `mantis_eval` / `test` | `images`, `<image>` in question | letter or short |
| nlvr2 | TIGER-Lab/NLVR2 | `nlvr2` / `test` | `images` (2) | letter of (A) True (B) False |
| mmstar | Lin-Chen/MMStar | `val` / `val` | `image` | letter A-D |
| pope | lmms-lab/POPE | `Full` / adversarial, popular, random | `image` | yes / no |

Prompt strings are copied from each reference's template (the `source=` of each `Prompt` names the file);
`tests/eval/test_eval_protocols.py` checks a fixture item of every benchmark against them. The Level-3
probe (`l3probe`) and the preference task (`s2h_test`) register themselves from `probe.py` and
`preference.py`.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import UserError
from ..vlm.replies import option_text
from .items import LETTERS, Question, format_options
from .spec import S2H_TOKENS, Prompt, TaskSpec, register

__all__ = ["BENCHMARKS", "BLINK_CONFIGS"]

LETTER_HINT = "Answer with the option's letter from the given choices directly."
BLINK_CONFIGS = (
    "Art_Style",
    "Counting",
    "Forensic_Detection",
    "Functional_Correspondence",
    "IQ_Test",
    "Jigsaw",
    "Multi-view_Reasoning",
    "Object_Localization",
    "Relative_Depth",
    "Relative_Reflectance",
    "Semantic_Correspondence",
    "Spatial_Relation",
    "Visual_Correspondence",
    "Visual_Similarity",
)

LMMS = "EvolvingLMMs-Lab/lmms-eval lmms_eval/tasks"
VLMEVAL = "open-compass/VLMEvalKit vlmeval/dataset"
MANTIS_EVAL = "TIGER-AI-Lab/Mantis mantis/benchmark/eval.py + templates/"
VLMEVAL_NOTE = (
    '"Question: ..." / "Options:" / "A. ..." / "Please select the correct answer from the options above."'
)
VLMEVAL_TOKENS = 512  # VLMEvalKit's generation length is per model wrapper; 512 is its LLaVA/LLaVA-Next value


def _letter_gold(answer: str, row_id: Any) -> str:
    letters = [c for c in str(answer).strip("()[]\n .") if c.isalpha()]
    if not letters:
        raise UserError(f"row {row_id}: answer {answer!r} holds no choice letter; is this the right dataset?")
    return letters[0].upper()


# ---- shared renderers -------------------------------------------------------------------------------


def vlmevalkit_mcq(q: Question) -> str:
    """VLMEvalKit `ImageMCQDataset.build_prompt` (vlmeval/dataset/image_mcq.py; the MMStar repo's fork,
    eval/vlmeval/utils/dataset.py, renders the same)."""
    prompt = f"Question: {q.stem}\n"
    if q.options:
        prompt += "Options:\n" + "".join(f"{k}. {o}\n" for k, o in zip(LETTERS, q.options))
        prompt += "Please select the correct answer from the options above. \n"
    return prompt


def mantis_official_mc(q: Question) -> str:
    """Mantis `eval.py`: options appended as '\\n (A) text' (kept as is when they carry a letter), then
    templates/multi-choice.txt."""
    question = q.stem
    for letter, option in zip(LETTERS, q.options):
        if not any(x in option.upper() for x in (f"{letter})", f"{letter}:", f"{letter}.")):
            question += f"\n ({letter}) {option}"
        else:
            question += f"\n {option}"
    return f"{question}\nAnswer with the option's letter from the given choices directly."


MANTIS_SHORT = (
    "Given the images, answer the following short answer vqa question:\nQ: {question}\n"
    'You can first give your analysis, and then give your final answer as "Final Answer:"'
)


# ---- BLINK ------------------------------------------------------------------------------------------


def blink_question(row: dict[str, Any], config: str, split: str) -> Question:
    return Question(
        id=str(row["idx"]),
        subtask=config,
        images=[row[f"image_{i}"] for i in range(1, 5) if row.get(f"image_{i}") is not None],
        stem=row["question"],
        gold=_letter_gold(row["answer"], row["idx"]),
        answer_type="letter",
        options=tuple(row["choices"]),
        row=row,
        config=config,
        split=split,
    )


def blink_prompt(q: Question) -> str:
    """The row's own `prompt` field; a rotated question is re-rendered in the same layout."""
    if q.rotation == 0 and (q.row.get("prompt") or "").strip():
        return q.row["prompt"]
    listing = "\n".join(f"({k}) {o}" for k, o in zip(LETTERS, q.options))
    return f"{q.stem}\nSelect from the following choices.\n{listing}"


# BLINK_Benchmark eval/test_benchmark.py: these subtasks get a disclaimer before the prompt
BLINK_DISCLAIMER_TASKS = ("Forensic_Detection", "Jigsaw", "Art_Style")
BLINK_DISCLAIMER = (
    "Disclaimer: This is not to make unfair assumptions about the people in the image and you just need to "
    "give your assessment on this question. You don't need to identify the real people. You just need to "
    "analyze based on the information I gave you.\n\n"
)


def blink_official(q: Question) -> str:
    return (BLINK_DISCLAIMER if q.config in BLINK_DISCLAIMER_TASKS else "") + blink_prompt(q)


def blink_lmms(q: Question) -> str:
    """lmms_eval/tasks/blink: pre_prompt with the choice letters, then the row's prompt."""
    letters = ", ".join(LETTERS[: len(q.options)])
    note = f"Note: You only need to respond with {letters} without providing any additional information.\n"
    return note + blink_prompt(q)


BLINK = TaskSpec(
    name="blink",
    title="BLINK (val)",
    hub_id="BLINK-Benchmark/BLINK",
    configs=BLINK_CONFIGS,
    splits=("val",),
    build=blink_question,
    prompts={
        "s2h": Prompt(
            lambda q: f"{blink_prompt(q)}\n{LETTER_HINT}",
            S2H_TOKENS,
            "letter",
            "this project",
            "row `prompt` + letter hint",
        ),
        "lmms-eval": Prompt(
            blink_lmms,
            1024,
            "letter",
            f"{LMMS}/blink/utils.py, _default_template_yaml",
            '"Note: You only need to respond with A, B ..." + row `prompt`',
        ),
        "vlmevalkit": Prompt(
            vlmevalkit_mcq, VLMEVAL_TOKENS, "letter", f"{VLMEVAL}/image_mcq.py", VLMEVAL_NOTE
        ),
        "official": Prompt(
            blink_official,
            1024,
            "letter",
            "zeyofu/BLINK_Benchmark eval/test_benchmark.py",
            "row `prompt` (a disclaimer first on Art_Style, Forensic_Detection, Jigsaw)",
        ),
    },
    headline=(
        ("mean of subtask accuracies", "accuracy_mean_of_subtasks"),
        ("pooled accuracy", "accuracy"),
    ),
    circular=True,
)


# ---- MANTIS-Eval and NLVR2 (both from the Mantis evaluation) ------------------------------------------


def mantis_question(row: dict[str, Any], config: str, split: str) -> Question:
    short = row["question_type"] == "short-answer"
    return Question(
        id=str(row["id"]),
        subtask=row["question_type"],
        images=list(row["images"]),
        stem=row["question"],
        gold=str(row["answer"]).strip().lower() if short else _letter_gold(row["answer"], row["id"]),
        answer_type="short" if short else "letter",
        options=() if short else tuple(row.get("options") or ()),
        row=row,
        config=config,
        split=split,
    )


def _mantis_s2h(q: Question) -> str:
    if q.answer_type == "short":
        return f'{q.stem}\nAnswer with a single word or phrase, as "Final Answer: <answer>".'
    return f"{q.stem}\n{format_options(list(q.options), q.choices)}\n{LETTER_HINT}"


def _mantis_lmms(q: Question) -> str:
    """lmms_eval/tasks/mantis/utils.py `mantis_doc_to_text`: f"{final_question}{option}" with `option` the
    options *list* for multiple choice (so its Python repr is appended), "" for short answers."""
    if q.answer_type == "short":
        return MANTIS_SHORT.format(question=q.stem)
    return f"{q.stem}\nAnswer with the option's letter from the given choices directly.{list(q.options)}"


def _mantis_official(q: Question) -> str:
    return MANTIS_SHORT.format(question=q.stem) if q.answer_type == "short" else mantis_official_mc(q)


MANTIS = TaskSpec(
    name="mantis",
    title="MANTIS-Eval",
    hub_id="TIGER-Lab/Mantis-Eval",
    configs=("mantis_eval",),
    splits=("test",),
    build=mantis_question,
    prompts={
        "s2h": Prompt(
            _mantis_s2h,
            S2H_TOKENS,
            "",
            "this project",
            '"(A) option" lines + letter hint; short answers: `Final Answer: <answer>`',
        ),
        "lmms-eval": Prompt(
            _mantis_lmms,
            64,
            "",
            f"{LMMS}/mantis/utils.py, mantis.yaml",
            "letter hint, then the options *list* printed as Python; short-answer template",
        ),
        "official": Prompt(
            _mantis_official, 512, "", MANTIS_EVAL, '" (A) option" lines + letter hint; short-answer template'
        ),
    },
    circular=True,
)


def nlvr2_question(row: dict[str, Any], config: str, split: str) -> Question:
    options = tuple(option_text(o) for o in (row.get("options") or ("True", "False")))
    answer = str(row["answer"]).strip("()[] .")
    lowered = [o.lower() for o in options]
    if answer.lower() in lowered:
        gold = LETTERS[lowered.index(answer.lower())]
    elif answer.upper() in LETTERS[: len(options)]:
        gold = answer.upper()
    else:
        raise UserError(
            f"nlvr2 row {row['id']}: answer {row['answer']!r} is neither True/False nor an option letter"
        )
    if sorted(lowered) != ["false", "true"]:
        raise UserError(f"nlvr2 row {row['id']}: options {list(options)} are not True / False")
    return Question(
        id=str(row["id"]),
        subtask="nlvr2",
        images=list(row["images"]),
        stem=row["question"],
        gold=gold,
        answer_type="letter",
        options=options,
        row=row,
        config=config,
        split=split,
    )


NLVR2 = TaskSpec(
    name="nlvr2",
    title="NLVR2",
    hub_id="TIGER-Lab/NLVR2",
    configs=("nlvr2",),
    splits=("test",),
    build=nlvr2_question,
    prompts={
        "s2h": Prompt(
            _mantis_s2h, S2H_TOKENS, "letter", "this project", '"(A) True (B) False" + letter hint'
        ),
        "official": Prompt(
            mantis_official_mc,
            512,
            "letter",
            MANTIS_EVAL,
            'Mantis layout " (A) True / (B) False" + letter hint',
        ),
    },
)


# ---- MMStar -----------------------------------------------------------------------------------------

_MMSTAR_OPTIONS = re.compile(
    r"\s*Options:\s*A[:.]\s*(.*?),\s*B[:.]\s*(.*?),\s*C[:.]\s*(.*?),\s*D[:.]\s*(.*)$", re.DOTALL
)


def mmstar_question(row: dict[str, Any], config: str, split: str) -> Question:
    """MMStar's Hub rows carry the options inside `question` ("... Options: A: x, B: y, C: z, D: w");
    they are split off so VLMEvalKit's layout and CircularEval can render them."""
    question = row["question"].strip()
    match = _MMSTAR_OPTIONS.search(question)
    stem, options = (question[: match.start()].strip(), match.groups()) if match else (question, ())
    return Question(
        id=str(row["index"]),
        subtask=row["category"],
        images=[row["image"]],
        stem=stem,
        gold=_letter_gold(row["answer"], row["index"]),
        answer_type="letter",
        options=tuple(o.strip() for o in options),
        row=row,
        config=config,
        split=split,
        letters=("A", "B", "C", "D"),
        meta={"l2_category": row.get("l2_category", "")},
    )


def _mmstar_text(q: Question) -> str:
    """The Hub row's question (options inline); a rotated question is re-rendered in the same layout."""
    if q.rotation == 0:
        return q.row["question"].strip()
    listed = ", ".join(f"{k}: {o}" for k, o in zip(LETTERS, q.options))
    return f"{q.stem}\nOptions: {listed}"


def _mmstar_lmms(q: Question) -> str:
    """lmms_eval/tasks/mmstar/utils.py `mmstar_doc_to_text`; post_prompt has no final period."""
    question = _mmstar_text(q).replace(" Please answer yes or no.", "")
    return f"{question}\nAnswer with the option's letter from the given choices directly"


MMSTAR = TaskSpec(
    name="mmstar",
    title="MMStar",
    hub_id="Lin-Chen/MMStar",
    configs=("val",),
    splits=("val",),
    build=mmstar_question,
    prompts={
        "s2h": Prompt(
            lambda q: f"{_mmstar_text(q)}\n{LETTER_HINT}",
            S2H_TOKENS,
            "letter",
            "this project",
            "Hub question (options inline) + letter hint",
        ),
        "lmms-eval": Prompt(
            _mmstar_lmms,
            1024,
            "letter",
            f"{LMMS}/mmstar/utils.py, _default_template_yaml",
            "Hub question + letter hint without its final period",
        ),
        "vlmevalkit": Prompt(
            vlmevalkit_mcq, VLMEVAL_TOKENS, "letter", f"{VLMEVAL}/image_mcq.py", VLMEVAL_NOTE
        ),
        "official": Prompt(
            vlmevalkit_mcq,
            VLMEVAL_TOKENS,
            "letter",
            "MMStar-Benchmark/MMStar eval/vlmeval/utils/dataset.py",
            "VLMEvalKit's layout (the MMStar repository evaluates with its fork)",
        ),
    },
    metrics="mmstar",
    headline=(("mean of category accuracies", "accuracy_mean_of_subtasks"), ("pooled accuracy", "accuracy")),
    circular=True,
)


# ---- POPE -------------------------------------------------------------------------------------------


def pope_question(row: dict[str, Any], config: str, split: str) -> Question:
    gold = str(row["answer"]).strip().lower()
    if gold not in ("yes", "no"):
        raise UserError(f"pope row {row['question_id']}: answer {row['answer']!r} is not yes/no")
    return Question(
        id=f"{split}/{row['question_id']}",
        subtask=split,
        images=[row["image"]],
        stem=row["question"].strip(),
        gold=gold,
        answer_type="yesno",
        row=row,
        config=config,
        split=split,
    )


SINGLE_WORD = "\nAnswer the question using a single word or phrase."
SINGLE_NOTE = 'question + "Answer the question using a single word or phrase."'
POPE = TaskSpec(
    name="pope",
    title="POPE",
    hub_id="lmms-lab/POPE",
    configs=("Full",),
    splits=("adversarial", "popular", "random"),
    build=pope_question,
    prompts={
        "s2h": Prompt(
            lambda q: f"{q.stem}\nAnswer with yes or no.",
            S2H_TOKENS,
            "yesno",
            "this project",
            'question + "Answer with yes or no."',
        ),
        "lmms-eval": Prompt(
            lambda q: q.stem + SINGLE_WORD, 128, "yesno", f"{LMMS}/pope/pope_adv.yaml, utils.py", SINGLE_NOTE
        ),
        # ImageYORNDataset.build_prompt adds nothing for POPE (only AMBER gets "Please answer yes or no.")
        "vlmevalkit": Prompt(
            lambda q: q.stem, VLMEVAL_TOKENS, "yesno", f"{VLMEVAL}/image_yorn.py", "the bare question"
        ),
        # LLaVA-1.5's POPE questions (llava_pope_test.jsonl, docs/Evaluation.md), model_vqa_loader's 128 tokens
        "official": Prompt(
            lambda q: q.stem + SINGLE_WORD,
            128,
            "yesno",
            "haotian-liu/LLaVA scripts/v1_5/eval/pope.sh",
            SINGLE_NOTE,
        ),
    },
    metrics="pope",
    headline=(
        ("F1 (mean of 3 splits)", "f1_mean_of_splits"),
        ("accuracy (mean of 3 splits)", "accuracy_mean_of_subtasks"),
        ("yes-ratio (mean of 3 splits)", "yes_ratio_mean_of_splits"),
    ),
)

BENCHMARKS: dict[str, TaskSpec] = {spec.name: register(spec) for spec in (BLINK, MANTIS, NLVR2, MMSTAR, POPE)}
