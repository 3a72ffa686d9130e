"""Tiny copies of the five benchmarks with their real Hub schema, written like the Hub repos (README YAML
`configs:` + parquet per config/split), so `datasets.load_dataset(FOLDER, CONFIG, split=...)` reads them as it
reads the real ones. Images are bundled Fluent Emoji renders shrunk to 48 px. Also: scripted models.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import datasets
from datasets import Features, List, Value
from datasets import Image as DImage

from s2h_dataset.eval.items import Item
from s2h_dataset.sources import load_sources

_RECORDS = load_sources(["emoji"], seed=0).objects[:40]
_CYCLE = itertools.cycle(range(len(_RECORDS)))


def image():
    return _RECORDS[next(_CYCLE)].load().convert("RGB").resize((48, 48))


def write_hub_folder(root: Path, tables: dict[str, dict[str, tuple[dict, Features]]]) -> Path:
    """{config: {split: (columns, features)}} -> ROOT/README.md + ROOT/<config>/<split>-00000-of-00001.parquet."""
    yaml = ["---", "configs:"]
    for config, splits in tables.items():
        yaml += [f"- config_name: {config}", "  data_files:"]
        for split, (columns, features) in splits.items():
            folder = root / config
            folder.mkdir(parents=True, exist_ok=True)
            datasets.Dataset.from_dict(columns, features=features).to_parquet(
                folder / f"{split}-00000-of-00001.parquet"
            )
            yaml += [f"  - split: {split}", f"    path: {config}/{split}-*.parquet"]
    (root / "README.md").write_text("\n".join(yaml + ["---", ""]), encoding="utf-8")
    return root


BLINK_FEATURES = Features(
    {
        "idx": Value("string"),
        "question": Value("string"),
        "sub_task": Value("string"),
        **{f"image_{i}": DImage() for i in range(1, 5)},
        "choices": List(Value("string")),
        "answer": Value("string"),
        "prompt": Value("string"),
        "explanation": Value("string"),
    }
)
# config -> (images per row, golds); golds vary so an always-"A" model scores a known, non-trivial share
BLINK_ROWS = {
    "Art_Style": (3, ["(A)", "(B)", "(A)"]),
    "Counting": (1, ["(C)", "(A)", "(D)", "(B)"]),
    "IQ_Test": (2, ["(B)", "(B)"]),
}


def blink(root: Path) -> Path:
    tables = {}
    for config, (n_images, answers) in BLINK_ROWS.items():
        n_choices = 4 if config == "Counting" else 2
        choices = [[f"choice {c}" for c in "ABCD"[:n_choices]] for _ in answers]
        rows = {
            "idx": [f"val_{config}_{i + 1}" for i in range(len(answers))],
            "question": [f"Question {i} of {config}?" for i in range(len(answers))],
            "sub_task": [config.replace("_", " ")] * len(answers),
            **{f"image_{k}": [image() if k <= n_images else None for _ in answers] for k in range(1, 5)},
            "choices": choices,
            "answer": answers,
            "prompt": [
                f"Question {i} of {config}?\nSelect from the following choices.\n"
                + "\n".join(f"({c}) {o}" for c, o in zip("ABCD", ch))
                for i, ch in enumerate(choices)
            ],
            "explanation": [""] * len(answers),
        }
        tables[config] = {"val": (rows, BLINK_FEATURES)}
    return write_hub_folder(root, tables)


MANTIS_FEATURES = Features(
    {
        "id": Value("string"),
        "question_type": Value("string"),
        "question": Value("string"),
        "images": List(DImage()),
        "options": List(Value("string")),
        "answer": Value("string"),
        "data_source": Value("string"),
        "category": Value("string"),
    }
)


def mantis(root: Path) -> Path:
    rows = {
        "id": ["m1", "m2", "m3", "m4", "m5"],
        "question_type": ["multi-choice", "multi-choice", "multi-choice", "short-answer", "multi-choice"],
        "question": [
            "<image> <image> Which image shows an animal?",
            "Compare <image> with <image>: same colour?",
            "How do the images differ?",
            "<image><image> How many images are there?",
            "Image 1: <image>\nImage 2: <image>\nImage 3: <image>\nWhich one is round?",
        ],
        "images": [
            [image(), image()],
            [image(), image()],
            [image(), image(), image()],
            [image(), image()],
            [image(), image(), image()],
        ],
        "options": [
            ["(A) the first", "(B) the second"],
            ["A. yes", "B. no"],
            ["colour", "size", "shape"],
            [],
            ["first", "second", "third"],
        ],
        "answer": ["(B)", "A", "C", "Two", "(A)"],
        "data_source": ["fixture"] * 5,
        "category": ["difference", "comparison", "difference", "counting", "shape"],
    }
    return write_hub_folder(root, {"mantis_eval": {"test": (rows, MANTIS_FEATURES)}})


def nlvr2(root: Path) -> Path:
    golds = ["A", "B", "B", "A", "B"]
    rows = {
        "id": [f"nlvr2-{i}" for i in range(len(golds))],
        "question_type": ["multi-choice"] * len(golds),
        "question": [
            f"<image><image> Statement {i}: the left image holds two objects. True or False?"
            for i in range(len(golds))
        ],
        "images": [[image(), image()] for _ in golds],
        "options": [["True", "False"]] * len(golds),
        "answer": golds,
        "data_source": ["nlvr2"] * len(golds),
        "category": ["nlvr2"] * len(golds),
    }
    return write_hub_folder(root, {"nlvr2": {"test": (rows, MANTIS_FEATURES)}})


MMSTAR_FEATURES = Features(
    {
        "index": Value("int64"),
        "question": Value("string"),
        "image": DImage(),
        "answer": Value("string"),
        "category": Value("string"),
        "l2_category": Value("string"),
        "meta_info": {"source": Value("string"), "split": Value("string"), "image_path": Value("string")},
    }
)


def mmstar(root: Path) -> Path:
    golds = ["A", "C", "A", "D", "B", "A"]
    categories = ["coarse perception", "coarse perception", "math", "math", "math", "logical reasoning"]
    rows = {
        "index": list(range(len(golds))),
        "question": [
            f"What is shown? Options: A: cat, B: dog, C: car, D: tree (q{i})" for i in range(len(golds))
        ],
        "image": [image() for _ in golds],
        "answer": golds,
        "category": categories,
        "l2_category": ["recognition"] * len(golds),
        "meta_info": [
            {"source": "fixture", "split": "val", "image_path": f"images/{i}.jpg"} for i in range(len(golds))
        ],
    }
    return write_hub_folder(root, {"val": {"val": (rows, MMSTAR_FEATURES)}})


POPE_FEATURES = Features(
    {
        "id": Value("string"),
        "question_id": Value("string"),
        "question": Value("string"),
        "answer": Value("string"),
        "image_source": Value("string"),
        "image": DImage(),
        "category": Value("string"),
    }
)
POPE_GOLDS = {
    "adversarial": ["yes", "no", "no", "yes"],
    "popular": ["no", "yes", "yes"],
    "random": ["yes", "no"],
}


def pope(root: Path) -> Path:
    splits = {}
    for split, golds in POPE_GOLDS.items():
        rows = {
            "id": [str(i) for i in range(len(golds))],
            "question_id": [str(i + 1) for i in range(len(golds))],
            "question": [f"Is there a dog in the image? ({split} {i})" for i in range(len(golds))],
            "answer": golds,
            "image_source": [f"COCO_val2014_{i:012d}" for i in range(len(golds))],
            "image": [image() for _ in golds],
            "category": [split] * len(golds),
        }
        splits[split] = (rows, POPE_FEATURES)
    return write_hub_folder(root, {"Full": splits})


BUILDERS = {"blink": blink, "mantis": mantis, "nlvr2": nlvr2, "mmstar": mmstar, "pope": pope}


def build_all(root: Path) -> dict[str, Path]:
    return {name: build(root / name) for name, build in BUILDERS.items()}


class OracleModel:
    """Answers every question from its gold label, phrased the way a chatty model would."""

    name = "oracle"

    def generate(self, items: list[Item]) -> list[str]:
        replies = []
        for item in items:
            if item.answer_type == "letter":
                replies.append(f"The answer is ({item.gold}).")
            elif item.answer_type == "position":
                replies.append(f"Image {item.choices.index(item.gold) + 1}")
            elif item.answer_type == "yesno":
                replies.append(f"{item.gold.capitalize()}.")
            elif item.answer_type == "truefalse":
                replies.append(item.gold.capitalize())
            else:
                replies.append(f"Final Answer: {item.gold}")
        return replies


class AlwaysA:
    """Replies "A" to everything."""

    name = "always-a"

    def generate(self, items: list[Item]) -> list[str]:
        return ["A" for _ in items]
