"""Retrieval-augmented answering: hybrid retrieval (dense + BM25, fused by RRF), the LLM client,
the Assistant with checked citations, and the guarded path of one question."""

from careguide.rag.answers import SIGNALS, AnswerWeights, SignalRankings
from careguide.rag.assistant import (
    ABSTENTION,
    MAX_QUESTION_CHARS,
    MODES,
    READING_LEVELS,
    Answer,
    Assistant,
    Citation,
    open_assistant,
    passage_texts,
)
from careguide.rag.citations import (
    MIN_OVERLAP,
    NON_FACTUAL,
    TITLE_ECHO,
    CheckedSentence,
    best_sentence,
    quantities,
    render,
    supports,
    verify_answer,
)
from careguide.rag.followup import Query, resolve
from careguide.rag.guarded import GuardedAnswer, answer_safely
from careguide.rag.llm import ChatClient, Endpoint, LLMError, client_for
from careguide.rag.retrieval import (
    FILTER_KEYS,
    DenseRetriever,
    FilterError,
    Passage,
    Retriever,
    fuse_rankings,
    open_retriever,
    parse_filter,
)

__all__ = [
    "ABSTENTION",
    "FILTER_KEYS",
    "MAX_QUESTION_CHARS",
    "MIN_OVERLAP",
    "MODES",
    "NON_FACTUAL",
    "READING_LEVELS",
    "SIGNALS",
    "TITLE_ECHO",
    "Answer",
    "AnswerWeights",
    "Assistant",
    "ChatClient",
    "CheckedSentence",
    "Citation",
    "DenseRetriever",
    "Endpoint",
    "FilterError",
    "GuardedAnswer",
    "LLMError",
    "Passage",
    "Query",
    "Retriever",
    "SignalRankings",
    "answer_safely",
    "best_sentence",
    "client_for",
    "fuse_rankings",
    "open_assistant",
    "open_retriever",
    "parse_filter",
    "passage_texts",
    "quantities",
    "render",
    "resolve",
    "supports",
    "verify_answer",
]
