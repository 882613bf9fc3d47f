"""The guardrails' classifiers were trained on fp32 vectors: their tests get those, as the product does."""

from __future__ import annotations

import pytest

from careguide.config import EmbeddingSettings
from careguide.ingest import Embedder, classifier_embedder


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return classifier_embedder(EmbeddingSettings())
