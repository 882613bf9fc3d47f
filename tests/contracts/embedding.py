"""The contract of ``ingest.Embedder``: texts in, one L2-normalised float32 row per text, in order;
and the model's own token counts."""

from __future__ import annotations

import numpy as np
import pytest

from careguide.ingest import Embedder


class EmbedderContract:
    """Subclass with ``make_embedder``; ``batch_tolerance`` is how far (1 - cosine) a text's vector
    may move with the batch it is embedded in (padding, int8 activation ranges)."""

    texts = (
        "Short.",
        "Acromegaly is a hormonal disorder that develops when the pituitary gland makes too much growth hormone.",
        "What are the symptoms of asthma?",
        "word " * 300,
    )
    batch_tolerance = 1e-4

    def make_embedder(self) -> Embedder:
        raise NotImplementedError

    @pytest.fixture
    def embedder(self) -> Embedder:
        return self.make_embedder()

    def test_names_its_model_and_dimension(self, embedder: Embedder) -> None:
        assert isinstance(embedder.name, str) and ":" in embedder.name
        assert isinstance(embedder.dimension, int) and embedder.dimension > 0

    def test_one_normalised_float32_row_per_text(self, embedder: Embedder) -> None:
        vectors = embedder.embed(list(self.texts))
        assert isinstance(vectors, np.ndarray) and vectors.dtype == np.float32
        assert vectors.shape == (len(self.texts), embedder.dimension)
        assert np.all(np.isfinite(vectors))
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

    def test_rows_follow_the_order_of_the_texts(self, embedder: Embedder) -> None:
        batch = embedder.embed(list(self.texts))
        alone = np.vstack([embedder.embed([text]) for text in self.texts])
        assert (batch * alone).sum(axis=1).min() >= 1 - self.batch_tolerance
        backwards = embedder.embed(list(reversed(self.texts)))
        assert (backwards[::-1] * batch).sum(axis=1).min() >= 1 - self.batch_tolerance
        similarity = batch @ batch.T
        assert np.all(
            similarity[~np.eye(len(self.texts), dtype=bool)] < 0.99
        )  # distinct texts, distinct rows

    def test_deterministic(self, embedder: Embedder) -> None:
        assert np.allclose(embedder.embed(list(self.texts)), embedder.embed(list(self.texts)), atol=1e-6)

    def test_no_texts_is_an_empty_matrix(self, embedder: Embedder) -> None:
        vectors = embedder.embed([])
        assert vectors.shape == (0, embedder.dimension) and vectors.dtype == np.float32
        assert embedder.count_tokens([]) == []

    def test_counts_tokens_per_text(self, embedder: Embedder) -> None:
        counts = embedder.count_tokens(list(self.texts))
        assert len(counts) == len(self.texts) and all(isinstance(c, int) and c >= 0 for c in counts)
        assert counts == embedder.count_tokens(list(self.texts))
        assert counts[0] < counts[1] < counts[3]
        assert embedder.count_tokens([""]) == [0]
