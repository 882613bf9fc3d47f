"""What every part of the workspace shares: its state (:class:`Workspace`), :class:`Refusal`, the
session and CSRF check that guards every private route (:func:`private_router`, :data:`Signed`,
:func:`require_admin`), the security headers, and the cookie names and limits.

The area modules (``login``, ``materials``, ``material_jobs``, ``queue``, ``users``,
``evaluation``) each hold one router built on this; ``add_workspace`` wires them together. Route
handlers reach the workspace through the :data:`Ws` dependency (the app's ``state.workspace``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from careguide.config import Settings
from careguide.guardrails import AuditLog
from careguide.ingest import KnowledgeBase
from careguide.review import AnswerSource, OutputCheck, ReviewStore
from careguide.ui.workspace.auth import Session, Sessions, Throttle, tokens_match
from careguide.ui.workspace.jobs import Jobs
from careguide.ui.workspace.pages import PREFIX, Chrome, login_url

log = logging.getLogger("careguide.ui.workspace")

API = f"{PREFIX}/api"
SESSION_COOKIE = "careguide_workspace"
LOGIN_COOKIE = "careguide_workspace_login"
FLASH_COOKIE = "careguide_workspace_flash"
MAX_BODY_CHARS = 100_000
MAX_TEXT_CHARS = 10_000


class Refusal(Exception):
    """A request the workspace turns down: a redirect to sign in, or a status with one sentence."""

    def __init__(self, status: int, message: str, location: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.location = location


PassageLookup = Callable[[Sequence[str]], Mapping[str, str]]


@dataclass
class Workspace:
    """The workspace's components; ``workspace.add_workspace`` returns it (tests wait on its jobs)."""

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
    audit: Callable[[], AuditLog | None] | None = None
    """Where sign-in attempts are recorded (never a password)."""
    knowledge: Callable[[], KnowledgeBase | None] | None = None
    """The knowledge base material is published into (None: the configured collection's)."""
    routers: list[APIRouter] = field(default_factory=list)

    def close(self) -> None:
        self.jobs.close()

    def audit_sign_in(self, username: str, address: str, outcome: str) -> None:
        audit = self.audit() if self.audit is not None else None
        if audit is not None:
            try:
                audit.record_sign_in(username, address, outcome)
            except OSError:  # an unwritable log must not stop sign-in; it is logged instead
                log.exception("The audit log could not be written")

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


def workspace_of(request: Request) -> Workspace:
    """The workspace of the app serving the request (``add_workspace`` puts it on the app's state)."""
    workspace: Workspace = request.app.state.workspace
    return workspace


Ws = Annotated[Workspace, Depends(workspace_of)]


async def require_session(request: Request) -> Session:
    """Every private route: a valid session, and on POST the session's CSRF token."""
    ws = workspace_of(request)
    session = ws.sessions.read(request.cookies.get(SESSION_COOKIE))
    if session is None:
        if request.url.path.startswith(API):
            raise Refusal(401, "Sign in to the workspace first.")
        target = PREFIX
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise Refusal(303, "Sign in first.", login_url(safe_next(target)))
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


def private_router() -> APIRouter:
    """A router under ``/workspace`` whose every route needs a session (and on POST its CSRF token)."""
    return APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[Depends(require_session)])


def _signed_in(request: Request) -> Session:
    """The session the router's own dependency checked (it runs before any route parameter)."""
    session = getattr(request.state, "workspace_session", None)
    if not isinstance(session, Session):
        raise Refusal(401, "Sign in to the workspace first.")
    return session


Signed = Annotated[Session, Depends(_signed_in)]


def require_admin(session: Session, what: str = "manage users") -> None:
    if not session.is_admin:
        raise Refusal(403, f"Only an administrator can {what}.")
