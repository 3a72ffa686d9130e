"""Locally trained byte-level BPE tokenizers dressed up as the tokenizers of real VLM families.

No tokenizer can be downloaded in this environment, so :func:`build_tiny_tokenizer` trains a small
byte-level BPE (vocabulary 1024) on a deterministic synthetic English corpus (`tiny_corpus`), then
appends the special tokens of a VLM family (image placeholders, turn markers, ...) and wraps the result
in a ``PreTrainedTokenizerFast`` carrying the family's chat template.

The chat templates follow TRL's conversational vision format: a user message whose ``content`` is a list
of ``{"type": "image"}`` parts followed by ``{"type": "text", "text": ...}``; assistant messages with one
text part (plain string contents also work). They test ``part['type']`` only, because rows read back from
Arrow carry ``"text": None`` on image parts (and ``"image": None`` on text parts).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

from .tiny_corpus import corpus

__all__ = ["BPE_VOCAB_SIZE", "TOKENIZER_FAMILIES", "build_tiny_tokenizer"]

logger = logging.getLogger(__name__)

#: Size of the trained byte-level BPE vocabulary, before the family's special tokens are appended.
BPE_VOCAB_SIZE = 1024


def _content(image_placeholder: str) -> str:
    """Jinja snippet rendering ``message['content']`` (a string or a list of typed parts)."""
    return (
        "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
        "{% for part in message['content'] %}"
        "{% if part['type'] == 'image' %}{{ '" + image_placeholder + "' }}"
        "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
        "{% endfor %}{% endif %}"
    )


# ChatML as used by Qwen2-VL / Qwen2.5-VL (with their default system prompt) and Qwen3-VL (without).
_QWEN_SYSTEM = (
    "{% if loop.first and message['role'] != 'system' %}"
    r"{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
)
_QWEN_BODY = (
    r"{{ '<|im_start|>' + message['role'] + '\n' }}"
    + _content("<|vision_start|><|image_pad|><|vision_end|>")
    + r"{{ '<|im_end|>\n' }}{% endfor %}"
    + r"{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
_QWEN2_TEMPLATE = "{% for message in messages %}" + _QWEN_SYSTEM + _QWEN_BODY
_QWEN3_TEMPLATE = "{% for message in messages %}" + _QWEN_BODY

# LLaVA-1.5: "USER: <image>\nquestion ASSISTANT: answer</s>"
_LLAVA_TEMPLATE = (
    "{% for message in messages %}{{ message['role'].upper() + ': ' }}"
    + _content(r"<image>\n")
    + "{% if message['role'] == 'assistant' %}{{ eos_token }}{% else %}{{ ' ' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)

# Idefics3 / SmolVLM: "<|im_start|>User:<image>question<end_of_utterance>\nAssistant: answer<end_of_utterance>\n"
_IDEFICS3_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{ message['role'] | capitalize }}"
    "{% if message['content'] is not string and message['content'][0]['type'] == 'image' %}{{ ':' }}"
    "{% else %}{{ ': ' }}{% endif %}" + _content("<image>") + r"{{ '<end_of_utterance>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)

# Gemma3: "<bos><start_of_turn>user\n<start_of_image>question<end_of_turn>\n<start_of_turn>model\n..."
_GEMMA3_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    r"{{ '<start_of_turn>' + role + '\n' }}"
    + _content("<start_of_image>")
    + r"{{ '<end_of_turn>\n' }}{% endfor %}"
    r"{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}"
)


@dataclass(frozen=True)
class _TokenSpec:
    """Special tokens and chat template of one tokenizer family."""

    specials: tuple[str, ...]  # every special token, appended to the BPE vocabulary in this order
    named: dict[str, str]  # bos_token / eos_token / pad_token / unk_token
    extra: dict[str, str] = field(default_factory=dict)  # model-specific names read by the processors
    chat_template: str = ""


_QWEN_SPECIALS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
_QWEN_NAMED = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}
_QWEN_EXTRA = {
    "image_token": "<|image_pad|>",
    "video_token": "<|video_pad|>",
    "vision_start_token": "<|vision_start|>",
    "vision_end_token": "<|vision_end|>",
}
# Idefics3's processor looks up the 6x6 grid-position tokens even when image splitting is off.
_ROW_COL = tuple(f"<row_{i}_col_{j}>" for i in range(1, 7) for j in range(1, 7))
_IDEFICS3_SPEC = _TokenSpec(
    specials=(
        "<|endoftext|>",
        "<|im_start|>",
        "<end_of_utterance>",
        "<fake_token_around_image>",
        "<image>",
        "<global-img>",
        "<video>",
    )
    + _ROW_COL,
    named={"bos_token": "<|im_start|>", "eos_token": "<end_of_utterance>", "pad_token": "<|endoftext|>"},
    extra={
        "image_token": "<image>",
        "fake_image_token": "<fake_token_around_image>",
        "global_image_token": "<global-img>",
        "end_of_utterance_token": "<end_of_utterance>",
        "video_token": "<video>",
    },
    chat_template=_IDEFICS3_TEMPLATE,
)

#: Tokenizer specification per VLM family name.
TOKENIZER_FAMILIES: dict[str, _TokenSpec] = {
    "qwen2_vl": _TokenSpec(_QWEN_SPECIALS, _QWEN_NAMED, _QWEN_EXTRA, _QWEN2_TEMPLATE),
    "qwen2_5_vl": _TokenSpec(_QWEN_SPECIALS, _QWEN_NAMED, _QWEN_EXTRA, _QWEN2_TEMPLATE),
    "qwen3_vl": _TokenSpec(_QWEN_SPECIALS, _QWEN_NAMED, _QWEN_EXTRA, _QWEN3_TEMPLATE),
    "llava": _TokenSpec(
        specials=("<unk>", "<s>", "</s>", "<pad>", "<image>"),
        named={"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"},
        extra={"image_token": "<image>"},
        chat_template=_LLAVA_TEMPLATE,
    ),
    "idefics3": _IDEFICS3_SPEC,
    "smolvlm": _IDEFICS3_SPEC,
    "gemma3": _TokenSpec(
        specials=(
            "<pad>",
            "<eos>",
            "<bos>",
            "<unk>",
            "<start_of_turn>",
            "<end_of_turn>",
            "<start_of_image>",
            "<end_of_image>",
            "<image_soft_token>",
        ),
        named={"bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>"},
        extra={
            "boi_token": "<start_of_image>",
            "eoi_token": "<end_of_image>",
            "image_token": "<image_soft_token>",
        },
        chat_template=_GEMMA3_TEMPLATE,
    ),
}


@functools.cache
def _base_bpe_json() -> str:
    """Train the shared byte-level BPE once per process; returns its serialised JSON."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=BPE_VOCAB_SIZE,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(), trainer=trainer)
    logger.debug("trained byte-level BPE with %d entries", tok.get_vocab_size())
    return tok.to_str()


@functools.cache
def _family_tokenizer_json(family: str) -> str:
    """The base BPE plus `family`'s special tokens, serialised (cached per family)."""
    tok = Tokenizer.from_str(_base_bpe_json())
    spec = TOKENIZER_FAMILIES[family]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in spec.specials])
    return tok.to_str()


def build_tiny_tokenizer(family: str) -> PreTrainedTokenizerFast:
    """Return a fresh tokenizer for `family` (one of :data:`TOKENIZER_FAMILIES`).

    The named special tokens go into ``extra_special_tokens`` so processors can read them as tokenizer
    attributes (``tokenizer.image_token``, ``tokenizer.boi_token_id``, ...).
    """
    if family not in TOKENIZER_FAMILIES:
        raise ValueError(f"unknown family {family!r}; expected one of {sorted(TOKENIZER_FAMILIES)}")
    spec = TOKENIZER_FAMILIES[family]
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(_family_tokenizer_json(family)),
        extra_special_tokens=dict(spec.extra),
        chat_template=spec.chat_template,
        model_max_length=8192,
        **spec.named,
    )
