"""careguide for LangChain (``pip install 'careguide[langchain]'``).

- :class:`CareguideRetriever`: the hybrid retriever (dense + BM25, fused) as a ``BaseRetriever``;
  each passage is a ``Document`` with careguide's metadata (title, organisation, url, section,
  chunk id, score, ...) and the chunk id as the document id.
- :class:`GuardedAssistant`: the path of one question (``rag.answer_safely``: input checks, the
  Assistant on the redacted question, output checks) as a ``Runnable``. An emergency is still
  answered with the fixed escalation text and no model call.
- :class:`LangChainChatModel`: any LangChain chat model as the Assistant's model client.

Only this module imports LangChain; the rest of careguide does not depend on it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.callbacks import (
    CallbackManagerForChainRun,
    CallbackManagerForRetrieverRun,
    dispatch_custom_event,
)
from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import patch_config
from langchain_core.runnables.utils import AddableDict
from pydantic import Field

from careguide.config import Settings
from careguide.guardrails import Guardrails
from careguide.rag import (
    FILTER_KEYS,
    Assistant,
    Citation,
    FilterError,
    GuardedAnswer,
    LLMError,
    ModelTooSlow,
    Passage,
    Retriever,
    answer_safely,
    open_retriever,
)

__all__ = [
    "EXTRACT_EVENT",
    "TOKEN_EVENT",
    "CareguideRetriever",
    "GuardedAssistant",
    "LangChainChatModel",
    "passage_document",
]

SearchMode = Literal["hybrid", "dense", "bm25"]
QuestionInput = str | Mapping[str, Any]
INPUT_KEYS = ("question", "history", "conversation_id", "reading_level", "mode")
TOKEN_EVENT = "careguide_draft_token"
"""Custom callback event: one token of the model's draft, before any output check."""
EXTRACT_EVENT = "careguide_extract"
"""Custom callback event: the extractive answer (output-checked), shown while the model writes."""
_PIECES = re.compile(r"\S+\s*|\s+")


def passage_document(passage: Passage) -> Document:
    """A retrieved passage as a LangChain document: the chunk's text, careguide's metadata."""
    record = passage.to_json()
    text = str(record.pop("text"))
    return Document(page_content=text, metadata=record, id=passage.chunk.chunk_id)


class CareguideRetriever(BaseRetriever):
    """careguide's configured retriever (hybrid by default) as a LangChain retriever.

    ``k``, ``where`` (metadata filter, keys from ``careguide.rag.FILTER_KEYS``) and ``mode`` may
    also be given per call: ``retriever.invoke("question", k=3, where={"source": "GHR"})``.
    """

    retriever: Retriever
    k: int = Field(default=4, ge=1)
    where: dict[str, str] = Field(default_factory=dict)
    mode: SearchMode | None = None
    """``None``: the configured mode (``retrieval.mode``)."""

    @classmethod
    def from_settings(
        cls, settings: Settings, collection: str | None = None, **fields: Any
    ) -> CareguideRetriever:
        """The retriever over the configured index (models loaded once per process)."""
        return cls(retriever=open_retriever(settings, collection), **fields)

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        where: Mapping[str, str] | None = None,
        mode: SearchMode | None = None,
    ) -> list[Document]:
        if k is not None and k < 1:
            raise ValueError(f"k must be 1 or more, not {k}.")
        where = dict(self.where if where is None else where)
        unknown = sorted(set(where) - set(FILTER_KEYS))
        if unknown:
            raise FilterError(f"Unknown filter key '{unknown[0]}'; use one of: {', '.join(FILTER_KEYS)}.")
        found = self.retriever.search_many([query], k or self.k, where, mode or self.mode)[0]
        return [passage_document(passage) for passage in found]


def citation_record(citation: Citation) -> dict[str, object]:
    """A citation with the section and the retrieval score of its passage."""
    record = citation.to_json()
    record["section"] = citation.passage.chunk.section
    record["score"] = round(citation.passage.score, 6)
    return record


def output_record(guarded: GuardedAnswer) -> dict[str, Any]:
    """What the Runnable returns: the text shown to the patient, its citations and the decisions.

    ``question`` is the message as redacted by the input checks: the form to keep as ``history``.
    """
    answer = guarded.answer
    return {
        "answer": answer.answer,
        "citations": [citation_record(c) for c in answer.citations],
        "abstained": answer.abstained,
        "question": answer.question,
        "search_query": answer.search_query,
        "mode": answer.mode,
        "guard": guarded.to_json()["guard"],
    }


def _question(value: object) -> tuple[str, Mapping[str, Any]]:
    if isinstance(value, str):
        return value, {}
    if not isinstance(value, Mapping):
        raise TypeError(f"Ask with a question (text) or a dict with 'question'; got {type(value).__name__}.")
    unknown = sorted(set(value) - set(INPUT_KEYS))
    if unknown:
        raise ValueError(f"Unknown input key '{unknown[0]}'; use: {', '.join(INPUT_KEYS)}.")
    question = value.get("question")
    if not isinstance(question, str):
        raise ValueError("The input needs a 'question' (text).")
    history = value.get("history", ())
    if isinstance(history, str) or not isinstance(history, Sequence):
        raise ValueError("'history' is a list of the patient's earlier messages (redacted), oldest first.")
    if not all(isinstance(message, str) for message in history):
        raise ValueError("'history' holds text messages only.")
    return question, value


class GuardedAssistant(Runnable[QuestionInput, dict[str, Any]]):
    """The guarded path of one question as a Runnable.

    Input: a question, or ``{"question": ..., "history": [...], "conversation_id": ...,
    "reading_level": ..., "mode": ...}`` where ``history`` holds the earlier messages as redacted
    (each output's ``question``). Output: ``{"answer", "citations", "abstained", "question",
    "search_query", "mode", "guard"}``.

    ``stream`` yields chunks that add up to that output: the checked answer text in pieces
    (``{"answer": ...}``), then the rest. Only checked text is ever in the output; the model's
    unchecked draft tokens and the early extract are custom callback events
    (:data:`TOKEN_EVENT`, :data:`EXTRACT_EVENT`, e.g. in ``astream_events``) for a UI that shows
    progress. ``runnable.pick("answer")`` streams the text alone.
    """

    def __init__(self, assistant: Assistant, guard: Guardrails, name: str | None = None) -> None:
        self.assistant = assistant
        self.guard = guard
        self.name = name or "careguide"

    def invoke(
        self, input: QuestionInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        return self._call_with_config(self._invoke, input, config, run_type="chain")

    def stream(
        self, input: QuestionInput, config: RunnableConfig | None = None, **kwargs: Any | None
    ) -> Iterator[dict[str, Any]]:
        yield from self._transform_stream_with_config(iter([input]), self._stream, config, run_type="chain")

    def _invoke(
        self, input: QuestionInput, run_manager: CallbackManagerForChainRun, config: RunnableConfig
    ) -> dict[str, Any]:
        return output_record(self._answer(input, run_manager, config))

    def _stream(
        self,
        inputs: Iterator[QuestionInput],
        run_manager: CallbackManagerForChainRun,
        config: RunnableConfig,
    ) -> Iterator[dict[str, Any]]:
        for input in inputs:
            record = output_record(self._answer(input, run_manager, config))
            text = record.pop("answer")
            for piece in _PIECES.findall(text) or [""]:
                yield AddableDict(answer=piece)
            yield AddableDict(record)

    def _answer(
        self, input: QuestionInput, run_manager: CallbackManagerForChainRun, config: RunnableConfig
    ) -> GuardedAnswer:
        question, options = _question(input)
        child = patch_config(config, callbacks=run_manager.get_child())

        def on_token(token: str) -> None:
            dispatch_custom_event(TOKEN_EVENT, {"token": token}, config=child)

        def on_extract(extract: GuardedAnswer) -> None:
            dispatch_custom_event(EXTRACT_EVENT, output_record(extract), config=child)

        return answer_safely(
            self.assistant,
            self.guard,
            question,
            conversation_id=str(options.get("conversation_id", "")),
            history=tuple(options.get("history", ())),
            reading_level=options.get("reading_level"),
            on_token=on_token,
            on_extract=on_extract,
            mode=options.get("mode"),
        )


@dataclass
class LangChainChatModel:
    """A LangChain chat model as careguide's model client (``stream(messages, max_tokens)``).

    A failure of the model is careguide's one-sentence ``LLMError``, so the Assistant falls back to
    the extract as it does when its own server is down.
    """

    model: BaseChatModel

    def stream(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float = 0.0,
        *,
        deadline_s: float | None = None,
    ) -> Iterator[str]:
        """``deadline_s`` is read between chunks (a LangChain model cannot be cut off while it
        reads the prompt)."""
        until = None if deadline_s is None else time.monotonic() + deadline_s
        try:
            for chunk in self.model.stream(messages, max_tokens=max_tokens):
                if until is not None and time.monotonic() > until:
                    raise ModelTooSlow(f"The model did not answer within {deadline_s:g} s.")
                text = str(chunk.text)
                if text:
                    yield text
        except LLMError:
            raise
        except Exception as exc:
            raise LLMError(
                "The answer service cannot be reached right now; please try again in a moment."
            ) from exc

    def complete(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        return "".join(self.stream(messages, max_tokens))
