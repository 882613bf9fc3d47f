"""The Embedder contract (tests/contracts/embedding.py) on each backend of the packaged model."""

from __future__ import annotations

import pytest

from careguide.config import EmbeddingSettings
from careguide.ingest import load_embedder
from tests.contracts.embedding import EmbedderContract

pytestmark = pytest.mark.integration


class TestTorchEmbedder(EmbedderContract):
    def make_embedder(self):
        return load_embedder(EmbeddingSettings(backend="torch"))


class TestOnnxFp32Embedder(EmbedderContract):
    def make_embedder(self):
        return load_embedder(EmbeddingSettings(backend="onnx-fp32", batch_size=2))


class TestOnnxInt8Embedder(EmbedderContract):
    # int8 activations are quantised with the ranges of the whole batch: a text embedded alone and in
    # a batch differ by up to ~0.02 in cosine (measured), the same bound as int8 against fp32.
    batch_tolerance = 0.03

    def make_embedder(self):
        return load_embedder(EmbeddingSettings(backend="onnx", batch_size=2))
