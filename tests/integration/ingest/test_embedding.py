"""The packaged embedding model on both backends (torch fp32 and the int8 ONNX export)."""

from __future__ import annotations

import numpy as np
import pytest

from careguide.config import EmbeddingSettings
from careguide.ingest import EmbeddingError, load_embedder

pytestmark = pytest.mark.integration

TEXTS = [
    "Short.",
    "Acromegaly is a hormonal disorder that develops when the pituitary gland makes too much growth hormone.",
    "What are the symptoms of asthma?",
    "word " * 300,
]


def test_onnx_int8_matches_torch_in_the_original_order(embedder):
    onnx = load_embedder(EmbeddingSettings(backend="onnx", batch_size=2))
    a, b = embedder.embed(TEXTS), onnx.embed(TEXTS)
    assert a.shape == b.shape == (4, 384)
    cosine = (a * b).sum(axis=1)
    assert cosine.min() > 0.97, cosine
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-4)


def test_missing_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(EmbeddingError, match="No sentence-transformers model"):
        load_embedder(EmbeddingSettings(model_path=tmp_path))
