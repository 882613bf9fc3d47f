"""Retrieval-augmented answering: hybrid retrieval (dense + BM25, fused by RRF), the LLM client,
the Assistant with checked citations, and the guarded path of one question."""

from careguide.rag.assistant import (
    ABSTENTION,
    MAX_QUESTION_CHARS,
    MODES,
    READING_LEVELS,
    Answer,
    Assistant,
    Citation,
    open_assistant,
)
from careguide.rag.citations import CheckedSentence, render, supports, verify_answer
from careguide.rag.followup import Query, resolve
from careguide.rag.guarded import GuardedAnswer, answer_safely
from careguide.rag.llm import ChatClient, ChatModel, Endpoint, LLMError, client_for
from careguide.rag.retrieval import (
    FILTER_KEYS,
    FilterError,
    Passage,
    Retriever,
    SearchResult,
    fuse_rankings,
    open_retriever,
    parse_filter,
)

__all__ = [
    "ABSTENTION",
    "FILTER_KEYS",
    "MAX_QUESTION_CHARS",
    "MODES",
    "READING_LEVELS",
    "Answer",
    "Assistant",
    "ChatClient",
    "ChatModel",
    "CheckedSentence",
    "Citation",
    "Endpoint",
    "FilterError",
    "GuardedAnswer",
    "LLMError",
    "Passage",
    "Query",
    "Retriever",
    "SearchResult",
    "answer_safely",
    "client_for",
    "fuse_rankings",
    "open_assistant",
    "open_retriever",
    "parse_filter",
    "render",
    "resolve",
    "supports",
    "verify_answer",
]
