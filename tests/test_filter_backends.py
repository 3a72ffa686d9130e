"""Filter encoder backends: ONNX Runtime (float, int8) against torch, and the logged fallback to torch."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from s2h_dataset import encoders
from s2h_dataset.encoders import OnnxSentenceEncoder, make_encoder
from s2h_dataset.errors import UserError
from s2h_dataset.filtering import DEFAULT_ENCODER, PairScorer, _resolve

pytest.importorskip("onnxruntime")

TEXTS = [
    "A peacock.",
    "The image shows a red bicycle leaning against a brick wall next to a tall green tree.",
    "Image 3 contains the lamp.",
    "Two blue squares and a yellow triangle.",
    "cat",
    "The second image shows a pair of scissors on a wooden table, seen from above in soft light.",
    "No. They are different kinds of things.",
] * 3


@pytest.fixture(scope="module")
def model_path():
    return _resolve(DEFAULT_ENCODER)


@pytest.fixture(scope="module")
def torch_vectors(model_path):
    return make_encoder(model_path, "torch").encode(TEXTS, batch_size=4, normalize_embeddings=True)


def test_onnx_float_matches_torch(model_path, torch_vectors):
    encoder = make_encoder(model_path, "onnx")
    assert isinstance(encoder, OnnxSentenceEncoder) and encoder.backend == "onnx"
    vectors = encoder.encode(TEXTS, batch_size=4)  # several batches of mixed lengths, order kept
    assert vectors.shape == torch_vectors.shape == (len(TEXTS), 384)
    assert np.abs(vectors - torch_vectors).max() < 1e-5
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


@pytest.mark.slow
def test_onnx_int8_ranks_pairs_like_float(model_path, torch_vectors):
    from scipy.stats import spearmanr

    vectors = make_encoder(model_path, "onnx-int8").encode(TEXTS, batch_size=8)
    n = len(TEXTS)
    pairs = [(i, j) for i in range(7) for j in range(i + 1, 7)]
    exact = [float(torch_vectors[i] @ torch_vectors[j]) for i, j in pairs]
    approx = [float(vectors[i] @ vectors[j]) for i, j in pairs]
    assert spearmanr(exact, approx).statistic > 0.9
    assert np.abs(vectors - torch_vectors).max() > 1e-4  # really quantized, not the float model again
    assert vectors.shape == (n, 384)


@pytest.mark.slow
def test_export_is_cached(model_path, tmp_path):
    first = OnnxSentenceEncoder(model_path, quantized=False, cache_dir=tmp_path)
    stamp = first.path.stat().st_mtime_ns
    second = OnnxSentenceEncoder(model_path, quantized=False, cache_dir=tmp_path)
    assert second.path == first.path and second.path.stat().st_mtime_ns == stamp
    assert list(tmp_path.rglob("*.tmp*")) == []  # written atomically, nothing left behind


def test_fallback_to_torch_is_logged(model_path, monkeypatch, caplog):
    monkeypatch.setattr(encoders, "onnx_available", lambda: False)  # as on a machine without onnxruntime
    with caplog.at_level(logging.WARNING, logger="s2h_dataset.encoders"):
        scorer = PairScorer(backend="auto")
    assert scorer.backend == "torch" and scorer.stats()["backend"] == "torch"
    assert any("falls back to torch" in r.getMessage() for r in caplog.records)
    with pytest.raises(UserError, match=r"--filter-backend onnx.*cannot run.*onnxruntime"):
        make_encoder(model_path, "onnx")


def test_auto_uses_onnx_float_when_installed():
    scorer = PairScorer(backend="auto")
    assert scorer.stats()["backend"] == "onnx"
    with pytest.raises(UserError, match="must be one of"):
        make_encoder(_resolve(DEFAULT_ENCODER), "tensorrt")
