"""What every page and response of the app shares for safety: the one function that decides
whether an address may become a link, the security headers (a Content-Security-Policy without
inline script, no framing, no MIME sniffing, a referrer policy), CORS (off unless configured) and
the refusal of Gradio's upload route, which the patient chat never uses.

Gradio writes its page with inline ``<script>`` blocks and we cannot change its template, so
:class:`SecurityHeaders` gives each HTML page a fresh nonce, stamps it on the page's own script
tags and allows only scripts with that nonce or from this site. Text a document or a patient
wrote is escaped before it reaches a page, so it can never carry the nonce. Pages that set their
own policy (the workspace) keep it.
"""

from __future__ import annotations

import html
import re
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WEB_SCHEMES = ("http", "https")
MAX_HTML_BYTES = 8 * 1024 * 1024
"""HTML pages larger than this are passed through unchanged (none of ours comes close)."""
_SCRIPT_TAG = re.compile(rb"<script(?=[\s>])", re.IGNORECASE)
UPLOAD_PATHS = ("/upload", "/gradio_api/upload", "/gradio_api/upload_progress", "/upload_progress")


def safe_url(url: str | None) -> str | None:
    """The address if a browser may follow it from our pages (http or https with a host), else
    None: ``javascript:``, ``data:``, ``file:`` and server paths never become links."""
    if not url:
        return None
    text = url.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.netloc:
        return None
    return text


def link_html(url: str | None, *, new_tab: bool = False, empty: str = "no link") -> str:
    """An escaped link to a web address; any other address is shown as plain text (a server file
    path is not shown at all: it names the server's folders and means nothing to a reader)."""
    safe = safe_url(url)
    if safe is not None:
        target = ' target="_blank"' if new_tab else ""
        escaped = html.escape(safe, quote=True)
        return f'<a href="{escaped}"{target} rel="noopener noreferrer">{escaped}</a>'
    if not url or url.strip().lower().startswith("file:"):
        return empty
    return f'<span class="url">{html.escape(url, quote=True)}</span>'


EVAL_PATHS = ("/",)
"""The Gradio chat: its HTML components build their markup with ``new Function`` (a template
literal over the component's value; the value itself is not evaluated), so they render nothing
without 'unsafe-eval'. Inline scripts and event handlers stay refused there too."""


def page_policy(nonce: str, allow_eval: bool = False) -> str:
    """The policy of the patient pages. Gradio sets styles inline on its elements, so styles may
    be inline; scripts may not."""
    evaluation = " 'unsafe-eval'" if allow_eval else ""
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'{evaluation}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; media-src 'self' blob:; "
        "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


STATIC_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


class SecurityHeaders:
    """ASGI middleware: the headers on every response, the nonce on HTML pages' own scripts, and
    Gradio's upload route refused (404)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        if path.rstrip("/") in UPLOAD_PATHS:
            await _refuse(send)
            return
        nonce = secrets.token_urlsafe(16)
        held: Message | None = None
        body = bytearray()
        rewriting = False

        async def sending(message: Message) -> None:
            nonlocal held, rewriting
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in STATIC_HEADERS.items():
                    headers.setdefault(name, value)
                if "content-security-policy" in headers:
                    await send(message)
                    return
                if headers.get("content-type", "").startswith("text/html"):
                    headers["content-security-policy"] = page_policy(nonce, path in EVAL_PATHS)
                    rewriting = True
                    held = message
                    return
                headers["content-security-policy"] = "default-src 'none'; frame-ancestors 'none'"
                await send(message)
                return
            if message["type"] == "http.response.body" and rewriting and held is not None:
                body.extend(message.get("body", b""))
                more = bool(message.get("more_body", False))
                if more and len(body) <= MAX_HTML_BYTES:
                    return
                if more:  # too large to hold: sent as it is, its scripts without the nonce (refused)
                    await send(held)
                    await send({"type": "http.response.body", "body": bytes(body), "more_body": True})
                    rewriting = False
                    return
                stamped = _SCRIPT_TAG.sub(f'<script nonce="{nonce}"'.encode(), bytes(body))
                headers = MutableHeaders(scope=held)
                if "content-length" in headers:
                    headers["content-length"] = str(len(stamped))
                await send(held)
                await send({"type": "http.response.body", "body": stamped, "more_body": False})
                rewriting = False
                return
            await send(message)

        await self.app(scope, receive, sending)


async def _refuse(send: Send) -> None:
    body = b'{"message":"File uploads are not accepted here."}'
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
                (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
