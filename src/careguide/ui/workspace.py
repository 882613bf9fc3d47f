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
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from careguide.config import Settings
from careguide.ingest import ChromaStore, EmbeddingError, LexicalIndex, StoreError, refresh_lexical_index
from careguide.rag import LLMError, Retriever
from careguide.review import (
    Material,
    MaterialCitation,
    ReviewError,
    ReviewStore,
    clinic_name,
    publish,
    to_html,
    to_markdown,
    to_pdf,
    unpublish,
)
from careguide.review.publish import approved_path
from careguide.review.types import FORMATS, DecisionKind, MaterialFormat, Role
from careguide.ui import workspace_pages as pages
from careguide.ui.auth import Session, Sessions, Throttle, load_secret, tokens_match
from careguide.ui.handouts import (
    AUDIENCES,
    LEVELS,
    AnswerSource,
    Cancelled,
    OutputCheck,
    Progress,
    SentenceCheck,
    check_body,
    citations_for,
    clean_topic,
    generate,
    outline,
    reading_grade,
)
from careguide.ui.workspace_eval import evaluation_page, find_run, report_headers, run_names
from careguide.ui.workspace_jobs import Job, JobKind, Jobs
from careguide.ui.workspace_pages import PREFIX, Chrome, PublishState

log = logging.getLogger("careguide.ui.workspace")

API = f"{PREFIX}/api"
SESSION_COOKIE = "careguide_workspace"
LOGIN_COOKIE = "careguide_workspace_login"
FLASH_COOKIE = "careguide_workspace_flash"
MAX_BODY_CHARS = 100_000
MAX_TEXT_CHARS = 10_000
_EXPORTS = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
}


class Refusal(Exception):
    """A request the workspace turns down: a redirect to sign in, or a status with one sentence."""

    def __init__(self, status: int, message: str, location: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.location = location


def refresh_retriever(retriever: Retriever) -> bool:
    """Make ``retriever`` see chunks published or removed since it was opened.

    Dense search reads the vector store on every query; the BM25 index is held in memory, so it is
    brought up to date on disk (``refresh_lexical_index``) and swapped in. Searches in flight
    finish on the old index. Returns False for a retriever without a vector store.
    """
    from careguide.rag.retrieval import DenseRetriever, LexicalRetriever

    dense = retriever.dense
    if not isinstance(dense, DenseRetriever):
        return False
    refresh_lexical_index(dense.store)
    index = LexicalIndex.load(dense.store.lexical_dir) or LexicalIndex.build([])
    dense.exact_index = index
    if isinstance(retriever.lexical, LexicalRetriever):
        retriever.lexical.index = index
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


PassageLookup = Callable[[Sequence[str]], Mapping[str, str]]


@dataclass
class Workspace:
    """The workspace's components; :func:`add_workspace` returns it (tests wait on its jobs)."""

    settings: Settings
    store: ReviewStore
    sessions: Sessions
    assistant_factory: Callable[[], AnswerSource] | None = None
    on_publish: Callable[[], None] | None = None
    guard: Callable[[], OutputCheck | None] | None = None
    passages: PassageLookup | None = None
    throttle: Throttle = field(default_factory=Throttle)
    """Failed sign-ins per account."""
    address_throttle: Throttle = field(default_factory=lambda: Throttle(limit=30))
    """Failed sign-ins per client address (higher: a clinic's staff may share one address)."""
    jobs: Jobs = field(default_factory=Jobs)
    routers: list[APIRouter] = field(default_factory=list)

    def close(self) -> None:
        self.jobs.close()

    def routes(self) -> list[tuple[str, str]]:
        """Every (method, path template) the workspace serves, sign-in form included."""
        return sorted(
            (method, route.path)
            for router in self.routers
            for route in router.routes
            if isinstance(route, APIRoute)
            for method in route.methods or ()
        )

    # Pages and responses

    def chrome(self, request: Request, session: Session | None) -> Chrome:
        return Chrome(
            session, secrets.token_urlsafe(16), self.sessions.read_flash(request.cookies.get(FLASH_COOKIE))
        )

    def page(self, request: Request, chrome: Chrome, content: str, status: int = 200) -> HTMLResponse:
        response = HTMLResponse(content, status_code=status, headers=security_headers(chrome.nonce))
        if chrome.flash is not None:
            response.delete_cookie(FLASH_COOKIE, path=PREFIX)
        return response

    def redirect(
        self, request: Request, location: str, message: str = "", kind: str = "ok"
    ) -> RedirectResponse:
        response = RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})
        if message:
            response.set_cookie(
                FLASH_COOKIE,
                self.sessions.flash(message, kind),
                max_age=300,
                path=PREFIX,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
            )
        return response

    # Materials

    def material(self, material_id: int) -> Material:
        try:
            return self.store.get(material_id)
        except ReviewError as exc:
            raise Refusal(404, str(exc)) from None

    def passage_texts(self, citations: Sequence[MaterialCitation]) -> dict[int, str]:
        if self.passages is None:
            return {}
        texts = self.passages([c.chunk_id for c in citations])
        return {c.n: texts[c.chunk_id] for c in citations if texts.get(c.chunk_id)}

    def checks(self, material: Material) -> tuple[list[SentenceCheck], dict[int, str]]:
        passages = self.passage_texts(material.citations)
        return check_body(material.body, material.citations, passages), passages

    def publish_state(self, material: Material) -> PublishState | None:
        job = self.jobs.latest_for(material.id)
        in_index = approved_path(self.settings, material.id).exists()
        clinic = clinic_name(self.settings)
        if job is not None and not job.finished:
            text = (
                "Publishing to the knowledge base…"
                if job.kind == "publish"
                else "Removing it from the knowledge base…"
            )
            return PublishState(text, "info", job.id, running=True)
        if job is not None and job.state == "failed":
            return PublishState(job.message, "error", can_retry=material.status == "approved")
        if material.status == "approved":
            if in_index:
                return PublishState(f"Published: patients' answers can cite it, as {clinic}.", "ok")
            return PublishState("Approved, but not in the knowledge base yet.", "warn", can_retry=True)
        if in_index:
            return PublishState(
                "The last approved version stays in the knowledge base until this version is approved.",
                "info",
            )
        return None

    def start_publish(self, material: Material, owner: str, remove: bool = False) -> Job:
        settings, store = self.settings, self.store

        def work(job: Job) -> None:
            job.start_step(0)
            try:
                if remove:
                    removed = unpublish(material.id, settings)
                    message = (
                        "Removed from the knowledge base." if removed else "It was not in the knowledge base."
                    )
                else:
                    published = publish(material.id, settings, store)
                    message = (
                        f"Published: {published.chunks_indexed} passage(s) indexed; patients' answers can "
                        f"cite it, as {clinic_name(settings)}."
                    )
            except (ReviewError, StoreError, EmbeddingError) as exc:
                job.finish("failed", f"Not published: {exc}")
                return
            if self.on_publish is not None:
                try:
                    self.on_publish()
                except Exception:
                    log.exception("Reloading the retriever after publishing failed")
                    job.finish(
                        "failed", "Indexed, but the running answer service did not reload; restart it."
                    )
                    return
            job.finish("done", message)

        kind: JobKind = "unpublish" if remove else "publish"
        label = "Remove from the knowledge base" if remove else "Index into the knowledge base"
        return self.jobs.submit(kind, owner, f"{label}: {material.topic}", [label], work, material.id)

    def start_draft(self, owner: str, topic: str, audience: str, level: str, format: MaterialFormat) -> Job:
        factory = self.assistant_factory
        assert factory is not None
        sections = outline(topic, format)
        store, guard = self.store, self.guard

        def work(job: Job) -> None:
            def answered(index: int, _section: object, answer: Any) -> None:
                note = "not in the knowledge base" if answer.abstained else "answered"
                job.end_step(index, "skipped" if answer.abstained else "done", note)

            progress = Progress(
                on_question=lambda index, _section: job.start_step(index),
                on_answer=answered,
                on_token=job.add_partial,
                stopped=job.cancel.is_set,
            )
            try:
                draft = generate(factory(), topic, format, level, progress, guard() if guard else None)
            except Cancelled:
                job.finish("cancelled", "Stopped; nothing was saved.")
                return
            except LLMError as exc:
                job.finish("failed", str(exc))
                return
            if not draft.answered:
                job.finish(
                    "failed",
                    f"The knowledge base has no checked answer about {topic}; nothing was saved. "
                    "Check the spelling or try a broader topic.",
                )
                return
            material_id = store.create_material(
                topic, audience, level, format, draft.body, draft.citations, draft.grade, owner
            )
            job.finish("done", f"Draft saved as material {material_id}.", material_id)

        return self.jobs.submit("generate", owner, f"Draft: {topic}", [s.question for s in sections], work)


def security_headers(nonce: str = "") -> dict[str, str]:
    scripts = f"'nonce-{nonce}'" if nonce else "'none'"
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src {scripts}; script-src {scripts}; connect-src 'self'; "
            "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def safe_next(value: str | None) -> str:
    """Where to go after signing in: only a workspace page of this site, never elsewhere."""
    if not value or not value.startswith(PREFIX) or value.startswith(f"{PREFIX}/login"):
        return PREFIX
    if "//" in value or "\\" in value or any(ord(ch) < 33 for ch in value):
        return PREFIX
    rest = value[len(PREFIX) :]
    return value if rest == "" or rest[0] in "/?" else PREFIX


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "material"


def _one_line(value: str, limit: int) -> str:
    return " ".join(value.split())[:limit]


def _body(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _signed_in(request: Request) -> Session:
    """The session the router's own dependency checked (it runs before any route parameter)."""
    session = getattr(request.state, "workspace_session", None)
    if not isinstance(session, Session):
        raise Refusal(401, "Sign in to the workspace first.")
    return session


Signed = Annotated[Session, Depends(_signed_in)]


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
) -> Workspace:
    """Add the workspace's routes under ``/workspace`` to ``app``.

    ``assistant_factory`` gives the Assistant that drafts material (None: drafting is switched
    off); ``on_publish`` runs after a material is published or withdrawn (e.g.
    ``lambda: refresh_retriever(retriever)``); ``guard`` gives the guardrails whose output check
    drafts pass; ``passages`` looks up passage texts by chunk id (default: the configured vector
    store); ``secret`` signs session cookies (default: ``load_secret``).
    """
    workspace = Workspace(
        settings=settings,
        store=store,
        sessions=Sessions(secret or load_secret(settings.index_dir.parent)),
        assistant_factory=assistant_factory,
        on_publish=on_publish,
        guard=guard,
        passages=passages if passages is not None else ChunkTexts(settings),
    )

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
    workspace.routers = [_public_routes(workspace), _private_routes(workspace)]
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
        account, address = f"user:{name.lower()}", f"address:{request.client.host if request.client else '-'}"
        wait = max(ws.throttle.wait_s(account), ws.address_throttle.wait_s(address))
        if wait > 0:
            minutes = max(1, round(wait / 60))
            message = f"Too many failed sign-ins; try again in {minutes} minute{'s' if minutes != 1 else ''}."
            return login_form(request, target, name, message, 429)
        user = ws.store.authenticate(name, password) if name and password else None
        if user is None:
            ws.throttle.failed(account)
            ws.address_throttle.failed(address)
            return login_form(request, target, name, "Wrong username or password.", 401)
        ws.throttle.succeeded(account)
        _, cookie = ws.sessions.issue(user)
        response = ws.redirect(request, target)
        response.set_cookie(
            SESSION_COOKIE, cookie, max_age=int(ws.sessions.ttl_s), path=PREFIX, httponly=True,
            samesite="lax", secure=request.url.scheme == "https",
        )  # fmt: skip
        response.delete_cookie(LOGIN_COOKIE, path=f"{PREFIX}/login")
        return response

    return router


def _private_routes(ws: Workspace) -> APIRouter:
    async def require_session(request: Request) -> Session:
        """Every private route: a valid session, and on POST the session's CSRF token."""
        session = ws.sessions.read(request.cookies.get(SESSION_COOKIE))
        if session is None:
            if request.url.path.startswith(API):
                raise Refusal(401, "Sign in to the workspace first.")
            target = PREFIX
            if request.method == "GET":
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise Refusal(303, "Sign in first.", pages.login_url(safe_next(target)))
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            submitted = request.headers.get("x-csrf-token")
            if submitted is None:
                form = await request.form()
                value = form.get("csrf")
                submitted = value if isinstance(value, str) else None
            if not tokens_match(session.csrf, submitted):
                raise Refusal(
                    403, "This form has expired or did not come from the workspace; reload and try again."
                )
        request.state.workspace_session = session
        return session

    router = APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[Depends(require_session)])

    def require_admin(session: Session, what: str = "manage users") -> None:
        if not session.is_admin:
            raise Refusal(403, f"Only an administrator can {what}.")

    @router.post("/logout")
    def logout(request: Request, session: Signed) -> Response:
        ws.sessions.revoke(session)
        response = ws.redirect(request, f"{PREFIX}/login", "You have signed out.", "info")
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response

    @router.get("", response_class=HTMLResponse)
    def dashboard(request: Request, session: Signed, status: str = "all") -> Response:
        chosen = status if status in ("draft", "approved", "rejected") else "all"
        materials = ws.store.list_materials(None if chosen == "all" else cast(Any, chosen))
        materials.sort(key=lambda m: m.updated_at, reverse=True)
        jobs = [j.snapshot() for j in ws.jobs.active() if j.kind == "generate"]
        chrome = ws.chrome(request, session)
        open_items = len(ws.store.queue("open"))
        return ws.page(request, chrome, pages.dashboard(chrome, materials, chosen, jobs, open_items))

    def unavailable() -> str:
        if ws.assistant_factory is None:
            return "Drafting needs the language model, which this server was started without."
        return ""

    @router.get("/new", response_class=HTMLResponse)
    def new_material(request: Request, session: Signed) -> Response:
        chrome = ws.chrome(request, session)
        return ws.page(request, chrome, pages.new_material_page(chrome, {}, unavailable=unavailable()))

    @router.post("/generate")
    def start_generation(
        request: Request,
        session: Signed,
        topic: Annotated[str, Form()] = "",
        audience: Annotated[str, Form()] = AUDIENCES[0],
        reading_level: Annotated[str, Form()] = LEVELS[0],
        format: Annotated[str, Form()] = "handout",
    ) -> Response:
        values = {
            "topic": topic[:200],
            "audience": audience,
            "reading_level": reading_level,
            "format": format,
        }
        chrome = ws.chrome(request, session)
        if unavailable():
            return ws.page(
                request, chrome, pages.new_material_page(chrome, values, unavailable=unavailable()), 503
            )
        try:
            clean = clean_topic(topic)
            if audience not in AUDIENCES:
                raise ValueError(f"Unknown audience {audience!r}; choose one from the list.")
            if reading_level not in LEVELS:
                raise ValueError(f"Unknown reading level {reading_level!r}; choose standard or simpler.")
            if format not in FORMATS:
                raise ValueError(f"Unknown format {format!r}; choose handout or FAQ.")
        except ValueError as exc:
            return ws.page(request, chrome, pages.new_material_page(chrome, values, str(exc)), 400)
        job = ws.start_draft(session.username, clean, audience, reading_level, format)
        return ws.redirect(request, f"{PREFIX}/jobs/{job.id}")

    def job_or_refuse(job_id: str) -> Job:
        job = ws.jobs.get(job_id)
        if job is None:
            raise Refusal(404, "This job is not known here; the server may have restarted. Start it again.")
        return job

    @router.get("/jobs/{job_id}", response_class=HTMLResponse)
    def job_status_page(request: Request, session: Signed, job_id: str) -> Response:
        job = job_or_refuse(job_id)
        snapshot = job.snapshot()
        if snapshot["state"] == "done" and snapshot["material_id"] and job.kind == "generate":
            return ws.redirect(request, f"{PREFIX}/materials/{snapshot['material_id']}")
        chrome = ws.chrome(request, session)
        return ws.page(request, chrome, pages.job_page(chrome, snapshot))

    @router.post("/jobs/{job_id}/cancel")
    def cancel_job(request: Request, session: Signed, job_id: str) -> Response:
        job = job_or_refuse(job_id)
        if job.owner != session.username and not session.is_admin:
            raise Refusal(403, "Only the person who started this draft (or an administrator) can stop it.")
        job.cancel.set()
        return ws.redirect(request, f"{PREFIX}/jobs/{job.id}", "Stopping after the current sentence…", "info")

    @router.get("/api/jobs/{job_id}")
    def job_status(session: Signed, job_id: str) -> JSONResponse:
        return JSONResponse(job_or_refuse(job_id).snapshot(), headers=security_headers())

    @router.get("/api/materials")
    def materials_json(session: Signed) -> JSONResponse:
        return JSONResponse(
            [_material_json(m) for m in ws.store.list_materials()], headers=security_headers()
        )

    @router.get("/api/materials/{material_id}")
    def material_json(session: Signed, material_id: int) -> JSONResponse:
        material = ws.material(material_id)
        checks, _ = ws.checks(material)
        record = _material_json(material)
        record["checks"] = [
            {"sentence": c.sentence, "cited": list(c.cited), "status": c.status, "reason": c.reason}
            for c in checks
        ]
        return JSONResponse(record, headers=security_headers())

    def material_view(
        request: Request,
        session: Session,
        material: Material,
        status: int = 200,
        **form: str,
    ) -> HTMLResponse:
        checks, passages = ws.checks(material)
        chrome = ws.chrome(request, session)
        content = pages.material_page(chrome, material, checks, passages, ws.publish_state(material), **form)
        return ws.page(request, chrome, content, status)

    @router.get("/materials/{material_id}", response_class=HTMLResponse)
    def material_page(request: Request, session: Signed, material_id: int) -> Response:
        return material_view(request, session, ws.material(material_id))

    @router.get("/materials/{material_id}/history", response_class=HTMLResponse)
    def history(request: Request, session: Signed, material_id: int) -> Response:
        material = ws.material(material_id)
        chrome = ws.chrome(request, session)
        content = pages.history_page(
            chrome, material, ws.store.history(material_id), ws.store.versions(material_id)
        )
        return ws.page(request, chrome, content)

    @router.post("/materials/{material_id}/edit")
    def edit(
        request: Request,
        session: Signed,
        material_id: int,
        body: Annotated[str, Form()] = "",
        change_note: Annotated[str, Form()] = "",
        version: Annotated[str, Form()] = "",
    ) -> Response:
        material = ws.material(material_id)
        text = _body(body)
        note = _one_line(change_note, 500)
        kept = {"edit_body": text, "edit_note": note}
        if version != str(material.version):
            message = (
                f"Version {material.version} was saved by {material.updated_by} while you were editing; your "
                "text is still in the form below. Compare it with the new version, then save again."
            )
            return material_view(request, session, material, 409, error=message, **kept)
        if len(text) > MAX_BODY_CHARS:
            return material_view(request, session, material, 400, error="The text is too long.", **kept)
        if text.strip() == material.body.strip():
            return material_view(
                request, session, material, 400, error="The text is unchanged; edit it first.", **kept
            )
        pool = [c for v in ws.store.versions(material_id) for c in v.citations]
        try:
            saved = ws.store.edit(
                material_id,
                text,
                session.username,
                note,
                citations=citations_for(text, pool),
                grade=reading_grade(text),
            )
        except ReviewError as exc:
            return material_view(request, session, material, 400, error=str(exc), **kept)
        return ws.redirect(request, f"{PREFIX}/materials/{material_id}", f"Saved version {saved.version}.")

    @router.post("/materials/{material_id}/decide")
    def decide(
        request: Request,
        session: Signed,
        material_id: int,
        decision: Annotated[str, Form()] = "",
        comment: Annotated[str, Form()] = "",
        version: Annotated[str, Form()] = "",
        acknowledge: Annotated[str, Form()] = "",
    ) -> Response:
        material = ws.material(material_id)
        note = comment.strip()[:MAX_TEXT_CHARS]
        if decision not in ("approve", "reject"):
            return material_view(
                request, session, material, 400, error="Choose approve or reject.", comment=note
            )
        if version != str(material.version):
            message = (
                f"Version {material.version} was saved by {material.updated_by} after you opened the page; "
                "review it, then decide again."
            )
            return material_view(request, session, material, 409, error=message, comment=note)
        if decision == "approve":
            checks, _ = ws.checks(material)
            warnings = sum(c.warning for c in checks)
            if warnings and acknowledge != "yes":
                message = (
                    f"{warnings} sentence(s) have warnings; check them and tick the box to confirm before "
                    "approving, or edit the text."
                )
                return material_view(request, session, material, 400, error=message, comment=note)
        was_published = approved_path(ws.settings, material_id).exists()
        try:
            decided = ws.store.decide(material_id, cast(DecisionKind, decision), session.username, note)
        except ReviewError as exc:
            return material_view(request, session, material, 400, error=str(exc), comment=note)
        if decision == "approve":
            ws.start_publish(decided, session.username)
            message = "Approved. It is being published to the knowledge base."
        elif was_published:
            ws.start_publish(decided, session.username, remove=True)
            message = "Rejected. It is being removed from the knowledge base."
        else:
            message = "Rejected; the comment is in the history."
        return ws.redirect(request, f"{PREFIX}/materials/{material_id}", message)

    @router.post("/materials/{material_id}/publish")
    def publish_again(request: Request, session: Signed, material_id: int) -> Response:
        material = ws.material(material_id)
        if material.status != "approved":
            raise Refusal(
                409, f"Material {material_id} is {material.status}; only approved material is published."
            )
        ws.start_publish(material, session.username)
        return ws.redirect(request, f"{PREFIX}/materials/{material_id}", "Publishing again.", "info")

    @router.get("/materials/{material_id}/export/{fmt}")
    def export(session: Signed, material_id: int, fmt: str) -> Response:
        if fmt not in _EXPORTS:
            raise Refusal(404, f"Unknown export format {fmt!r}; use md, html or pdf.")
        material = ws.material(material_id)
        clinic = clinic_name(ws.settings)
        try:
            content: str | bytes = (
                to_markdown(material, clinic)
                if fmt == "md"
                else to_html(material, clinic)
                if fmt == "html"
                else to_pdf(material, clinic)
            )
        except ReviewError as exc:
            raise Refusal(409, str(exc)) from None
        media_type, extension = _EXPORTS[fmt]
        name = f"{slug(material.topic)}-v{material.version}.{extension}"
        headers = security_headers() | {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(content, media_type=media_type, headers=headers)

    @router.get("/queue", response_class=HTMLResponse)
    def queue(request: Request, session: Signed, status: str = "open") -> Response:
        chosen = status if status in ("open", "done", "all") else "open"
        items = ws.store.queue(None if chosen == "all" else cast(Any, chosen))
        chrome = ws.chrome(request, session)
        return ws.page(request, chrome, pages.queue_page(chrome, items, chosen))

    @router.get("/queue/annotations.jsonl")
    def annotations(session: Signed) -> Response:
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ws.store.export_annotations())
        name = f"careguide-annotations-{datetime.now(UTC):%Y%m%d}.jsonl"
        headers = security_headers() | {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(lines, media_type="application/x-ndjson; charset=utf-8", headers=headers)

    def queue_item(item_id: int) -> Any:
        item = next((i for i in ws.store.queue(None) if i.id == item_id), None)
        if item is None:
            raise Refusal(404, f"There is no queue item {item_id}.")
        return item

    @router.get("/queue/{item_id}", response_class=HTMLResponse)
    def queue_item_page(request: Request, session: Signed, item_id: int) -> Response:
        chrome = ws.chrome(request, session)
        return ws.page(request, chrome, pages.queue_item_page(chrome, queue_item(item_id)))

    @router.post("/queue/{item_id}/annotate")
    def annotate(
        request: Request,
        session: Signed,
        item_id: int,
        annotation: Annotated[str, Form()] = "",
        label: Annotated[str, Form()] = "",
        expected_answer: Annotated[str, Form()] = "",
    ) -> Response:
        item = queue_item(item_id)
        values = {
            "annotation": annotation[:MAX_TEXT_CHARS],
            "label": label[:64],
            "expected_answer": expected_answer[:MAX_TEXT_CHARS],
        }
        error = "" if label in pages.QUEUE_LABELS else "Choose a verdict from the list."
        if not error:
            try:
                ws.store.annotate(
                    item_id, values["annotation"], label, session.username, values["expected_answer"]
                )
            except ReviewError as exc:
                error = str(exc)
        if error:
            chrome = ws.chrome(request, session)
            return ws.page(request, chrome, pages.queue_item_page(chrome, item, values, error), 400)
        return ws.redirect(request, f"{PREFIX}/queue", f"Annotated queue item {item_id}.")

    @router.get("/evaluation", response_class=HTMLResponse)
    def evaluation(request: Request, session: Signed) -> Response:
        require_admin(session, "see the evaluation reports")
        chrome = ws.chrome(request, session)
        folder = ws.settings.reports_dir
        return ws.page(request, chrome, evaluation_page(chrome, folder, run_names(folder)))

    @router.get("/evaluation/{name}/report.html")
    def evaluation_report(session: Signed, name: str) -> Response:
        require_admin(session, "see the evaluation reports")
        run = find_run(ws.settings.reports_dir, name)
        if run is None or not run.report_html.is_file():
            raise Refusal(404, f"There is no evaluation report {name!r}.")
        return HTMLResponse(run.report_html.read_text(encoding="utf-8"), headers=report_headers())

    @router.get("/users", response_class=HTMLResponse)
    def users(request: Request, session: Signed) -> Response:
        require_admin(session)
        chrome = ws.chrome(request, session)
        return ws.page(request, chrome, pages.users_page(chrome, ws.store.list_users()))

    @router.post("/users")
    def add_user(
        request: Request,
        session: Signed,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        role: Annotated[str, Form()] = "clinician",
    ) -> Response:
        require_admin(session)
        try:
            if role not in ("clinician", "admin"):
                raise ReviewError(f"Unknown role {role!r}; choose clinician or admin.")
            added = ws.store.add_user(username, password, cast(Role, role))
        except ReviewError as exc:
            chrome = ws.chrome(request, session)
            values = {"username": username[:64], "role": role}
            return ws.page(
                request, chrome, pages.users_page(chrome, ws.store.list_users(), values, str(exc)), 400
            )
        return ws.redirect(request, f"{PREFIX}/users", f"Added {added.role} {added.username}.")

    return router


def _material_json(material: Material) -> dict[str, Any]:
    return {
        "id": material.id,
        "topic": material.topic,
        "audience": material.audience,
        "reading_level": material.reading_level,
        "format": material.format,
        "status": material.status,
        "version": material.version,
        "grade": material.grade,
        "body": material.body,
        "citations": [c.to_json() for c in material.citations],
        "created_by": material.created_by,
        "updated_by": material.updated_by,
        "updated_at": material.updated_at.isoformat(),
    }
