"""The web app on FastAPI: the patient chat at ``/``, the search page at ``/search``, the REST API
under ``/v1`` and ``/healthz``.

Components are opened once. The retriever, guardrails and feedback store may be handed in already
opened (``careguide serve`` opens them first, so a broken index or database is one clear line
before the server starts); whatever is missing, and always the LLM backend, is opened by the
lifespan and closed when the server stops. A backend that fails to start is logged and tried again
on the next question that needs it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from careguide.config import Settings
from careguide.guardrails import Guardrails, load_policy, open_guardrails
from careguide.ingest import KnowledgeBase
from careguide.models import BackendOpener, ModelConnection
from careguide.rag import Retriever, max_question_chars, open_retriever
from careguide.ui.patient.api import answer_router, search_router
from careguide.ui.patient.chat import mount_chat
from careguide.ui.patient.feedback import FeedbackSink, open_feedback_sink
from careguide.ui.patient.search import search_page_router
from careguide.ui.patient.service import Services
from careguide.ui.web_security import SecurityHeaders
from careguide.ui.workspace import Workspace

HEALTH_CACHE_S = 10.0


class NotStarted(RuntimeError):
    """A request arrived before the app's lifespan opened its components."""


def open_services(
    settings: Settings,
    retriever: Retriever | None,
    guard: Guardrails | None,
    feedback: FeedbackSink | None,
    opener: BackendOpener | None,
    knowledge: KnowledgeBase | None = None,
) -> Services:
    """Open what was not handed in (the retriever and guardrails over one knowledge base), then
    try the LLM backend (a failure only logs)."""
    closers = []
    if knowledge is None and (retriever is None or guard is None):
        knowledge = KnowledgeBase.open(settings)
    if feedback is None:
        sink = open_feedback_sink(settings)
        closers.append(sink.close)
        feedback = sink
    model = ModelConnection(settings, opener)
    services = Services(
        settings,
        retriever or open_retriever(settings, knowledge=knowledge),
        guard or open_guardrails(settings, knowledge=knowledge),
        feedback,
        model,
        closers=closers,
    )
    audit = services.guard.audit
    if settings.review.audit == "database" and audit is not None:
        from careguide.review import DatabaseAuditSink, ReviewStore

        if isinstance(feedback, ReviewStore):
            audit.sink = DatabaseAuditSink(feedback.engine)  # one log for every app process
    model.open()
    return services


def _add_workspace(
    app: FastAPI,
    settings: Settings,
    feedback: FeedbackSink | None,
    services: Callable[[], Services],
    knowledge: Callable[[], KnowledgeBase | None],
) -> Workspace | None:
    """The clinician workspace at /workspace, on the review database that also stores feedback.

    It needs that database at construction (``careguide serve`` opens it first); without one the
    app serves the patient side only. It publishes into the app's knowledge base, which the app's
    retriever follows.
    """
    from careguide.review import ReviewStore
    from careguide.ui.workspace import add_workspace

    if not isinstance(feedback, ReviewStore):
        return None
    return add_workspace(
        app,
        settings,
        feedback,
        lambda: services().assistant,
        guard=lambda: services().guard,
        audit=lambda: services().guard.audit,
        knowledge=knowledge,
    )


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """A request that does not fit the schema: 422 with one sentence (and FastAPI's ``detail``,
    without the rejected input, which may not even be encodable)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in errors
    ]
    first = detail[0] if detail else {"loc": [], "msg": "the request could not be read"}
    where = ".".join(str(part) for part in first["loc"] if part != "body") or "the request"
    text = f"The request is not valid ({where}: {first['msg']}); see /openapi.json for its form."
    return JSONResponse({"message": text, "detail": detail}, status_code=422)


def emergency_number(settings: Settings) -> str:
    """The emergency number of the configured locale, for the notice on every page."""
    policy = load_policy(settings.guardrails)
    return policy.numbers[policy.locale].emergency


def create_app(
    settings: Settings,
    retriever: Retriever | None = None,
    *,
    guard: Guardrails | None = None,
    feedback: FeedbackSink | None = None,
    opener: BackendOpener | None = None,
    knowledge: KnowledgeBase | None = None,
) -> FastAPI:
    """The app; ``knowledge`` is the knowledge base ``retriever`` and ``guard`` were opened over
    (default: the retriever's, or one opened with them); ``opener`` replaces
    ``careguide.models.open_backend`` (tests of a failing model)."""
    holder: dict[str, Services] = {}
    on_close: list[Callable[[], None]] = []

    def services() -> Services:
        if "services" not in holder:
            raise NotStarted("careguide is still starting; please try again in a moment.")
        return holder["services"]

    def current_retriever() -> Retriever:
        return retriever if retriever is not None else services().retriever

    def current_knowledge() -> KnowledgeBase | None:
        if knowledge is not None:
            return knowledge
        if retriever is None and "services" not in holder:
            return None  # not started: publishing opens the configured collection
        return current_retriever().knowledge

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        opened = await anyio.to_thread.run_sync(
            lambda: open_services(settings, retriever, guard, feedback, opener, knowledge)
        )
        holder["services"] = opened
        try:
            yield
        finally:
            for close in on_close:
                close()
            holder.pop("services", None)
            await anyio.to_thread.run_sync(opened.close)

    # The interactive docs would load Swagger UI from a CDN: off; the schema is at /openapi.json.
    app = FastAPI(title="careguide", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    # A CORS middleware on this app also stops Gradio from adding its own (which allows any
    # localhost origin with credentials); with no origins configured it allows none.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.web.cors_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["content-type"],
    )
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(RequestValidationError, invalid_request)
    workspace = _add_workspace(app, settings, feedback, services, current_knowledge)
    if workspace is not None:
        on_close.append(workspace.close)

    checked: dict[str, tuple[float, list[dict[str, str | bool]]]] = {}

    @app.get("/healthz")
    def health() -> dict[str, object]:
        """Liveness, and whether the language model is ready (``model``: ready or unavailable);
        ``model_problem`` says why not in words for whoever runs the server (patients only see
        the short sentence); ``parts`` is `careguide doctor` (refreshed at most every 10 s)."""
        from careguide.doctor import diagnose
        from careguide.ingest import read_progress

        opened = holder.get("services")
        ready = opened is not None and opened.model.ready
        problem = "" if ready or opened is None else opened.model.problem
        if not problem and opened is not None and not ready and opened.model.backend is not None:
            problem = "The model server has stopped; the next question restarts it (see logs/llm-server.log)."
        now = time.monotonic()
        if "parts" not in checked or now - checked["parts"][0] > HEALTH_CACHE_S:
            checked["parts"] = (now, [p.to_json() for p in diagnose(settings)])
        progress = read_progress(settings)
        return {
            "status": "ok",
            "model": "ready" if ready else "unavailable",
            "model_problem": problem if opened is not None else "careguide is still starting.",
            "parts": checked["parts"][1],
            "indexing": {
                "percent": progress.percent,
                "done": progress.done,
                "error": progress.error,
            }
            if progress is not None
            else None,
        }

    max_chars = max_question_chars(settings)
    app.include_router(search_page_router(current_retriever, max_chars))
    app.include_router(search_router(current_retriever, max_chars))
    app.include_router(answer_router(services, max_chars))
    return mount_chat(app, services, emergency_number(settings), max_chars)
