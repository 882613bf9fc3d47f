"""Retrieval-augmented answering: hybrid retrieval (dense + BM25, fused by RRF), citation checks."""

from careguide.rag.citations import CheckedSentence, render, supports, verify_answer
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
    "CheckedSentence",
    "FilterError",
    "Passage",
    "Retriever",
    "fuse_rankings",
    "open_retriever",
    "parse_filter",
    "render",
    "supports",
    "verify_answer",
]
