"""The workspace's Users tab (administrators): the accounts, a form to add one, and per account
clearing its sign-in lock and ending its sessions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, cast

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from careguide.review import ReviewError, Role, User
from careguide.ui.workspace.base import Refusal, Signed, Ws, private_router, require_admin
from careguide.ui.workspace.pages import PREFIX, Chrome, page

# Pages


def users_page(
    chrome: Chrome, users: Sequence[User], values: Mapping[str, str] | None = None, error: str = ""
) -> str:
    assert chrome.session is not None
    values = values or {}
    return page(
        "users.html",
        chrome,
        "Users",
        current="users",
        users=users,
        values=values,
        role=values.get("role", "clinician"),
        error=error,
    )


# Routes


router = private_router()
"""Users (administrators): the accounts, adding one, clearing a lock, ending sessions."""


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, session: Signed, ws: Ws) -> Response:
    require_admin(session)
    chrome = ws.chrome(request, session)
    return ws.page(request, chrome, users_page(chrome, ws.store.list_users()))


@router.post("/users")
def add_user(
    request: Request,
    session: Signed,
    ws: Ws,
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
        return ws.page(request, chrome, users_page(chrome, ws.store.list_users(), values, str(exc)), 400)
    return ws.redirect(request, f"{PREFIX}/users", f"Added {added.role} {added.username}.")


@router.post("/users/{username}/unlock")
def unlock(request: Request, session: Signed, ws: Ws, username: str) -> Response:
    """Clear the failed sign-ins of an account (from every address), in this process."""
    require_admin(session)
    cleared = ws.throttle.clear(f"user:{username.strip().lower()}@")
    message = f"Cleared the sign-in lock of {username}." if cleared else f"{username} was not locked."
    return ws.redirect(request, f"{PREFIX}/users", message)


@router.post("/users/{username}/sign-out")
def sign_out_everywhere(request: Request, session: Signed, ws: Ws, username: str) -> Response:
    require_admin(session)
    try:
        ended = ws.store.revoke_sessions(username)
    except ReviewError as exc:
        raise Refusal(404, str(exc)) from None
    return ws.redirect(request, f"{PREFIX}/users", f"Ended {ended} session(s) of {username}.")
