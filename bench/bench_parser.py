"""Parse-failure rate per benchmark fixture: the reply parser at a base commit vs the current one.

Every item of the five benchmark fixtures (tests/eval_fixtures.py) and of a small Level-3 probe gets one
reply per reply style below, each phrasing the item's GOLD answer the way real VLMs phrase answers (bare
letter, "The answer is (B).", lower case after a marker, reasoning then "so C.", `\\boxed{}`, CJK markers,
"A. a red car", negated alternatives, ...). A parser should read every one of them as the gold, so for each
parser the script reports the share it could not read (parse failures) and the share it read as another
answer (misreads). The base parser is `s2h_dataset/eval/extract.py` as of `--base` (git show), the current
one `s2h_dataset.vlm.replies`. Replies that give two answers ("B or C") must be failures: the share
read as one answer is reported too. The styles are the traps named in issue #12, so the "after" figures
say the named bugs are gone, not how often real models hit them. No model, no GPU; about 10 s.

    PYTHONPATH=$PWD python bench/bench_parser.py [--base 91a9623] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

ORDINAL = ("first", "second", "third", "fourth", "fifth")
WORD = ("one", "two", "three", "four", "five")


def load_base_parser(commit: str):
    """The old `eval/extract.py` from git, imported as a module of the current package (it uses ..labels)."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{commit}:s2h_dataset/eval/extract.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    spec = importlib.util.spec_from_loader("s2h_dataset.eval._extract_base", loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "s2h_dataset.eval"
    exec(compile(source, f"{commit}:extract.py", "exec"), module.__dict__)
    return module.extract


def _wrong(item) -> str:
    return next(c for c in item.choices if c != item.gold)


def _option(item) -> str | None:
    from s2h_dataset.vlm.replies import option_text

    if not item.options or item.gold not in item.choices:
        return None
    return option_text(item.options[item.choices.index(item.gold)])


def letter_replies(item) -> dict[str, str]:
    g, w = item.gold, _wrong(item)
    replies = {
        "bare": g,
        "parenthesised": f"({g})",
        "answer is": f"The answer is ({g}).",
        "lower after marker": f"Answer: {g.lower()}",
        "bold": f"**{g}**",
        "reasoning, so X.": f"The first image is brighter than the second one, so {g}.",
        "reasoning, answer is": f"Looking at both images carefully, the answer is {g}",
        "boxed": f"\\boxed{{{g}}}",
        "cjk": f"答案：{g}",
        "negated alternative": f"I think it's {g}, not {w}.",
        "choose then reject": f"I choose {g}. Option {w} is wrong.",
        "X is correct": f"{g} is correct.",
    }
    text = _option(item)
    if text:
        replies["letter + option"] = f"{g}. {text[0].lower() + text[1:]}"
        replies["letter: option"] = f"{g}: {text}"
        replies["option text"] = text
    return replies


def position_replies(item) -> dict[str, str]:
    k = item.choices.index(item.gold)
    replies = letter_replies(item)
    replies.update(
        {
            "image N": f"Image {k + 1}",
            "ordinal": f"The {ORDINAL[k]} image.",
            "picture word": f"Picture {WORD[k]}",
            "negated image": f"Image {k + 1}, not image {(k + 1) % len(item.choices) + 1}",
            "the last one": "The last one." if k == len(item.choices) - 1 else f"The {ORDINAL[k]} one.",
        }
    )
    return replies


def word_replies(item) -> dict[str, str]:
    g = item.gold
    if item.answer_type == "yesno":
        replies = {
            "bare": g.capitalize() + ".",
            "answer is": f"The answer is {g}.",
            "answer:": f"Answer: {g}",
            "bold": f"**{g.capitalize()}**",
            "cjk": f"答案：{g}",
        }
        if g == "no":
            replies |= {
                "no sentence": "There is no dog in the image.",
                "don't see": "I don't see a dog.",
                "nope": "Nope.",
            }
        else:
            replies |= {
                "yep": "Yep, there is one.",
                "reasoning, so yes": "There is a dog on the sofa, so yes.",
            }
        return replies
    if item.answer_type == "truefalse":
        replies = {
            "bare": g.capitalize(),
            "statement is": f"The statement is {g}.",
            "answer is": f"The answer is {g.capitalize()}.",
            "letter": f"({item.choices[[o.lower() for o in item.options].index(g)]})" if item.options else g,
        }
        replies["negated"] = "It's not true." if g == "false" else "It is not false."
        return replies
    return {"final answer": f"Final Answer: {g}", "answer is": f"The answer is {g}.", "bare": g}


def replies_for(item) -> dict[str, str]:
    if item.answer_type == "letter":
        return letter_replies(item)
    if item.answer_type == "position":
        return position_replies(item)
    return word_replies(item)


def ambiguous_replies(item) -> dict[str, str]:
    """Replies that give two answers: a parser must count them as failures, never read the first one."""
    if item.answer_type in ("letter", "position"):
        g, w = item.gold, _wrong(item)
        return {"X or Y": f"{g} or {w}", "X, Y": f"{g}, {w}", "(X) and (Y)": f"({g}) and ({w})"}
    if item.answer_type == "yesno":
        return {"yes or no": "Yes or no?" if item.gold == "yes" else "No or yes?"}
    if item.answer_type == "truefalse":
        return {"true or false": "True or false?" if item.gold == "true" else "False or true?"}
    return {}


def items_by_benchmark(root: Path):
    from eval_fixtures import build_all

    from s2h_dataset.eval import EvalConfig
    from s2h_dataset.eval.runner import task_items, task_units
    from s2h_dataset.eval.spec import get_task

    paths = build_all(root)
    paths["l3probe"] = None
    for name, path in paths.items():
        config = EvalConfig(
            model_name_or_path="m", out="unused", eval_tasks=name, probe_questions=30, probe_holdout=0.0
        )
        config.dataset_path = [f"{name}={path}"] if path else []
        spec = get_task(name)
        yield name, [item for unit in task_units(spec, config) for item in task_items(spec, unit, config)]


def measure(base_commit: str) -> dict:
    from s2h_dataset.vlm.replies import read_reply

    parsers = {
        f"before ({base_commit})": load_base_parser(base_commit),
        "after (vlm.replies)": lambda *args: read_reply(*args).value,
    }
    table: dict = {}
    failing_styles: dict = defaultdict(lambda: defaultdict(int))
    with tempfile.TemporaryDirectory() as tmp:
        for bench, items in items_by_benchmark(Path(tmp)):
            counts = {
                name: {"replies": 0, "failures": 0, "misreads": 0, "ambiguous": 0, "ambiguous_read": 0}
                for name in parsers
            }
            for item in items:
                for style, reply in replies_for(item).items():
                    for name, parse in parsers.items():
                        value = parse(item.answer_type, reply, item.choices, item.options)
                        counts[name]["replies"] += 1
                        counts[name]["failures"] += value is None
                        counts[name]["misreads"] += value is not None and value != item.gold
                        if value != item.gold:
                            failing_styles[name][style] += 1
                for style, reply in ambiguous_replies(item).items():
                    for name, parse in parsers.items():
                        value = parse(item.answer_type, reply, item.choices, item.options)
                        counts[name]["ambiguous"] += 1
                        counts[name]["ambiguous_read"] += value is not None
                        if value is not None:
                            failing_styles[name][style] += 1
            table[bench] = {
                name: {
                    **c,
                    "failure_rate": round(c["failures"] / c["replies"], 4),
                    "misread_rate": round(c["misreads"] / c["replies"], 4),
                    "ambiguous_read_rate": round(c["ambiguous_read"] / c["ambiguous"], 4)
                    if c["ambiguous"]
                    else None,
                }
                for name, c in counts.items()
            }
    return {
        "per_benchmark": table,
        "styles_not_read_as_gold": {k: dict(v) for k, v in failing_styles.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--base", default="91a9623", help="commit whose eval/extract.py is the 'before' parser"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    result = measure(args.base)
    names = list(next(iter(result["per_benchmark"].values())))
    print(
        f"| benchmark | replies | {' | '.join(f'{n}: fail / misread / two answers read as one' for n in names)} |"
    )
    print("|---|---|" + "---|" * len(names))
    for bench, row in result["per_benchmark"].items():
        cells = " | ".join(
            f"{row[n]['failure_rate']:.1%} / {row[n]['misread_rate']:.1%} / {row[n]['ambiguous_read_rate'] or 0:.1%}"
            for n in names
        )
        print(f"| {bench} | {row[names[0]]['replies']} | {cells} |")
    for name, styles in result["styles_not_read_as_gold"].items():
        print(f"\n{name}: styles not read as the gold: {styles}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
