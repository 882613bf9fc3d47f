"""The frame of the clinician workspace's pages: small server-rendered HTML from Jinja2 templates
(``templates/``, see ``templating``), no external fonts or scripts. The layout every page shares
(``layout.html``: header, navigation, one-time message), the helpers each area's pages use, and
the sign-in and error pages. Each area's own pages live beside its routes (``materials_pages``,
``queue``, ``users``, ``evaluation``).

Everything that comes from a user, a model, a document or the database is escaped (the templates
autoescape; HTML made in Python uses :func:`esc`). Pages work without JavaScript (forms post, job
pages refresh themselves); the one inline script (``poll.js``, allowed by the page's CSP nonce)
only polls a job's status so progress appears without reloading. Layout is one column that fits
a phone; every control has a visible label and a visible focus ring.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from careguide.ui.workspace.auth import Session
from careguide.ui.workspace.templating import render

PREFIX = "/workspace"


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class Chrome:
    """What every page shares: who is signed in, the CSP nonce, the one-time message."""

    session: Session | None
    nonce: str
    flash: tuple[str, str] | None = None


def page(
    template: str,
    chrome: Chrome,
    title: str,
    current: str = "",
    script: bool = False,
    refresh_s: int | None = None,
    **values: Any,
) -> str:
    """A full page from ``template`` (which extends ``layout.html``): header with navigation (when
    signed in), the one-time message, the body."""
    nav: list[tuple[str, str, str]] = []
    if chrome.session is not None:
        nav = [("materials", f"{PREFIX}", "Materials"), ("new", f"{PREFIX}/new", "New material"),
               ("queue", f"{PREFIX}/queue", "Review queue")]  # fmt: skip
        if chrome.session.is_admin:
            nav += [
                ("evaluation", f"{PREFIX}/evaluation", "Evaluation"),
                ("users", f"{PREFIX}/users", "Users"),
            ]
    return render(
        template,
        chrome=chrome,
        title=title,
        current=current,
        script=script,
        refresh_s=refresh_s,
        nav=nav,
        prefix=PREFIX,
        when=when,
        **values,
    )


def login_page(chrome: Chrome, token: str, next_path: str, username: str = "", error: str = "") -> str:
    return page(
        "login.html", chrome, "Sign in", token=token, next_path=next_path, username=username, error=error
    )


def error_page(chrome: Chrome, title: str, message: str) -> str:
    return page("error.html", chrome, title, message=message)


def login_url(next_path: str) -> str:
    return f"{PREFIX}/login?next={quote(next_path, safe='/')}"
