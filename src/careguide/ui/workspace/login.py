"""Signing in to the workspace and out of it: the public sign-in form (throttled, audited) and the
private sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from careguide.ui.workspace import pages
from careguide.ui.workspace.auth import client_address
from careguide.ui.workspace.base import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Signed,
    Workspace,
    Ws,
    private_router,
    safe_next,
)
from careguide.ui.workspace.pages import PREFIX

router = APIRouter(prefix=PREFIX, include_in_schema=False)
"""The sign-in form and its post: the only routes without a session."""
session_router = private_router()
"""Signing out."""


def login_form(
    request: Request, ws: Workspace, next_path: str, username: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    token, cookie = ws.sessions.login_token()
    chrome = ws.chrome(request, None)
    response = ws.page(request, chrome, pages.login_page(chrome, token, next_path, username, error), status)
    response.set_cookie(
        LOGIN_COOKIE, cookie, max_age=3600, path=f"{PREFIX}/login", httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )  # fmt: skip
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, ws: Ws, next: str = PREFIX) -> Response:
    if ws.sessions.read(request.cookies.get(SESSION_COOKIE)) is not None:
        return ws.redirect(request, safe_next(next))
    return login_form(request, ws, safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    ws: Ws,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = PREFIX,
) -> Response:
    target = safe_next(next)
    name = username.strip()[:64]
    if not ws.sessions.login_token_ok(request.cookies.get(LOGIN_COOKIE), token):
        return login_form(
            request, ws, target, name, "The sign-in form had expired; please sign in again.", 400
        )
    peer = request.client.host if request.client else None
    client = client_address(peer, request.headers, ws.settings.web.trusted_proxy_header)
    account, address = f"user:{name.lower()}@{client}", f"address:{client}"
    wait = max(ws.throttle.wait_s(account), ws.address_throttle.wait_s(address))
    if wait > 0:
        ws.audit_sign_in(name, client, "throttled")
        seconds = max(1, round(wait))
        message = f"Too many failed sign-ins; try again in {seconds} second{'s' if seconds != 1 else ''}."
        return login_form(request, ws, target, name, message, 429)
    user = ws.store.authenticate(name, password) if name and password else None
    if user is None:
        ws.throttle.failed(account)
        ws.address_throttle.failed(address)
        ws.audit_sign_in(name, client, "refused")
        return login_form(request, ws, target, name, "Wrong username or password.", 401)
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


@session_router.post("/logout")
def logout(request: Request, session: Signed, ws: Ws) -> Response:
    ws.sessions.revoke(session)
    response = ws.redirect(request, f"{PREFIX}/login", "You have signed out.", "info")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response
