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
    # Each text is embedded alone (int8 activation ranges would otherwise depend on the batch), so a
    # batch gives each text the vector it gets alone, as for the fp32 backends.
    def make_embedder(self):
        return load_embedder(EmbeddingSettings(backend="onnx", batch_size=2))
