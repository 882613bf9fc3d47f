"""The packaged embedding model on its backends (torch fp32, the fp32 and int8 ONNX exports)."""

from __future__ import annotations

import numpy as np
import pytest

from careguide.config import EmbeddingSettings
from careguide.ingest import EmbeddingError, classifier_embedder, load_embedder

pytestmark = pytest.mark.integration

TEXTS = [
    "Short.",
    "Acromegaly is a hormonal disorder that develops when the pituitary gland makes too much growth hormone.",
    "What are the symptoms of asthma?",
    "word " * 300,
]


@pytest.fixture(scope="module")
def torch_vectors():
    return load_embedder(EmbeddingSettings(backend="torch")).embed(TEXTS)


def test_onnx_int8_matches_torch_in_the_original_order(torch_vectors):
    onnx = load_embedder(EmbeddingSettings(backend="onnx", batch_size=2))
    a, b = torch_vectors, onnx.embed(TEXTS)
    assert a.shape == b.shape == (4, 384)
    cosine = (a * b).sum(axis=1)
    assert cosine.min() > 0.97, cosine
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-4)


def test_onnx_fp32_gives_torchs_vectors(torch_vectors):
    fp32 = load_embedder(EmbeddingSettings(backend="onnx-fp32", batch_size=2))
    cosine = (torch_vectors * fp32.embed(TEXTS)).sum(axis=1)
    assert cosine.min() > 0.9999, cosine


def test_the_classifiers_get_fp32_vectors_whatever_the_index_uses(torch_vectors):
    embedder = classifier_embedder(EmbeddingSettings(backend="onnx"))
    assert embedder.name.endswith(":torch")
    assert (torch_vectors * embedder.embed(TEXTS)).sum(axis=1).min() > 0.9999


def test_missing_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(EmbeddingError, match="No sentence-transformers model"):
        load_embedder(EmbeddingSettings(model_path=tmp_path))
