"""The references' reading rules: how lmms-eval, VLMEvalKit, Mantis and LLaVA turn a reply into an answer.

Each rule is written from the reference's documented behaviour (never its code) and cites repository,
commit and file. `references.py` aggregates them as each reference does and puts them beside our parser.
"""

from __future__ import annotations

import re

__all__ = [
    "llava_pope_yes_no",
    "lmms_blink_letter",
    "lmms_mcq_letter",
    "mantis_option",
    "vlmevalkit_option",
    "vlmevalkit_yes_no",
]

LMMS = "EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks"
VLMEVAL = "open-compass/VLMEvalKit@e8e78f0 vlmeval"
LLAVA = "haotian-liu/LLaVA@4241f08 llava/eval/eval_pope.py"


def lmms_blink_letter(reply: str) -> str:
    """lmms-eval blink/utils.py `_extract_answer_letter`: the first letter of the stripped reply, after any
    opening brackets or spaces, upper-cased ("I think B" -> "I"); "" when the reply starts with none."""
    match = re.match(r"[\(\s]*([A-Za-z])", reply.strip())
    return match.group(1).upper() if match else ""


_MCQ_PHRASES = (
    "the answer is", "answer is", "the correct answer is", "correct answer is", "the best answer is",
    "best answer is", "the correct option is", "correct option is", "the best option is", "best option is",
    "the choice is", "choice is", "the correct choice is", "correct choice is", "i choose", "i select",
    "i pick", "my answer is", "my choice is", "옵션", "정답은", "답은", "답:", "答案是", "答案为", "选", "答えは",
)  # fmt: skip
# format -> priority (higher wins; then the later position)
_MCQ_PRIORITY = {"start": 10, "end": 9, "phrase": 7, "(X)": 6, "X.": 5, "X:": 4, "X)": 3, "X ": 2, "any": 0}


def lmms_mcq_letter(reply: str, letters: tuple[str, ...] = ("A", "B", "C", "D")) -> str:
    """lmms-eval _task_utils/mcq_extract.py `extract_mcq_answer` (MMStar): every occurrence format of each
    choice letter is a candidate ("(B)", "B.", "B:", "B)", "B ", after an answer phrase, the reply's first
    or last standalone character); the highest-priority format wins, then the later position. Case
    sensitive: lower-case letters never count."""
    text = reply.strip()
    if not text:
        return ""
    for char in ",.!?;:'\"":  # one character after the other, as the reference strips
        text = text.strip(char)
    text = f" {text} "
    found = []
    for fmt in ("(X)", "X.", "X:", "X)", "X "):
        found += [(c, text.rfind(fmt.replace("X", c)), fmt) for c in letters if fmt.replace("X", c) in text]
    lowered = text.lower()
    for phrase in _MCQ_PHRASES:
        at = lowered.find(phrase)
        if at >= 0:
            found += [
                (c, text.find(c, at + len(phrase)), "phrase")
                for c in letters
                if c in text[at + len(phrase) :]
            ]
    core = text.strip()
    for c in letters:
        if core.startswith(c) and (len(core) == 1 or not core[1].isalpha()):
            found.append((c, 0, "start"))
        if core.endswith(c) and (len(core) == 1 or not core[-2].isalpha()):
            found.append((c, len(text) - 1, "end"))
    if not found:
        found = [(c, text.rfind(c), "any") for c in letters if c in text]
    return max(found, key=lambda f: (_MCQ_PRIORITY[f[2]], f[1]))[0] if found else ""


def _mantis_answer(reply: str) -> str:
    """The text after the first "final answer:", else "the answer is", else "answer:" (any case)."""
    lowered = reply.lower()
    for marker in ("final answer:", "the answer is", "answer:"):
        if marker in lowered:
            return reply[lowered.index(marker) + len(marker) :].strip()
    return reply


def mantis_option(reply: str, gold: str, options: list[str], short: bool = False) -> tuple[str, bool]:
    """Mantis (TIGER-AI-Lab/Mantis mantis/benchmark/eval.py; lmms-eval mantis/utils.py `get_prediction`
    copies it): after an answer marker, the FIRST alphabetic character is the choice ("I think B" -> I);
    when that is no option letter, the reply is right only if it IS the gold option's text. Short
    answers: the text after the marker equals the gold, ignoring case."""
    answer = _mantis_answer(reply)
    if short:
        return answer, answer.lower() == gold.lower()
    picked = (
        answer[8]
        if re.match(r"Answer: [A-Z]", answer)
        else next((c.upper() for c in answer if c.isalpha()), "")
    )
    if picked and ord(picked) - ord("A") < len(options):
        return picked, picked == gold
    index = ord(gold) - ord("A")
    if index >= len(options):
        return reply, False
    gold_text = options[index]
    for prefix in (f"{gold}.", f"{gold}:", f"({gold})"):
        if gold_text.startswith(prefix):
            gold_text = gold_text[len(prefix) :]
            break
    return reply, reply.strip() == gold_text.strip()


_REFUSALS = (
    "Sorry, I can't help with images of people yet.", "I can't process this file.",
    "I'm sorry, but without the image provided", "Cannot determine the answer",
)  # fmt: skip
_VERBOSE_ANSWER = re.compile(r"(?i)(?:correct\s+)?answer\s+is\s+\**([ABCD])\**")


def vlmevalkit_option(reply: str, options: dict[str, str]) -> str:
    """VLMEvalKit vlmeval/utils/matching_util.py `can_infer` under the `exact_matching` policy (no GPT
    judge: an unmatched reply is option "Z", wrong): the reply split on spaces after `.()[],:;!*#{}`
    become spaces; exactly one option letter among the words and among the last five words -> it; a
    refusal or a lone "Z" -> Z; "answer is B" -> B; else the one option whose text the reply contains."""
    if "Failed to obtain answer via API" in reply:
        return "Z"
    if any(r in reply for r in _REFUSALS):
        return "Z"
    words = re.sub(r"[.()\[\],:;!*#{}]", " ", reply).split()
    named = [c for c in options if c in words]
    if len(named) == 1 and words.index(named[0]) > len(words) - 5:
        return named[0]
    if not named and "Z" in words:
        return "Z"
    verbose = _VERBOSE_ANSWER.search(reply)
    if verbose and verbose.group(1).upper() in options:
        return verbose.group(1).upper()
    lowered = reply.lower()
    if len(lowered) > 2 * sum(len(str(v)) for v in options.values()):
        return "Z"
    hits = [c for c, text in options.items() if str(text).lower() in lowered]
    return hits[0] if len(hits) == 1 else "Z"


_VQA_PUNCT = (
    ";",
    "/",
    "[",
    "]",
    '"',
    "{",
    "}",
    "(",
    ")",
    "=",
    "+",
    "\\",
    "_",
    "-",
    ">",
    "<",
    "@",
    "`",
    ",",
    "?",
    "!",
)


def vlmevalkit_yes_no(reply: str) -> str:
    """VLMEvalKit dataset/utils/yorn.py `YOrN_Extraction` (smp/misc.py `process_punctuation` first):
    "yes" among the words and no "no" -> yes; the reverse -> no; else "unknown" (no GPT judge offline)."""
    text = reply.lower()
    out = text
    for p in _VQA_PUNCT:  # dropped when it touches a space (or the text has "1,000"), else a space
        joined = p + " " in text or " " + p in text or re.search(r"(\d)(,)(\d)", text)
        out = out.replace(p, "" if joined else " ")
    words = re.sub(r"(?<!\d)\.(?!\d)", "", out).split()
    if "yes" in words and "no" not in words:
        return "yes"
    if "no" in words and "yes" not in words:
        return "no"
    return "unknown"


def llava_pope_yes_no(reply: str) -> str:
    """LLaVA llava/eval/eval_pope.py: the first sentence (up to the first "."), commas dropped, split on
    single spaces; "No", "no" or "not" among the words -> no, anything else (an empty reply too) -> yes."""
    words = reply.split(".")[0].replace(",", "").split(" ")
    return "no" if {"No", "no", "not"} & set(words) else "yes"
