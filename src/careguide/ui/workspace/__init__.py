"""The clinician workspace under ``/workspace``: sign-in, drafting education material from the
knowledge base, review (edit, approve or reject, history), exports, publishing into the knowledge
base, the review queue of patients' negatively rated and flagged answers, and (administrators) the
latest evaluation report.

Wiring is one call, :func:`add_workspace`. Every route but the sign-in form requires a session:
without one, pages redirect (303) to the sign-in form and ``/workspace/api/...`` answers 401.
Every POST needs the session's CSRF token. Drafting and publishing run in background workers
(``jobs``); pages poll their progress and no request waits for the model.

Material is published into (or withdrawn from) the app's :class:`careguide.ingest.KnowledgeBase`
(``knowledge``), whose refresh the app's retriever follows; ``on_publish`` is called after.

This module wires the areas together; each area is its own module with one router: ``login``
(sign-in and sign-out), ``materials`` with ``materials_pages`` (dashboard, drafting, each
material's review, exports, publishing, the JSON API), ``material_jobs`` (the drafting and
publishing work and the jobs' pages), ``queue`` (the review queue), ``users`` (accounts) and
``evaluation`` (the evaluation tab). Beside them: ``base`` (the shared state, refusals, the session
and CSRF check, security headers), ``auth`` (session cookies, login throttling), ``jobs`` (the
background workers) and ``pages`` (the page frame, sign-in and error pages).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import cast

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from careguide.config import Settings
from careguide.guardrails import AuditLog
from careguide.ingest import ChromaStore, KnowledgeBase
from careguide.review import AnswerSource, DatabaseFailures, JobTable, OutputCheck, ReviewStore
from careguide.ui.workspace import evaluation, login, material_jobs, materials, pages, queue, users
from careguide.ui.workspace.auth import Sessions, Throttle, load_secret
from careguide.ui.workspace.base import (
    API,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    PassageLookup,
    Refusal,
    Workspace,
    safe_next,
    security_headers,
)
from careguide.ui.workspace.jobs import Jobs
from careguide.ui.workspace.material_jobs import resume_jobs

__all__ = [
    "API",
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "ChunkTexts",
    "Refusal",
    "Workspace",
    "add_workspace",
    "safe_next",
    "security_headers",
]

log = logging.getLogger("careguide.ui.workspace")


class ChunkTexts:
    """Passage texts by chunk id, read from the vector store (chunk ids are content hashes, so a
    text never changes and is cached)."""

    def __init__(
        self,
        settings: Settings,
        limit: int = 5000,
        knowledge: Callable[[], KnowledgeBase | None] | None = None,
    ) -> None:
        self.settings = settings
        self.limit = limit
        self.knowledge = knowledge
        self._store: ChromaStore | None = None
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, chunk_ids: Sequence[str]) -> dict[str, str]:
        wanted = [c for c in dict.fromkeys(chunk_ids) if c]
        with self._lock:
            found = {c: self._cache[c] for c in wanted if c in self._cache}
        missing = [c for c in wanted if c not in found]
        if missing:
            try:
                if self._store is None:
                    shared = self.knowledge() if self.knowledge is not None else None
                    self._store = shared.store if shared is not None else ChromaStore.open(self.settings)
                page = self._store.collection.get(ids=missing, include=["documents"])
            except Exception as exc:  # the page still works from the stored quotes
                log.warning("Passages could not be read from the index (%s); showing quotes only.", exc)
                return found
            fetched = {
                cid: text or "" for cid, text in zip(page["ids"], page["documents"] or [], strict=False)
            }
            with self._lock:
                if len(self._cache) > self.limit:
                    self._cache.clear()
                self._cache.update(fetched)
            found.update(fetched)
        return found


def add_workspace(
    app: FastAPI,
    settings: Settings,
    store: ReviewStore,
    assistant_factory: Callable[[], AnswerSource] | None = None,
    on_publish: Callable[[], None] | None = None,
    *,
    guard: Callable[[], OutputCheck | None] | None = None,
    passages: PassageLookup | None = None,
    secret: bytes | None = None,
    audit: Callable[[], AuditLog | None] | None = None,
    knowledge: Callable[[], KnowledgeBase | None] | None = None,
) -> Workspace:
    """Add the workspace's routes under ``/workspace`` to ``app``.

    ``assistant_factory`` gives the Assistant that drafts material (None: drafting is switched
    off); ``knowledge`` gives the knowledge base material is published into (default: the
    configured collection's; the app hands its own, so its retriever sees the material at once);
    ``on_publish`` runs after a material is published or withdrawn; ``guard`` gives the guardrails
    whose output check drafts pass; ``passages`` looks up passage texts by chunk id (default: the
    knowledge base's vector store); ``secret`` signs session cookies (default: ``load_secret``);
    ``audit`` gives the log where sign-in attempts are recorded.
    """
    failures = DatabaseFailures(store.engine)  # every app process counts the same failed sign-ins
    workspace = Workspace(
        settings=settings,
        store=store,
        sessions=Sessions(secret or load_secret(settings.index_dir.parent), registry=store),
        assistant_factory=assistant_factory,
        on_publish=on_publish,
        guard=guard,
        passages=passages if passages is not None else ChunkTexts(settings, knowledge=knowledge),
        audit=audit,
        knowledge=knowledge,
        throttle=Throttle(log=failures),
        address_throttle=Throttle(limit=30, log=failures),
        jobs=Jobs(JobTable(store.engine)) if settings.review.jobs == "database" else Jobs(),
    )
    resume_jobs(workspace)

    async def refused(request: Request, exc: Exception) -> Response:
        refusal = cast(Refusal, exc)
        if refusal.location is not None:
            return workspace.redirect(request, refusal.location)
        if request.url.path.startswith(API):
            return JSONResponse(
                {"message": refusal.message}, status_code=refusal.status, headers=security_headers()
            )
        session = workspace.sessions.read(request.cookies.get(SESSION_COOKIE))
        chrome = workspace.chrome(request, session)
        title = {401: "Sign in first", 403: "Not allowed", 404: "Not found", 409: "Changed meanwhile"}.get(
            refusal.status, "Cannot do that"
        )
        return workspace.page(
            request, chrome, pages.error_page(chrome, title, refusal.message), refusal.status
        )

    app.add_exception_handler(Refusal, refused)
    app.state.workspace = workspace
    workspace.routers = [
        login.router,
        login.session_router,
        materials.router,
        material_jobs.router,
        queue.router,
        evaluation.router,
        users.router,
    ]
    for router in workspace.routers:
        app.include_router(router)
    return workspace
