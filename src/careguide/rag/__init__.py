"""Retrieval-augmented answering: hybrid retrieval (dense + BM25, fused by RRF), the LLM client,
the Assistant with checked citations, and the guarded path of one question."""

from careguide.rag.answers import SIGNALS, AnswerWeights, SignalRankings
from careguide.rag.assistant import (
    ABSTENTION,
    MODES,
    READING_LEVELS,
    Answer,
    Assistant,
    Citation,
    max_question_chars,
    open_assistant,
    passage_texts,
)
from careguide.rag.citations import (
    MIN_OVERLAP,
    NON_FACTUAL,
    TITLE_ECHO,
    CheckedSentence,
    best_sentence,
    render,
    supports,
    verify_answer,
)
from careguide.rag.followup import Query, resolve
from careguide.rag.guarded import AnswerGuard, GuardedAnswer, answer_safely, check_answer
from careguide.rag.llm import ChatClient, ChatModel, Endpoint, LLMError, client_for
from careguide.rag.retrieval import (
    FILTER_KEYS,
    DenseRetriever,
    FilterError,
    Passage,
    Retriever,
    SearchResult,
    fuse_rankings,
    open_retriever,
    parse_filter,
)
from careguide.rag.words import quantities

__all__ = [
    "ABSTENTION",
    "FILTER_KEYS",
    "MIN_OVERLAP",
    "MODES",
    "NON_FACTUAL",
    "READING_LEVELS",
    "SIGNALS",
    "TITLE_ECHO",
    "Answer",
    "AnswerGuard",
    "AnswerWeights",
    "Assistant",
    "ChatClient",
    "ChatModel",
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
    "SearchResult",
    "SignalRankings",
    "answer_safely",
    "best_sentence",
    "check_answer",
    "client_for",
    "fuse_rankings",
    "max_question_chars",
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
