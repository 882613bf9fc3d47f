"""HTML of the clinician workspace: small server-rendered pages, no external fonts or scripts.

Everything that comes from a user, a model, a document or the database is escaped here with
:func:`esc`. Pages work without JavaScript (forms post, job pages refresh themselves); the one
inline script (allowed by the page's CSP nonce) only polls a job's status so progress appears
without reloading. Layout is one column that fits a phone; every control has a visible label and
a visible focus ring.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlparse

from careguide.review import HistoryEntry, Material, MaterialCitation, QueueItem, User, Version
from careguide.ui.auth import Session
from careguide.ui.handouts import (
    AUDIENCES,
    FORMAT_LABELS,
    GRADE_TARGETS,
    LEVEL_LABELS,
    LEVELS,
    SentenceCheck,
)

PREFIX = "/workspace"
QUEUE_LABELS = ("correct", "incorrect", "unsupported", "unsafe", "incomplete", "off-topic")
STATUS_LABELS = {"draft": "Draft", "approved": "Approved", "rejected": "Rejected"}
KIND_LABELS = {"feedback": "Rated not helpful by a patient", "flagged": "Flagged by the guardrails"}


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


def safe_link(url: str) -> str:
    """A link for web addresses; anything else (file:, javascript:) is shown as text only."""
    if urlparse(url).scheme in ("http", "https"):
        return f'<a href="{esc(url)}" rel="noopener noreferrer">{esc(url)}</a>'
    return f"<span class='url'>{esc(url)}</span>" if url else "no link"


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


def status_badge(status: str) -> str:
    return f'<span class="badge {esc(status)}">{esc(STATUS_LABELS.get(status, status))}</span>'


def grade_text(grade: float | None, level: str) -> str:
    if grade is None:
        return "Reading grade: not known"
    target = GRADE_TARGETS.get(level)
    text = f"Reading grade (Flesch-Kincaid): {grade:.1f}"
    if target is not None:
        verdict = "within" if grade <= target else "above"
        text += f", {verdict} the target of {target:g} or lower for {level} reading"
    return text


def material_card(material: Material) -> str:
    return (
        f'<li><a href="{PREFIX}/materials/{material.id}"><strong>{esc(material.topic)}</strong></a> '
        f"{status_badge(material.status)}"
        f'<p class="meta">{esc(FORMAT_LABELS.get(material.format, material.format))} · for '
        f"{esc(material.audience)} · {esc(material.reading_level)} reading · version {material.version} · "
        f"{esc(grade_text(material.grade, material.reading_level))}</p>"
        f'<p class="meta">Last change by {esc(material.updated_by)}, '
        f"{esc(when(material.updated_at))}</p></li>"
    )


def filters(base: str, current: str, options: Sequence[tuple[str, str]], label: str) -> str:
    links = "".join(
        f'<li><a href="{base}?status={esc(value)}"{current_attr(value == current)}>{esc(text)}</a></li>'
        for value, text in options
    )
    return f'<ul class="filters" aria-label="{esc(label)}">{links}</ul>'


def dashboard(
    chrome: Chrome,
    materials: Sequence[Material],
    status: str,
    jobs: Sequence[dict[str, Any]],
    open_items: int,
) -> str:
    running = ""
    if jobs:
        items = "".join(
            f'<li><a href="{PREFIX}/jobs/{esc(j["id"])}">{esc(j["title"])}</a> ({esc(j["state"])})</li>'
            for j in jobs
        )
        running = f"<h2>Drafts being written</h2><ul>{items}</ul>"
    options = [("all", "All"), ("draft", "Drafts"), ("approved", "Approved"), ("rejected", "Rejected")]
    listing = (
        f'<ul class="cards">{"".join(material_card(m) for m in materials)}</ul>'
        if materials
        else "<p>No material here yet.</p>"
    )
    queue = (
        f'<p><a href="{PREFIX}/queue">{open_items} answer{"s" if open_items != 1 else ""} waiting for '
        "review</a> in the review queue.</p>"
    )
    body = (
        "<h1>Education material</h1>"
        f'<p><a class="button" href="{PREFIX}/new">Write new material</a></p>{queue}{running}'
        f"<h2>Materials</h2>{filters(PREFIX, status, options, 'Show materials')}{listing}"
    )
    return layout("Materials", body, chrome, current="materials")


def _radio(name: str, value: str, label: str, checked: bool, hint: str = "") -> str:
    ident = f"{name}-{value}"
    extra = f'<span class="hint">{esc(hint)}</span>' if hint else ""
    return (
        f'<label class="choice" for="{ident}"><input type="radio" id="{ident}" name="{name}" '
        f'value="{esc(value)}"{" checked" if checked else ""}><span>{esc(label)}{extra}</span></label>'
    )


def new_material_page(
    chrome: Chrome, values: Mapping[str, str], error: str = "", unavailable: str = ""
) -> str:
    assert chrome.session is not None
    problem = notice(error, "error") if error else ""
    if unavailable:
        problem += notice(unavailable, "warn")
    topic = values.get("topic", "")
    audience = values.get("audience", AUDIENCES[0])
    level = values.get("reading_level", LEVELS[0])
    fmt = values.get("format", "handout")
    audiences = "".join(
        f'<option value="{esc(a)}"{" selected" if a == audience else ""}>{esc(a.capitalize())}</option>'
        for a in AUDIENCES
    )
    levels = "".join(_radio("reading_level", lv, LEVEL_LABELS[lv], lv == level) for lv in LEVELS)
    formats = "".join(
        _radio(
            "format",
            key,
            label,
            key == fmt,
            "about, symptoms, causes, treatment" if key == "handout" else "four common questions",
        )
        for key, label in FORMAT_LABELS.items()
    )
    body = (
        "<h1>Write new material</h1>"
        "<p>A draft is written from the knowledge base: a few questions about the topic are answered, "
        "and only sentences checked against a cited source are kept. It takes a minute or more; you can "
        "leave the page and come back. Every draft must be reviewed and approved before patients see it.</p>"
        f"{problem}"
        f'<form method="post" action="{PREFIX}/generate">{csrf_field(chrome.session)}'
        '<label for="topic">Topic</label>'
        '<p class="hint" id="topic-hint">A condition or subject, for example: asthma, acromegaly.</p>'
        f'<input type="text" id="topic" name="topic" value="{esc(topic)}" maxlength="120" required '
        'aria-describedby="topic-hint">'
        f'<label for="audience">Audience</label><select id="audience" name="audience">{audiences}</select>'
        f"<fieldset><legend>Reading level</legend>{levels}</fieldset>"
        f"<fieldset><legend>Format</legend>{formats}</fieldset>"
        f'<p><button type="submit"{" disabled" if unavailable else ""}>Write the draft</button></p></form>'
    )
    return layout("New material", body, chrome, current="new")


def job_page(chrome: Chrome, job: Mapping[str, Any]) -> str:
    assert chrome.session is not None
    labels = {"waiting": "waiting", "running": "in progress", "done": "done", "skipped": "skipped"}
    steps = "".join(
        f'<li><span class="state">[{esc(labels.get(s["state"], s["state"]))}]</span> {esc(s["label"])}'
        f"{' (' + esc(s['note']) + ')' if s['note'] else ''}</li>"
        for s in job["steps"]
    )
    finished = job["state"] in ("done", "failed", "cancelled")
    state = job["message"] or {
        "queued": "Waiting for the model to be free.",
        "running": f"Working: {job['done_steps']} of {job['total_steps']} steps done.",
    }.get(job["state"], job["state"])
    cancel = (
        ""
        if finished
        else (
            f'<form method="post" action="{PREFIX}/jobs/{esc(job["id"])}/cancel" id="job-cancel">'
            f'{csrf_field(chrome.session)}<button type="submit" class="secondary">Stop</button></form>'
        )
    )
    after = ""
    if job["state"] in ("failed", "cancelled"):
        after = f'<p><a href="{PREFIX}/new">Try another topic</a></p>'
    elif job["state"] == "done" and job.get("material_id"):
        after = f'<p><a href="{PREFIX}/materials/{int(job["material_id"])}">Open the draft</a></p>'
    body = (
        f"<h1>{esc(job['title'])}</h1>"
        f'<div id="job" data-status-url="{PREFIX}/api/jobs/{esc(job["id"])}" data-go="material">'
        f'<p role="status" aria-live="polite" id="job-state">{esc(state)}</p>'
        f'<progress id="job-progress" max="{max(1, job["total_steps"])}" value="{job["done_steps"]}" '
        'aria-label="Questions answered"></progress>'
        f'<ol class="steps" id="job-steps">{steps}</ol>'
        "<h2>What the model is writing</h2>"
        '<p class="hint">The draft below is unchecked; only verified sentences are kept.</p>'
        f'<pre id="job-partial">{esc(job["partial"])}</pre></div>{cancel}{after}'
    )
    return layout(job["title"], body, chrome, script=not finished, refresh_s=None if finished else 5)


_MARKER_HTML = re.compile(r"\[(\d+)\]")


def linked_markers(rendered: str, known: set[int]) -> str:
    """Citation markers in rendered HTML become links to their source (outside tags only)."""
    parts = re.split(r"(<[^>]+>)", rendered)
    for i, part in enumerate(parts):
        if part.startswith("<"):
            continue
        parts[i] = _MARKER_HTML.sub(
            lambda m: (
                f'<a href="#source-{m.group(1)}" class="cite">[{m.group(1)}]</a>'
                if int(m.group(1)) in known
                else m.group(0)
            ),
            part,
        )
    return "".join(parts)


def markdown_html(body: str) -> str:
    from markdown_it import MarkdownIt

    # html=False: raw HTML in the body is shown escaped, never rendered.
    rendered: str = MarkdownIt("commonmark", {"html": False}).render(body)
    return rendered


def highlighted(text: str, quote: str) -> str:
    """Escaped passage with the supporting sentence marked (looked up before escaping)."""
    start = text.find(quote) if quote else -1
    if start < 0:
        return esc(text)
    end = start + len(quote)
    return f"{esc(text[:start])}<mark>{esc(quote)}</mark>{esc(text[end:])}"


def source_label(c: MaterialCitation) -> str:
    org = c.organisation or c.source
    return f"[{c.n}] {c.title or 'Source'}" + (f" — {org}" if org else "")


def sentence_item(check: SentenceCheck, by_n: Mapping[int, MaterialCitation]) -> str:
    if check.status == "supported":
        verdict = '<p class="check supported">Supported by its source.</p>'
    elif check.status == "advice":
        verdict = '<p class="check advice">Advice to ask the care team (no source needed).</p>'
    else:
        verdict = f'<p class="check warning">Warning: {esc(check.reason)}.</p>'
    evidence = []
    for n, quote_text in check.quotes:
        citation = by_n.get(n)
        if citation is None:
            continue
        evidence.append(
            f'<p class="meta"><a href="#source-{n}">{esc(source_label(citation))}</a> · '
            f"{safe_link(citation.url)}</p><blockquote><mark>{esc(quote_text)}</mark></blockquote>"
        )
    return f"<li><p>{esc(check.sentence)}</p>{verdict}{''.join(evidence)}</li>"


def sources_list(citations: Sequence[MaterialCitation], passages: Mapping[int, str]) -> str:
    if not citations:
        return "<p>No sources are cited.</p>"
    items = []
    for c in sorted(citations, key=lambda c: c.n):
        passage = passages.get(c.n, "")
        whole = (
            f"<details><summary>Whole passage</summary><blockquote>{highlighted(passage, c.quote)}"
            "</blockquote></details>"
            if passage
            else ""
        )
        items.append(
            f'<li id="source-{c.n}" value="{c.n}"><strong>{esc(c.title or "Source")}</strong>'
            f'<p class="meta">{esc(c.organisation or c.source)} · {safe_link(c.url)}</p>'
            f"<blockquote><mark>{esc(c.quote)}</mark></blockquote>{whole}</li>"
        )
    return f'<ol class="sources">{"".join(items)}</ol>'


@dataclass(frozen=True)
class PublishState:
    """What the material page says about the knowledge base."""

    text: str
    kind: str = "info"
    job_id: str = ""
    running: bool = False
    can_retry: bool = False


def material_page(
    chrome: Chrome,
    material: Material,
    checks: Sequence[SentenceCheck],
    passages: Mapping[int, str],
    published: PublishState | None,
    edit_body: str | None = None,
    edit_note: str = "",
    comment: str = "",
    error: str = "",
) -> str:
    session = chrome.session
    assert session is not None
    by_n = {c.n: c for c in material.citations}
    warnings = [c for c in checks if c.warning]
    problem = notice(error, "error") if error else ""
    summary = (
        notice(
            f"Sentences to check: {len(warnings)} (no source, or the source does not say it; see below).",
            "warn",
        )
        if warnings
        else notice("Every cited sentence matches its source.", "ok")
    )
    publish = ""
    if published is not None:
        retry = (
            f'<form method="post" action="{PREFIX}/materials/{material.id}/publish">{csrf_field(session)}'
            '<button type="submit" class="secondary">Publish again</button></form>'
            if published.can_retry
            else ""
        )
        poll = (
            f' id="job" data-status-url="{PREFIX}/api/jobs/{esc(published.job_id)}"'
            if published.running
            else ""
        )
        publish = (
            f'<section aria-labelledby="kb-title"><h2 id="kb-title">Knowledge base</h2><div{poll}>'
            f'<p role="status" aria-live="polite" id="job-state" class="notice {esc(published.kind)}">'
            f"{esc(published.text)}</p></div>{retry}</section>"
        )
    exports = ""
    if material.status == "approved":
        links = "".join(
            f'<a class="button secondary" href="{PREFIX}/materials/{material.id}/export/{fmt}" download>'
            f"Download {label}</a>"
            for fmt, label in (("md", "Markdown"), ("html", "HTML"), ("pdf", "PDF"))
        )
        exports = (
            '<section aria-labelledby="export-title"><h2 id="export-title">Export</h2>'
            f"<p>{links}</p></section>"
        )
    acknowledge = ""
    if warnings:
        acknowledge = (
            '<label class="choice" for="acknowledge"><input type="checkbox" id="acknowledge" '
            'name="acknowledge" value="yes"><span>I have checked the sentences with warnings '
            "(needed to approve)</span></label>"
        )
    approve_label = "Approve and publish" if material.status != "approved" else ""
    reject_label = "Withdraw approval" if material.status == "approved" else "Reject"
    decide_buttons = (
        f'<button type="submit" name="decision" value="approve">{approve_label}</button>'
        if approve_label
        else ""
    ) + (
        f'<button type="submit" name="decision" value="reject" class="danger">{reject_label}</button>'
        if material.status != "rejected"
        else ""
    )
    decide = ""
    if decide_buttons:
        decide = (
            '<section aria-labelledby="decide-title"><h2 id="decide-title">Decision</h2>'
            f'<form method="post" action="{PREFIX}/materials/{material.id}/decide">{csrf_field(session)}'
            f'<input type="hidden" name="version" value="{material.version}">'
            '<label for="comment">Comment</label>'
            '<p class="hint" id="comment-hint">Needed to reject: say what must change. Approval publishes '
            "the text to the knowledge base so patients' answers can cite it; rejecting removes it.</p>"
            f'<textarea id="comment" name="comment" aria-describedby="comment-hint">{esc(comment)}</textarea>'
            f"{acknowledge}<p>{decide_buttons}</p></form></section>"
        )
    body_text = material.body if edit_body is None else edit_body
    edit = (
        '<section aria-labelledby="edit-title"><h2 id="edit-title">Edit</h2>'
        f'<form method="post" action="{PREFIX}/materials/{material.id}/edit">{csrf_field(session)}'
        f'<input type="hidden" name="version" value="{material.version}">'
        '<label for="body">Text (Markdown)</label>'
        '<p class="hint" id="body-hint">Markdown: "## " starts a section. Keep the source numbers such as '
        "[1] after each sentence; a sentence without one is shown as a warning.</p>"
        f'<textarea class="body" id="body" name="body" aria-describedby="body-hint" required>'
        f"{esc(body_text)}</textarea>"
        '<label for="change_note">What changed and why</label>'
        f'<input type="text" id="change_note" name="change_note" value="{esc(edit_note)}" maxlength="500" '
        "required>"
        f'<p><button type="submit">Save as version {material.version + 1}</button></p></form></section>'
    )
    sentences = "".join(sentence_item(c, by_n) for c in checks)
    body = (
        f"<h1>{esc(material.topic)} {status_badge(material.status)}</h1>{problem}"
        f'<p class="meta">{esc(FORMAT_LABELS.get(material.format, material.format))} for '
        f"{esc(material.audience)} · {esc(material.reading_level)} reading · version {material.version} by "
        f"{esc(material.updated_by)}, {esc(when(material.updated_at))} · "
        f'<a href="{PREFIX}/materials/{material.id}/history">History</a></p>'
        f"<p><strong>{esc(grade_text(material.grade, material.reading_level))}</strong></p>"
        f"{summary}{publish}{exports}"
        '<section aria-labelledby="preview-title"><h2 id="preview-title">Preview</h2>'
        f'<div class="preview">{linked_markers(markdown_html(material.body), set(by_n))}</div></section>'
        '<section aria-labelledby="check-title"><h2 id="check-title">Each sentence and its source</h2>'
        f'<ol class="sentences">{sentences}</ol></section>'
        '<section aria-labelledby="sources-title"><h2 id="sources-title">Sources</h2>'
        f"{sources_list(material.citations, passages)}</section>"
        f"{decide}{edit}"
    )
    running = published is not None and published.running
    return layout(material.topic, body, chrome, script=running)


def diff_html(diff: str) -> str:
    lines = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            continue
        kind = "add" if line.startswith("+") else "del" if line.startswith("-") else ""
        kind = "hunk" if line.startswith("@@") else kind
        prefix = {"add": "Added: ", "del": "Removed: "}.get(kind, "")
        sr = f'<span class="visually-hidden">{prefix}</span>' if prefix else ""
        lines.append(f'<span class="{kind or "ctx"}">{sr}{esc(line) or " "}</span>')
    return f'<pre class="diff">{"".join(lines)}</pre>'


def history_page(
    chrome: Chrome, material: Material, entries: Sequence[HistoryEntry], versions: Sequence[Version]
) -> str:
    bodies = {v.version: v for v in versions}
    items = []
    for entry in entries:
        if entry.kind == "version":
            version = bodies.get(entry.version)
            text = (
                f"<details><summary>Text of version {entry.version}</summary><pre>{esc(version.body)}</pre>"
                "</details>"
                if version
                else ""
            )
            grade = f" · grade {version.grade:.1f}" if version and version.grade is not None else ""
            changes = (
                f"<details><summary>Changes from version {entry.version - 1}</summary>"
                f"{diff_html(entry.diff)}</details>"
                if entry.diff
                else ""
            )
            items.append(
                f"<li><strong>Version {entry.version}</strong> by {esc(entry.actor)}, {esc(when(entry.at))}"
                f'{esc(grade)}<p class="meta">{esc(entry.note)}</p>{changes}{text}</li>'
            )
        else:
            verb = "Approved" if entry.decision == "approve" else "Rejected"
            comment = f'<p class="meta">{esc(entry.note)}</p>' if entry.note else ""
            items.append(
                f"<li><strong>{verb}</strong> version {entry.version} by {esc(entry.actor)}, "
                f"{esc(when(entry.at))}{comment}</li>"
            )
    body = (
        f"<h1>History: {esc(material.topic)}</h1>"
        f'<p><a href="{PREFIX}/materials/{material.id}">Back to the material</a></p>'
        f'<ol class="cards">{"".join(items)}</ol>'
    )
    return layout(f"History: {material.topic}", body, chrome)


def short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def queue_page(chrome: Chrome, items: Sequence[QueueItem], status: str) -> str:
    options = [("open", "Open"), ("done", "Annotated"), ("all", "All")]
    cards = "".join(
        f'<li><a href="{PREFIX}/queue/{item.id}"><strong>{esc(short(item.question, 120))}</strong></a>'
        f'<p class="meta">{esc(KIND_LABELS.get(item.kind, item.kind))} · {esc(when(item.created_at))} · '
        f"{'annotated: ' + esc(item.label) if item.status == 'done' else 'open'}</p>"
        f'<p class="meta">Reason: {esc(short(item.reason))}</p></li>'
        for item in items
    )
    listing = f'<ul class="cards">{cards}</ul>' if items else "<p>Nothing here.</p>"
    body = (
        "<h1>Review queue</h1>"
        "<p>Answers patients rated not helpful and answers the guardrails flagged. Annotate them: the "
        "annotations become an evaluation set.</p>"
        f'<p><a class="button secondary" href="{PREFIX}/queue/annotations.jsonl" download>'
        "Download annotations (JSONL)</a></p>"
        f"{filters(PREFIX + '/queue', status, options, 'Show queue items')}{listing}"
    )
    return layout("Review queue", body, chrome, current="queue")


def queue_item_page(
    chrome: Chrome, item: QueueItem, values: Mapping[str, str] | None = None, error: str = ""
) -> str:
    assert chrome.session is not None
    values = values or {
        "annotation": item.annotation,
        "label": item.label,
        "expected_answer": item.expected_answer,
    }
    label = values.get("label", "")
    options = "".join(
        f'<option value="{esc(v)}"{" selected" if v == label else ""}>{esc(v)}</option>' for v in QUEUE_LABELS
    )
    if label and label not in QUEUE_LABELS:
        options += f'<option value="{esc(label)}" selected>{esc(label)}</option>'
    done = (
        f'<p class="notice ok">Annotated by {esc(item.annotated_by)}, {esc(when(item.annotated_at))}; '
        "saving again replaces it.</p>"
        if item.status == "done"
        else ""
    )
    body = (
        f"<h1>Queue item {item.id}</h1>{notice(error, 'error') if error else ''}{done}"
        f'<p class="meta">{esc(KIND_LABELS.get(item.kind, item.kind))} · {esc(when(item.created_at))}</p>'
        f"<h2>Question</h2><pre>{esc(item.question)}</pre>"
        f"<h2>Answer shown</h2><pre>{esc(item.answer)}</pre>"
        f"<h2>Reason</h2><p>{esc(item.reason)}</p>"
        "<h2>Annotation</h2>"
        f'<form method="post" action="{PREFIX}/queue/{item.id}/annotate">{csrf_field(chrome.session)}'
        f'<label for="label">Verdict</label><select id="label" name="label" required>'
        f'<option value="">Choose…</option>{options}</select>'
        '<label for="annotation">What is wrong or right with the answer</label>'
        f'<textarea id="annotation" name="annotation" required>{esc(values.get("annotation", ""))}</textarea>'
        '<label for="expected_answer">What a good answer would say (optional)</label>'
        '<textarea id="expected_answer" name="expected_answer">'
        f"{esc(values.get('expected_answer', ''))}</textarea>"
        '<p><button type="submit">Save annotation</button></p></form>'
        f'<p><a href="{PREFIX}/queue">Back to the queue</a></p>'
    )
    return layout(f"Queue item {item.id}", body, chrome, current="queue")


def users_page(
    chrome: Chrome, users: Sequence[User], values: Mapping[str, str] | None = None, error: str = ""
) -> str:
    assert chrome.session is not None
    values = values or {}
    rows = "".join(
        f"<tr><td>{esc(u.username)}</td><td>{esc(u.role)}</td><td>{esc(when(u.created_at))}</td></tr>"
        for u in users
    )
    role = values.get("role", "clinician")
    roles = "".join(
        f'<option value="{r}"{" selected" if r == role else ""}>{r}</option>' for r in ("clinician", "admin")
    )
    body = (
        f"<h1>Users</h1>{notice(error, 'error') if error else ''}"
        '<table><caption class="visually-hidden">Workspace users</caption>'
        '<thead><tr><th scope="col">Username</th><th scope="col">Role</th>'
        '<th scope="col">Added</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        "<h2>Add a user</h2>"
        f'<form method="post" action="{PREFIX}/users">{csrf_field(chrome.session)}'
        '<label for="new-username">Username</label>'
        f'<input type="text" id="new-username" name="username" value="{esc(values.get("username", ""))}" '
        'autocomplete="off" required>'
        '<label for="new-password">Password</label><p class="hint" id="pw-hint">At least 8 characters.</p>'
        '<input type="password" id="new-password" name="password" autocomplete="new-password" '
        'aria-describedby="pw-hint" required>'
        f'<label for="role">Role</label><select id="role" name="role">{roles}</select>'
        '<p><button type="submit">Add user</button></p></form>'
    )
    return layout("Users", body, chrome, current="users")


def error_page(chrome: Chrome, title: str, message: str) -> str:
    body = (
        f'<h1>{esc(title)}</h1>{notice(message, "error")}<p><a href="{PREFIX}">Back to the workspace</a></p>'
    )
    return layout(title, body, chrome)


def login_url(next_path: str) -> str:
    return f"{PREFIX}/login?next={quote(next_path, safe='/')}"
