"""Agreement of each protocol preset's reference parser with our one parser, on the parser's reply table.

For every (benchmark, preset) pair, the reference's own answer-reading code is taken from a local mirror of
its repository (`git show`, only the named functions are compiled, nothing of the project imports them)
and run on the cases of `tests/vlm/reply_cases.py` of the benchmark's answer kind. Reported per pair:
cases, agreement with `s2h_dataset.vlm.replies` (same reading, or both unreadable), and how often each side
reads the table's expected answer. Reference readers (file, function):

- lmms-eval BLINK: lmms_eval/tasks/blink/utils.py `_extract_answer_letter`
- lmms-eval MMStar: lmms_eval/tasks/_task_utils/mcq_extract.py `extract_mcq_answer`
- lmms-eval MANTIS, Mantis official (MANTIS, NLVR2): `parse_answer` + `get_option` (+ the NLVR2 true/false rule)
- lmms-eval POPE: `pope_process_results` (the lower-cased reply must be "yes" / "no")
- VLMEvalKit (BLINK, MMStar): vlmeval/utils/matching_util.py `can_infer`; POPE: utils/yorn.py `YOrN_Extraction`
- BLINK official: eval/test_benchmark.py `analyze_answer` (its GPT-3.5 fallback counted as unreadable)
- POPE official (LLaVA): llava/eval/eval_pope.py `eval_pope` (first sentence, "no"/"not" -> no, else yes)

Get the mirrors with the `fetch` tool (or `git clone`) into MIRRORS/<owner>+<name>/repo:

    PYTHONPATH=$PWD python bench/bench_eval_agreement.py [--mirrors /work/.mirror] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import re
import string
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "vlm"))

REPOS = {
    "lmms": "EvolvingLMMs-Lab+lmms-eval",
    "vlmeval": "open-compass+VLMEvalKit",
    "mantis": "TIGER-AI-Lab+Mantis",
    "blink": "zeyofu+BLINK_Benchmark",
    "llava": "haotian-liu+LLaVA",
}


def functions(mirrors: Path, repo: str, path: str, names: tuple[str, ...], env: dict | None = None) -> dict:
    """Compile only `names` (functions or module-level assignments) of `path` at the mirror's HEAD."""
    source = subprocess.run(
        ["git", "-C", str(mirrors / REPOS[repo] / "repo"), "show", f"HEAD:{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tree = ast.parse(source)
    keep = [
        node
        for node in tree.body
        if (isinstance(node, ast.FunctionDef) and node.name in names)
        or (isinstance(node, ast.Assign) and any(getattr(t, "id", None) in names for t in node.targets))
    ]
    namespace = {
        "re": re,
        "os": os,
        "cp": copy,
        "string": string,
        "List": list,
        "Optional": None,
        **(env or {}),
    }
    exec(compile(ast.Module(keep, type_ignores=[]), f"{repo}:{path}", "exec"), namespace)
    return namespace


def readers(mirrors: Path) -> dict:
    """(benchmark, preset) -> (answer kind, reader(case) -> canonical value or None)."""
    blink_lmms = functions(mirrors, "lmms", "lmms_eval/tasks/blink/utils.py", ("_extract_answer_letter",))
    mcq = functions(
        mirrors,
        "lmms",
        "lmms_eval/tasks/_task_utils/mcq_extract.py",
        ("extract_mcq_answer", "_DEFAULT_CHOICES", "_ANSWER_PHRASES", "_FORMAT_PRIORITY"),
    )
    mantis_lmms = functions(
        mirrors, "lmms", "lmms_eval/tasks/mantis/utils.py", ("parse_answer", "get_option")
    )
    mantis = functions(mirrors, "mantis", "mantis/benchmark/eval.py", ("parse_answer", "get_option"))
    infer = functions(
        mirrors,
        "vlmeval",
        "vlmeval/utils/matching_util.py",
        ("can_infer", "can_infer_option", "can_infer_text", "_VERBOSE_ANSWER_RE"),
        {"logger": None},
    )
    punct = functions(mirrors, "vlmeval", "vlmeval/smp/misc.py", ("process_punctuation",))
    yorn = functions(mirrors, "vlmeval", "vlmeval/dataset/utils/yorn.py", ("YOrN_Extraction",), punct)
    blink_official = functions(
        mirrors,
        "blink",
        "eval/test_benchmark.py",
        ("analyze_answer",),
        {"match_multiple_choice": lambda *a: None},
    )
    pope_llava = functions(mirrors, "llava", "llava/eval/eval_pope.py", ("eval_pope",), {"json": json})

    def options(case):
        from s2h_dataset.vlm.replies import option_text

        return {c: option_text(o) for c, o in zip(case.choices, case.options)} or {
            c: f"option {c}" for c in case.choices
        }

    def letter(value, case):
        value = (value or "").strip("()") if isinstance(value, str) else None
        return value if value in case.choices else None

    def mantis_read(ns):
        def read(case):
            selected = ns["get_option"](ns["parse_answer"](case.reply))
            if selected and ord(selected) - ord("A") < len(case.choices):
                return selected
            texts = options(case)  # the text fallback: the reply equals an option's text
            hits = [c for c, t in texts.items() if case.reply.strip() == t]
            return hits[0] if len(hits) == 1 else None

        return read

    def nlvr2_read(case):
        tf_case = case._replace(choices=("A", "B"), options=("True", "False"))
        selected = mantis_read(mantis)(tf_case)
        if selected:
            return {"A": "true", "B": "false"}[selected]
        low = case.reply.lower()
        if "true" in low and "false" not in low:
            return "true"
        if "false" in low and "true" not in low:
            return "false"
        return None

    def llava_pope(case):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write(json.dumps({"label": "yes"}) + "\n")
        answers = [{"text": case.reply}]
        with open(os.devnull, "w") as sink:
            stdout, sys.stdout = sys.stdout, sink
            try:
                pope_llava["eval_pope"](answers, f.name)
            finally:
                sys.stdout = stdout
        os.unlink(f.name)
        return answers[0]["text"]

    def vlmeval_letter(case):
        value = infer["can_infer"](case.reply, options(case))
        return value if value in case.choices else None

    def yes_no_exact(case):
        pred = case.reply.lower().strip()
        return pred if pred in ("yes", "no") else None

    def yorn_read(case):
        return {"Yes": "yes", "No": "no"}.get(yorn["YOrN_Extraction"](case.reply))

    return {
        ("blink", "lmms-eval"): (
            "letter",
            lambda c: letter(blink_lmms["_extract_answer_letter"](c.reply), c),
        ),
        ("blink", "vlmevalkit"): ("letter", vlmeval_letter),
        ("blink", "official"): (
            "letter",
            lambda c: letter(
                blink_official["analyze_answer"](
                    {"question": "q", "choices": list(options(c).values())},
                    c.reply,
                    [f"({x})" for x in c.choices],
                ),
                c,
            ),
        ),
        ("mmstar", "lmms-eval"): (
            "letter",
            lambda c: letter(mcq["extract_mcq_answer"](c.reply, list(c.choices)), c),
        ),
        ("mmstar", "vlmevalkit"): ("letter", vlmeval_letter),
        ("mantis", "lmms-eval"): ("letter", mantis_read(mantis_lmms)),
        ("mantis", "official"): ("letter", mantis_read(mantis)),
        ("nlvr2", "official"): ("truefalse", nlvr2_read),
        ("pope", "lmms-eval"): ("yesno", yes_no_exact),
        ("pope", "vlmevalkit"): ("yesno", yorn_read),
        ("pope", "official"): ("yesno", llava_pope),
    }


def ours(case):
    from s2h_dataset.vlm.replies import read_reply

    choices = case.choices if isinstance(case.choices, tuple) else ()
    return read_reply(case.kind, case.reply, choices, case.options).value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", default="/work/.mirror")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    from reply_cases import CASES

    rows = []
    for (bench, preset), (kind, read) in readers(Path(args.mirrors)).items():
        cases = [
            c for c in CASES if c.kind == kind and (kind != "letter" or c.choices == ("A", "B", "C", "D"))
        ]
        agree = ref_right = our_right = 0
        for case in cases:
            try:
                theirs = read(case)
            except Exception:  # a reference reader that crashes on a reply reads nothing
                theirs = None
            mine = ours(case)
            agree += theirs == mine
            ref_right += theirs == case.expected
            our_right += mine == case.expected
        n = len(cases)
        rows.append(
            {
                "benchmark": bench,
                "preset": preset,
                "cases": n,
                "agreement": round(agree / n, 3),
                "reference_reads_expected": round(ref_right / n, 3),
                "ours_reads_expected": round(our_right / n, 3),
            }
        )
    print("| benchmark | preset | cases | agreement | reference reads expected | ours reads expected |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['benchmark']} | {r['preset']} | {r['cases']} | {100 * r['agreement']:.1f}% | "
            f"{100 * r['reference_reads_expected']:.1f}% | {100 * r['ours_reads_expected']:.1f}% |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
