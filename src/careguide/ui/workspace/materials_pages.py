"""HTML of the workspace's materials: the dashboard, the new-material form, a draft's job page,
a material's page (preview, each sentence with its source, decision, edit) and its history.

Built on the frame in ``pages``; everything shown is escaped with :func:`esc`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from careguide.review import HistoryEntry, Material, MaterialCitation, Version
from careguide.ui.handouts import (
    AUDIENCES,
    FORMAT_LABELS,
    GRADE_TARGETS,
    LEVEL_LABELS,
    LEVELS,
    SentenceCheck,
)
from careguide.ui.web_security import link_html
from careguide.ui.workspace.pages import PREFIX, Chrome, csrf_field, esc, filters, layout, notice, when

STATUS_LABELS = {"draft": "Draft", "approved": "Approved", "rejected": "Rejected"}


def safe_link(url: str) -> str:
    """A link for web addresses; anything else (file:, javascript:) is never a link."""
    return link_html(url)


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
