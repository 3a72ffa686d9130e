"""Filter encoders: a sentence-transformers model run by torch or by ONNX Runtime (float or int8), and the
text tower of a CLIP checkpoint (`ClipTextEncoder`, `--filter-model clip:ID`).

sentence-transformers' own ONNX and OpenVINO backends need `optimum`, which does not install everywhere; this
module exports the model's transformer locally instead (`torch.onnx.export`, once per model and version, into
`~/.cache/s2h/onnx/`), optionally quantizes its weights to int8 (`onnxruntime.quantization`), and runs it with
ONNX Runtime on the CPU, doing the tokenization and pooling of the model's own sentence-transformers config
(mean, CLS or max pooling; `max_seq_length`). The result matches `SentenceTransformer.encode` to about 1e-7
(float) and ranks pair similarities the same (int8: see `bench/bench_filter.py`).

`make_encoder(name, backend)` picks the backend: `auto` is ONNX float when `onnxruntime` and `onnx` are
installed (`pip install 's2h-dpo[onnx]'`) and the model is a plain transformer + pooling, else torch; the
fallback is logged, never silent. `auto` does not pick int8: it is faster still, but measured on a default
build it flips the keep/drop decision of about 8% of the pairs (float: none), so it stays opt-in. Every encoder has `encode(texts, batch_size, normalize_embeddings,
show_progress_bar)` and a `backend` name for the build report.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import warnings
from pathlib import Path

import numpy as np

from .atomic import atomic_path
from .errors import UserError

__all__ = ["BACKENDS", "ClipTextEncoder", "OnnxSentenceEncoder", "make_encoder", "onnx_available"]

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
_INPUTS = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}
_POOLING_KEYS = {
    "cls": "pooling_mode_cls_token",
    "mean": "pooling_mode_mean_tokens",
    "max": "pooling_mode_max_tokens",
}
OPSET = 17


def onnx_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))


def _cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "s2h" / "onnx"


def _pooling(folder: Path) -> str | None:
    """The pooling of a sentence-transformers folder made of Transformer + Pooling (+ Normalize), or None
    when the model has other modules (a dense projection, say) that the exported transformer would lack."""
    try:
        modules = json.loads((folder / "modules.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return None
    pooling = next(m for m in modules if m["type"].endswith("Pooling"))
    config = json.loads((folder / pooling["path"] / "config.json").read_text())
    modes = [mode for mode, key in _POOLING_KEYS.items() if config.get(key)]
    others = [
        k for k, v in config.items() if k.startswith("pooling_mode") and v and k not in _POOLING_KEYS.values()
    ]
    return modes[0] if len(modes) == 1 and not others else None


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def _tokenizer(folder: Path):
    """The folder's `tokenizer.json` run by `tokenizers` alone (transformers' tokenizer classes import torch),
    padded to the longest text of a batch and truncated at the model's `max_seq_length`, as
    sentence-transformers does; the file's own fixed padding and truncation are replaced."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    settings = {}
    for name in ("tokenizer_config.json", "sentence_bert_config.json"):
        if (folder / name).exists():
            settings |= json.loads((folder / name).read_text())
    pad = settings.get("pad_token") or "[PAD]"
    pad = pad["content"] if isinstance(pad, dict) else pad
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id(pad) or 0, pad_token=pad)
    limits = [settings.get(k) for k in ("max_seq_length", "model_max_length")]
    tokenizer.enable_truncation(min([v for v in limits if isinstance(v, int)] or [512]))
    return tokenizer


def _fingerprint(folder: Path, quantized: bool) -> str:
    """Names the export: model files, exporter and runtime versions (read without importing torch, which
    costs hundreds of MB of RSS a build using ONNX Runtime never needs)."""
    versions = f"{_version('torch')}:{_version('onnxruntime')}:{OPSET}:{quantized}"
    digest = hashlib.sha1(versions.encode())
    for name in sorted(p.name for p in folder.iterdir() if p.is_file()):
        digest.update(name.encode() + (folder / name).read_bytes())
    return digest.hexdigest()[:16]


def _export(folder: Path, target: Path, quantized: bool) -> None:
    """Export the transformer of `folder` (float32, dynamic batch and length) to `target`, atomically."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(folder, use_safetensors=True).eval()
    accepted = AutoTokenizer.from_pretrained(folder).model_input_names
    input_names = [name for name in _INPUTS if name in accepted]

    class LastHidden(torch.nn.Module):
        # keyword call: the exporter passes inputs by position, and transformers' forward order differs
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *inputs):
            return self.model(**dict(zip(input_names, inputs))).last_hidden_state

    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in input_names)
    target.parent.mkdir(parents=True, exist_ok=True)
    axes = {name: {0: "batch", 1: "length"} for name in input_names}
    with atomic_path(target) as tmp:  # a failed export or quantization leaves nothing in the cache
        # int8: the float export goes beside the temporary, then is quantized into it
        exported = tmp.with_name(tmp.name + ".float") if quantized else tmp
        try:
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter(
                    "ignore"
                )  # tracer warnings about shape-dependent branches: batch and length are dynamic
                torch.onnx.export(
                    LastHidden(),
                    example,
                    str(exported),
                    input_names=input_names,
                    output_names=["last_hidden_state"],
                    dynamic_axes={**axes, "last_hidden_state": {0: "batch", 1: "length"}},
                    opset_version=OPSET,
                    dynamo=False,  # the TorchScript exporter: needs no onnxscript
                )
            if quantized:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                logging.disable(logging.INFO)  # the quantizer logs a line per tensor on the root logger
                try:
                    # per-channel weights: ranks pairs closer to float than one scale per tensor
                    # (Spearman 0.996 vs 0.991)
                    quantize_dynamic(str(exported), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
                finally:
                    logging.disable(logging.NOTSET)
        finally:
            if exported != tmp:
                exported.unlink(missing_ok=True)


class OnnxSentenceEncoder:
    """A sentence-transformers folder (Transformer + Pooling) exported to ONNX and run by ONNX Runtime."""

    def __init__(self, folder: str | Path, quantized: bool = True, cache_dir: str | Path | None = None):
        import onnxruntime

        folder = Path(folder)
        self.pooling = _pooling(folder)
        if self.pooling is None:
            raise ValueError(f"{folder} is not a Transformer + Pooling sentence-transformers model")
        self.backend = "onnx-int8" if quantized else "onnx"
        self.tokenizer = _tokenizer(folder)
        root = Path(cache_dir) if cache_dir else _cache_root()
        self.path = root / _fingerprint(folder, quantized) / "model.onnx"
        if not self.path.exists():
            logger.info("exporting %s to %s (%s, once per model)", folder, self.path, self.backend)
            _export(folder, self.path, quantized)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # no per-node warnings in build logs
        self.session = onnxruntime.InferenceSession(
            str(self.path), options, providers=["CPUExecutionProvider"]
        )
        self.input_names = [i.name for i in self.session.get_inputs()]

    def _pool(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.pooling == "cls":
            return hidden[:, 0]
        if self.pooling == "max":
            return np.where(mask[..., None] > 0, hidden, -np.inf).max(axis=1)
        weights = mask[..., None].astype(hidden.dtype)
        return (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)

    def encode(
        self,
        texts: list[str],
        batch_size: int = 64,
        normalize_embeddings: bool = True,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        # longest first, as sentence-transformers does: batches of similar length waste little padding
        lengths = [len(t) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: -lengths[i])
        out = np.empty((len(texts), 0), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            index = order[start : start + batch_size]
            encodings = self.tokenizer.encode_batch([texts[i] for i in index])
            batch = {
                name: np.array([getattr(e, attribute) for e in encodings], dtype=np.int64)
                for name, attribute in _INPUTS.items()
            }
            hidden = self.session.run(None, {name: batch[name] for name in self.input_names})[0]
            vectors = self._pool(hidden, batch["attention_mask"])
            if out.shape[1] == 0:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[index] = vectors
        if normalize_embeddings:
            out /= np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-12, None)
        return out


def _torch(path: str, device: str):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device=device)


def make_encoder(path: str, backend: str = "auto", device: str = "cpu"):
    """The encoder of a sentence-transformers model (id or folder) run by `backend` (see `BACKENDS`)."""
    if backend not in BACKENDS:
        raise UserError(f"`--filter-backend {backend}` must be one of {', '.join(BACKENDS)}")
    if backend == "torch":
        return _torch(path, device)
    folder = Path(path)
    why = None
    if not onnx_available():
        why = "onnxruntime and onnx are not installed (pip install 's2h-dpo[onnx]')"
    elif not (folder / "tokenizer.json").is_file() or _pooling(folder) is None:
        why = f"{path} is not a local Transformer + Pooling sentence-transformers folder with tokenizer.json"
    elif device not in ("cpu", "auto"):
        why = f"the ONNX backend runs on the CPU and --device is {device}"
    if why is None:
        return OnnxSentenceEncoder(folder, quantized=backend == "onnx-int8")
    if backend != "auto":
        raise UserError(f"`--filter-backend {backend}` cannot run: {why}; use --filter-backend torch")
    logger.warning("filter encoder falls back to torch: %s", why)
    return _torch(path, device)


class ClipTextEncoder:
    """The text tower of a CLIP (or SigLIP) checkpoint, with sentence-transformers' `encode` signature."""

    def __init__(self, name: str, device: str = "cpu"):
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(name)
        self.model = AutoModel.from_pretrained(name, use_safetensors=True).to(device).eval()
        self.max_length = self.model.config.text_config.max_position_embeddings
        self.device = device

    def encode(
        self,
        texts: list[str],
        batch_size: int = 64,
        normalize_embeddings: bool = True,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        import torch

        vectors = []
        for start in range(0, len(texts), batch_size):
            batch = self.tokenizer(
                texts[start : start + batch_size],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            ).to(self.device)
            with torch.no_grad():
                features = self.model.get_text_features(
                    input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
                )
            features = getattr(features, "pooler_output", features)
            if normalize_embeddings:
                features = torch.nn.functional.normalize(features, dim=-1)
            vectors.append(features.float().cpu().numpy())
        return np.concatenate(vectors)
