"""The frame of the clinician workspace's pages: small server-rendered HTML, no external fonts or
scripts. The layout every page shares (header, navigation, one-time message), the helpers each
area's pages use, and the sign-in and error pages. Each area's own pages live beside its routes
(``materials_pages``, ``queue``, ``users``, ``evaluation``).

Everything that comes from a user, a model, a document or the database is escaped with
:func:`esc`. Pages work without JavaScript (forms post, job pages refresh themselves); the one
inline script (allowed by the page's CSP nonce) only polls a job's status so progress appears
without reloading. Layout is one column that fits a phone; every control has a visible label and
a visible focus ring.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from careguide.ui.workspace.auth import Session

PREFIX = "/workspace"


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


_CSS = """
:root { --fg: #1b1b1b; --muted: #555; --line: #c8c8c8; --accent: #0b57d0; --ok: #146c2e;
        --warn: #8a4b00; --bad: #a11; --bg-warn: #fff4d6; --bg-ok: #e7f5ea; --bg-bad: #fde8e8; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--fg);
       margin: 0; line-height: 1.5; font-size: 1rem; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f2b400; outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: .5rem; background: #fff;
        padding: .5rem; z-index: 10; }
header.top { background: #0b3a75; color: #fff; padding: .5rem 1rem; display: flex; flex-wrap: wrap;
       gap: .5rem 1.5rem; align-items: center; }
header.top a { color: #fff; } header.top .brand { font-weight: 700; text-decoration: none; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
.who { margin-left: auto; display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.who button { background: transparent; color: #fff; border: 1px solid #fff; }
main { max-width: 52rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; }
label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
.hint { color: var(--muted); font-size: .92rem; margin: .1rem 0 .3rem; font-weight: 400; }
input[type=text], input[type=password], select, textarea { width: 100%; font: inherit; padding: .55rem;
       border: 1px solid #767676; border-radius: .25rem; background: #fff; color: inherit; }
textarea { min-height: 8rem; } textarea.body { min-height: 22rem; font-family: ui-monospace, Menlo,
       Consolas, monospace; font-size: .95rem; }
fieldset { border: 1px solid var(--line); border-radius: .25rem; margin: .75rem 0;
       padding: .25rem .75rem .75rem; }
legend { font-weight: 600; padding: 0 .25rem; }
.choice { display: flex; gap: .5rem; align-items: flex-start; margin: .4rem 0; font-weight: 400; }
.choice input { margin-top: .35rem; width: 1.1rem; height: 1.1rem; }
button, .button { font: inherit; min-height: 2.75rem; padding: .5rem 1rem; border-radius: .25rem;
       border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer;
       display: inline-block; text-decoration: none; margin: .25rem .25rem .25rem 0; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
.notice { padding: .6rem .8rem; border-radius: .25rem; margin: .75rem 0; border-left: 5px solid; }
.notice.info { background: #e8f0fe; border-color: var(--accent); }
.notice.ok { background: var(--bg-ok); border-color: var(--ok); }
.notice.warn { background: var(--bg-warn); border-color: var(--warn); }
.notice.error { background: var(--bg-bad); border-color: var(--bad); }
.cards { list-style: none; padding: 0; margin: 0; }
.cards > li { border: 1px solid var(--line); border-radius: .35rem; padding: .6rem .8rem; margin: .5rem 0;
       overflow-wrap: anywhere; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
.facts dt { font-weight: 600; } .facts dd { margin: 0; overflow-wrap: anywhere; }
tr.regression td { background: var(--bg-bad); }
.meta { color: var(--muted); font-size: .92rem; margin: .2rem 0; }
.badge { display: inline-block; border-radius: 1rem; padding: 0 .6rem; font-size: .85rem; font-weight: 600;
       border: 1px solid currentColor; }
.badge.draft { color: var(--warn); } .badge.approved { color: var(--ok); }
.badge.rejected { color: var(--bad); }
.preview { border: 1px solid var(--line); border-radius: .35rem; padding: 0 1rem; overflow-wrap: anywhere; }
.sentences { padding-left: 1.25rem; } .sentences > li { margin: .6rem 0; overflow-wrap: anywhere; }
.check { font-size: .92rem; font-weight: 600; }
.check.supported { color: var(--ok); } .check.warning { color: var(--bad); }
.check.advice { color: var(--muted); }
blockquote { margin: .3rem 0 .3rem .5rem; padding: .2rem .75rem; border-left: 4px solid var(--line);
       color: #333; overflow-wrap: anywhere; }
mark { background: #ffe58a; color: inherit; }
.sources li { margin: .5rem 0; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: .5rem;
       border-radius: .25rem; }
.diff .add { background: #e6ffec; display: block; } .diff .del { background: #ffebe9; display: block; }
.diff .hunk { color: var(--muted); display: block; } .diff .ctx { display: block; }
.steps { padding-left: 1.25rem; } .steps li { margin: .3rem 0; }
.state { font-weight: 600; }
.filters { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; padding: 0; }
.filters a[aria-current="page"] { font-weight: 700; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem; border-bottom: 1px solid var(--line); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
       white-space: nowrap; }
@media (max-width: 34rem) { main { padding: .75rem; } h1 { font-size: 1.35rem; } .who { margin-left: 0; } }
"""

_POLL_SCRIPT = """
(function () {
  var box = document.getElementById("job");
  if (!box) { return; }
  var statusUrl = box.getAttribute("data-status-url");
  var goToMaterial = box.getAttribute("data-go") === "material";
  var labels = {waiting: "waiting", running: "in progress", done: "done", skipped: "skipped"};
  function text(id, value) { var el = document.getElementById(id); if (el) { el.textContent = value; } }
  function render(job) {
    var list = document.getElementById("job-steps");
    if (list) {
      list.textContent = "";
      job.steps.forEach(function (step) {
        var li = document.createElement("li");
        var strong = document.createElement("span");
        strong.className = "state";
        strong.textContent = "[" + (labels[step.state] || step.state) + "] ";
        li.appendChild(strong);
        li.appendChild(document.createTextNode(step.label + (step.note ? " (" + step.note + ")" : "")));
        list.appendChild(li);
      });
    }
    text("job-state", job.message || ({queued: "Waiting for the model to be free.",
      running: "Working: " + job.done_steps + " of " + job.total_steps + " steps done.",
      done: "Done.", failed: "Failed.", cancelled: "Stopped."})[job.state] || job.state);
    text("job-partial", job.partial || "");
    var bar = document.getElementById("job-progress");
    if (bar) { bar.value = job.done_steps; bar.max = job.total_steps || 1; }
  }
  function poll() {
    fetch(statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (job) {
        render(job);
        if (job.state === "done" && goToMaterial && job.material_id) {
          window.location.assign("%s/materials/" + job.material_id);
          return;
        }
        if (["done", "failed", "cancelled"].indexOf(job.state) < 0) { window.setTimeout(poll, 1500); }
        else { var stop = document.getElementById("job-cancel"); if (stop) { stop.hidden = true; } }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
""".replace("%s", PREFIX)


@dataclass(frozen=True)
class Chrome:
    """What every page shares: who is signed in, the CSP nonce, the one-time message."""

    session: Session | None
    nonce: str
    flash: tuple[str, str] | None = None


def current_attr(current: bool) -> str:
    return ' aria-current="page"' if current else ""


def notice(message: str, kind: str = "info") -> str:
    role = "alert" if kind in ("error", "warn") else "status"
    return f'<div class="notice {esc(kind)}" role="{role}"><p>{esc(message)}</p></div>'


def csrf_field(session: Session) -> str:
    return f'<input type="hidden" name="csrf" value="{esc(session.csrf)}">'


def layout(
    title: str,
    body: str,
    chrome: Chrome,
    current: str = "",
    script: bool = False,
    refresh_s: int | None = None,
) -> str:
    """A full page: header with navigation (when signed in), the one-time message, the body."""
    session = chrome.session
    nav = ""
    if session is not None:
        items = [("materials", f"{PREFIX}", "Materials"), ("new", f"{PREFIX}/new", "New material"),
                 ("queue", f"{PREFIX}/queue", "Review queue")]  # fmt: skip
        if session.is_admin:
            items += [
                ("evaluation", f"{PREFIX}/evaluation", "Evaluation"),
                ("users", f"{PREFIX}/users", "Users"),
            ]
        links = "".join(
            f'<li><a href="{href}"{current_attr(key == current)}>{label}</a></li>'
            for key, href, label in items
        )
        nav = (
            f'<nav aria-label="Workspace"><ul>{links}</ul></nav>'
            f'<form class="who" method="post" action="{PREFIX}/logout">'
            f"<span>{esc(session.username)} ({esc(session.role)})</span>{csrf_field(session)}"
            '<button type="submit">Sign out</button></form>'
        )
    flash = notice(*chrome.flash) if chrome.flash else ""
    refresh = f'<noscript><meta http-equiv="refresh" content="{refresh_s}"></noscript>' if refresh_s else ""
    js = f'<script nonce="{esc(chrome.nonce)}">{_POLL_SCRIPT}</script>' if script else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="referrer" content="same-origin">{refresh}'
        f"<title>{esc(title)} · careguide workspace</title>"
        f'<style nonce="{esc(chrome.nonce)}">{_CSS}</style></head><body>'
        '<a class="skip" href="#main">Skip to content</a>'
        f'<header class="top"><a class="brand" href="{PREFIX}">careguide workspace</a>{nav}</header>'
        f'<main id="main" tabindex="-1">{flash}{body}</main>{js}</body></html>'
    )


def login_page(chrome: Chrome, token: str, next_path: str, username: str = "", error: str = "") -> str:
    problem = notice(error, "error") if error else ""
    body = (
        "<h1>Sign in</h1>"
        "<p>The workspace is for clinicians who write and review patient-education material.</p>"
        f"{problem}"
        f'<form method="post" action="{PREFIX}/login">'
        f'<input type="hidden" name="token" value="{esc(token)}">'
        f'<input type="hidden" name="next" value="{esc(next_path)}">'
        '<label for="username">Username</label>'
        f'<input type="text" id="username" name="username" value="{esc(username)}" '
        'autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>'
        '<label for="password">Password</label>'
        '<input type="password" id="password" name="password" autocomplete="current-password" required>'
        '<p><button type="submit">Sign in</button></p></form>'
        '<p class="hint">Accounts are made by an administrator (<code>careguide users add NAME</code>).</p>'
    )
    return layout("Sign in", body, chrome)


def filters(base: str, current: str, options: Sequence[tuple[str, str]], label: str) -> str:
    links = "".join(
        f'<li><a href="{base}?status={esc(value)}"{current_attr(value == current)}>{esc(text)}</a></li>'
        for value, text in options
    )
    return f'<ul class="filters" aria-label="{esc(label)}">{links}</ul>'


def error_page(chrome: Chrome, title: str, message: str) -> str:
    body = (
        f'<h1>{esc(title)}</h1>{notice(message, "error")}<p><a href="{PREFIX}">Back to the workspace</a></p>'
    )
    return layout(title, body, chrome)


def login_url(next_path: str) -> str:
    return f"{PREFIX}/login?next={quote(next_path, safe='/')}"
