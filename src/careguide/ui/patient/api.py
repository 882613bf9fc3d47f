"""The REST API, for portals and scripts: one router for answers, one for the search.

``POST /v1/answer`` returns the guarded answer as JSON (``GuardedAnswer.to_json()``);
``POST /v1/answer/stream`` sends the same answer as server-sent events: ``token`` events with the
model's draft, then one ``answer`` event (or one ``error`` event). A question over the size limit
(``rag.max_question_chars``) is refused with 413 before anything reads it; a model that cannot be
reached gives 503. ``GET /v1/search`` returns the passages for a question.
"""

# No ``from __future__ import annotations``: a route's parameter types hold its app's question size
# limit, so they are evaluated where the route is defined.

import json
from collections.abc import Callable, Iterator
from typing import Annotated, ClassVar, Literal, TypeVar

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from careguide.rag import FilterError, LLMError, Retriever, parse_filter
from careguide.ui.patient.normalise import clean_text, too_large
from careguide.ui.patient.service import Extract, Failure, Final, Services, Token, Waiting, too_long

MAX_HISTORY = 50
KEEPALIVE_S = 15.0
"""A comment line this often while the model is busy elsewhere, so proxies keep the stream open."""


class AnswerRequest(BaseModel):
    """One patient question; ``history`` holds the patient's earlier questions, oldest first."""

    model_config = ConfigDict(extra="forbid")

    question: str
    history: list[str] = Field(default_factory=list, max_length=MAX_HISTORY)
    reading_level: Literal["standard", "simpler"] = "standard"
    conversation_id: str = Field("", max_length=128)
    max_chars: ClassVar[int]
    """The question size limit this request's refusals name (see :func:`request_model`)."""

    @field_validator("question", "conversation_id")
    @classmethod
    def _clean(cls, value: str) -> str:
        """Cleaned before anything reads it, so the size limit measures what is analysed."""
        if too_large(value):
            raise ValueError(
                f"this text is far too long; send one question under {cls.max_chars:,} characters"
            )
        return clean_text(value)

    @field_validator("history")
    @classmethod
    def _clean_history(cls, value: list[str]) -> list[str]:
        return [cls._clean(text) for text in value]


def request_model(max_chars: int) -> type[AnswerRequest]:
    """:class:`AnswerRequest` for an app whose question size limit is ``max_chars`` (the same name,
    so the OpenAPI schema is the same)."""
    namespace = {"__module__": __name__, "__qualname__": "AnswerRequest", "__doc__": AnswerRequest.__doc__}
    model: type[AnswerRequest] = type("AnswerRequest", (AnswerRequest,), namespace | {"max_chars": max_chars})
    return model


Endpoint = TypeVar("Endpoint", bound=Callable[..., object])


def reads(model: type[AnswerRequest]) -> Callable[[Endpoint], Endpoint]:
    """The endpoint's ``request`` body is read as ``model`` (this app's :class:`AnswerRequest`)."""

    def apply(endpoint: Endpoint) -> Endpoint:
        endpoint.__annotations__["request"] = model
        return endpoint

    return apply


def message(status: int, text: str) -> JSONResponse:
    """Errors of these endpoints are one sentence under ``message``."""
    return JSONResponse({"message": text}, status_code=status)


EMPTY = "The question is empty; send the text of a question."


def oversized(request: AnswerRequest) -> str | None:
    """The refusal for a question (or an earlier one in ``history``) over the size limit."""
    for text in (request.question, *request.history):
        refusal = too_long(text, request.max_chars)
        if refusal:
            return refusal
    return None


def clean_history(services: Services, history: list[str]) -> list[str]:
    """Earlier questions as the server keeps them: redacted again here, because a client may send
    them as typed, and only the turns a follow-up can borrow from."""
    keep = services.settings.answer.history_turns
    recent = history[-keep:] if keep else []
    return [services.guard.redact(text).redacted for text in recent]


def sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def refusal(request: AnswerRequest) -> JSONResponse | None:
    """The response refusing a question that is too long (413) or empty (422); None to answer it."""
    too_long = oversized(request)
    if too_long:
        return message(413, too_long)
    if not request.question:
        return message(422, EMPTY)
    return None


def answer_router(services: Callable[[], Services], max_chars: int) -> APIRouter:
    """``/v1/answer`` and ``/v1/answer/stream``, refusing questions over ``max_chars``."""
    router = APIRouter(prefix="/v1", tags=["answers"])
    body = request_model(max_chars)

    @router.post(
        "/answer",
        responses={
            413: {"description": "Question too long"},
            422: {"description": "Invalid request"},
            503: {"description": "Model unavailable"},
        },
    )
    @reads(body)
    def answer(request: AnswerRequest) -> JSONResponse:
        """The guarded, cited answer to one question (see README, REST)."""
        refused = refusal(request)
        if refused is not None:
            return refused
        app = services()
        history = clean_history(app, request.history)
        try:
            guarded = app.answer(request.question, history, request.reading_level, request.conversation_id)
        except LLMError as exc:
            return message(503, str(exc))
        return JSONResponse(guarded.to_json())

    @router.post(
        "/answer/stream",
        response_model=None,
        responses={413: {"description": "Question too long"}, 422: {"description": "Invalid request"}},
    )
    @reads(body)
    def answer_stream(request: AnswerRequest) -> StreamingResponse | JSONResponse:
        """Server-sent events: ``extract`` (the answer JSON of the extractive answer, at once),
        ``token`` {text}..., then ``answer`` (the JSON above) or ``error``
        {message}; comment lines while the model is busy with other answers."""
        refused = refusal(request)
        if refused is not None:
            return refused
        app = services()
        history = clean_history(app, request.history)

        def events() -> Iterator[str]:
            stream = app.stream(
                request.question, history, request.reading_level, request.conversation_id, KEEPALIVE_S
            )
            for event in stream:
                if isinstance(event, Waiting):
                    yield ": waiting for the model\n\n"
                elif isinstance(event, Token):
                    yield sse("token", {"text": event.text})
                elif isinstance(event, Extract):
                    yield sse("extract", event.guarded.to_json())
                elif isinstance(event, Final):
                    yield sse("answer", event.guarded.to_json())
                elif isinstance(event, Failure):
                    yield sse("error", {"message": event.message})

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    return router


def search_router(retriever: Callable[[], Retriever], max_chars: int) -> APIRouter:
    """``GET /v1/search``, for questions of at most ``max_chars`` characters."""
    router = APIRouter()

    @router.get("/v1/search")
    def search(
        q: Annotated[str, Query(min_length=1, max_length=max_chars)],
        k: Annotated[int, Query(ge=1, le=100)] = 5,
        where: Annotated[list[str] | None, Query()] = None,
    ) -> list[dict[str, object]]:
        """Passages for a question, in the same JSON shape as `careguide search --json`."""
        try:
            filters = parse_filter(where or [])
        except FilterError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        return [p.to_json() for p in retriever().search(q, k, filters).passages]

    return router
