"""Retrieval-augmented answering: hybrid retrieval (dense + BM25, fused by RRF)."""

from careguide.rag.retrieval import (
    FILTER_KEYS,
    FilterError,
    Passage,
    Retriever,
    fuse_rankings,
    open_retriever,
    parse_filter,
)

__all__ = [
    "FILTER_KEYS",
    "FilterError",
    "Passage",
    "Retriever",
    "fuse_rankings",
    "open_retriever",
    "parse_filter",
]
