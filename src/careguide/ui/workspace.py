"""The clinician workspace under ``/workspace``: sign-in, drafting education material from the
knowledge base, review (edit, approve or reject, history), exports, publishing into the knowledge
base, the review queue of patients' negatively rated and flagged answers, and (administrators) the
latest evaluation report.

Wiring is one call, :func:`add_workspace`. Every route but the sign-in form requires a session:
without one, pages redirect (303) to the sign-in form and ``/workspace/api/...`` answers 401.
Every POST needs the session's CSRF token. Drafting and publishing run in background workers
(``workspace_jobs``); pages poll their progress and no request waits for the model.

After a material is published (or withdrawn), ``on_publish`` is called so the app's retriever sees
the new chunks; :func:`refresh_retriever` does that for a :class:`careguide.rag.Retriever`.

This module holds sign-in and sign-out and wires the areas together; each area is its own module:
``workspace_base`` (the shared state, refusals, the session and CSRF check, security headers),
``workspace_materials`` with ``workspace_materials_pages`` (dashboard, drafting, each material's
review, exports, publishing, the JSON API), ``workspace_queue`` (the review queue),
``workspace_users`` (accounts), ``workspace_eval`` (the evaluation tab), ``workspace_jobs`` (the
background workers) and ``workspace_pages`` (the page frame, sign-in and error pages).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Annotated, cast

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from careguide.config import Settings
from careguide.guardrails import AuditLog
from careguide.ingest import ChromaStore, LexicalIndex, refresh_lexical_index
from careguide.rag import Retriever
from careguide.review import DatabaseFailures, JobTable, ReviewStore
from careguide.ui import workspace_pages as pages
from careguide.ui.auth import Sessions, Throttle, client_address, load_secret
from careguide.ui.handouts import AnswerSource, OutputCheck
from careguide.ui.workspace_base import (
    API,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    PassageLookup,
    Refusal,
    Signed,
    Workspace,
    private_router,
    safe_next,
    security_headers,
)
from careguide.ui.workspace_eval import evaluation_routes
from careguide.ui.workspace_jobs import Jobs
from careguide.ui.workspace_material_jobs import resume_jobs
from careguide.ui.workspace_materials import material_routes
from careguide.ui.workspace_pages import PREFIX
from careguide.ui.workspace_queue import queue_routes
from careguide.ui.workspace_users import user_routes

__all__ = [
    "API",
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "ChunkTexts",
    "Refusal",
    "Workspace",
    "add_workspace",
    "refresh_retriever",
    "safe_next",
    "security_headers",
]

log = logging.getLogger("careguide.ui.workspace")


def refresh_retriever(retriever: Retriever) -> bool:
    """Make ``retriever`` see chunks published or removed since it was opened.

    Dense search reads the vector store on every query; the BM25 index is held in memory, so it is
    brought up to date on disk (``refresh_lexical_index``) and swapped in. Searches in flight
    finish on the old index. Returns False for a retriever without a vector store.
    """
    from careguide.rag import DenseRetriever

    dense = retriever.dense
    if not isinstance(dense, DenseRetriever):
        return False
    refresh_lexical_index(dense.store)
    retriever.use_index(LexicalIndex.load(dense.store.lexical_dir) or LexicalIndex.build([]))
    return True


class ChunkTexts:
    """Passage texts by chunk id, read from the vector store (chunk ids are content hashes, so a
    text never changes and is cached)."""

    def __init__(self, settings: Settings, limit: int = 5000) -> None:
        self.settings = settings
        self.limit = limit
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
                    self._store = ChromaStore(self.settings)
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
) -> Workspace:
    """Add the workspace's routes under ``/workspace`` to ``app``.

    ``assistant_factory`` gives the Assistant that drafts material (None: drafting is switched
    off); ``on_publish`` runs after a material is published or withdrawn (e.g.
    ``lambda: refresh_retriever(retriever)``); ``guard`` gives the guardrails whose output check
    drafts pass; ``passages`` looks up passage texts by chunk id (default: the configured vector
    store); ``secret`` signs session cookies (default: ``load_secret``); ``audit`` gives the log
    where sign-in attempts are recorded.
    """
    failures = DatabaseFailures(store.engine)  # every app process counts the same failed sign-ins
    workspace = Workspace(
        settings=settings,
        store=store,
        sessions=Sessions(secret or load_secret(settings.index_dir.parent), registry=store),
        assistant_factory=assistant_factory,
        on_publish=on_publish,
        guard=guard,
        passages=passages if passages is not None else ChunkTexts(settings),
        audit=audit,
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
    workspace.routers = [
        _public_routes(workspace),
        _session_routes(workspace),
        material_routes(workspace),
        queue_routes(workspace),
        evaluation_routes(workspace),
        user_routes(workspace),
    ]
    for router in workspace.routers:
        app.include_router(router)
    return workspace


def _public_routes(ws: Workspace) -> APIRouter:
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    def login_form(
        request: Request, next_path: str, username: str = "", error: str = "", status: int = 200
    ) -> HTMLResponse:
        token, cookie = ws.sessions.login_token()
        chrome = ws.chrome(request, None)
        response = ws.page(
            request, chrome, pages.login_page(chrome, token, next_path, username, error), status
        )
        response.set_cookie(
            LOGIN_COOKIE, cookie, max_age=3600, path=f"{PREFIX}/login", httponly=True, samesite="strict",
            secure=request.url.scheme == "https",
        )  # fmt: skip
        return response

    @router.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = PREFIX) -> Response:
        if ws.sessions.read(request.cookies.get(SESSION_COOKIE)) is not None:
            return ws.redirect(request, safe_next(next))
        return login_form(request, safe_next(next))

    @router.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        token: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = PREFIX,
    ) -> Response:
        target = safe_next(next)
        name = username.strip()[:64]
        if not ws.sessions.login_token_ok(request.cookies.get(LOGIN_COOKIE), token):
            return login_form(
                request, target, name, "The sign-in form had expired; please sign in again.", 400
            )
        peer = request.client.host if request.client else None
        client = client_address(peer, request.headers, ws.settings.web.trusted_proxy_header)
        account, address = f"user:{name.lower()}@{client}", f"address:{client}"
        wait = max(ws.throttle.wait_s(account), ws.address_throttle.wait_s(address))
        if wait > 0:
            ws.audit_sign_in(name, client, "throttled")
            seconds = max(1, round(wait))
            message = f"Too many failed sign-ins; try again in {seconds} second{'s' if seconds != 1 else ''}."
            return login_form(request, target, name, message, 429)
        user = ws.store.authenticate(name, password) if name and password else None
        if user is None:
            ws.throttle.failed(account)
            ws.address_throttle.failed(address)
            ws.audit_sign_in(name, client, "refused")
            return login_form(request, target, name, "Wrong username or password.", 401)
        ws.throttle.succeeded(account)
        ws.audit_sign_in(name, client, "ok")
        _, cookie = ws.sessions.issue(user)
        response = ws.redirect(request, target)
        response.set_cookie(
            SESSION_COOKIE, cookie, max_age=int(ws.sessions.ttl_s), path=PREFIX, httponly=True,
            samesite="lax", secure=request.url.scheme == "https",
        )  # fmt: skip
        response.delete_cookie(LOGIN_COOKIE, path=f"{PREFIX}/login")
        return response

    return router


def _session_routes(ws: Workspace) -> APIRouter:
    router = private_router(ws)

    @router.post("/logout")
    def logout(request: Request, session: Signed) -> Response:
        ws.sessions.revoke(session)
        response = ws.redirect(request, f"{PREFIX}/login", "You have signed out.", "info")
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response

    return router
