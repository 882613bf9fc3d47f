"""HTML of the workspace's materials: the dashboard, the new-material form, a draft's job page,
a material's page (preview, each sentence with its source, decision, edit) and its history.

Each page is a template in ``templates/`` on the frame of ``layout.html``; everything shown is
escaped (the templates autoescape; the HTML made here, the preview and the diff, escapes with
:func:`esc` and reaches the templates as ``Markup``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from careguide.review import (
    AUDIENCES,
    GRADE_TARGETS,
    LEVELS,
    MAX_TOPIC_CHARS,
    HistoryEntry,
    Material,
    MaterialCitation,
    SentenceCheck,
    Version,
)
from careguide.ui.web_security import link_html
from careguide.ui.workspace.pages import Chrome, esc, page

STATUS_LABELS = {"draft": "Draft", "approved": "Approved", "rejected": "Rejected"}
LEVEL_LABELS = {"standard": "Standard (US grade 6 to 8)", "simpler": "Simpler (US grade 4 to 5)"}
FORMAT_LABELS = {"handout": "Handout", "faq": "Questions and answers (FAQ)"}


def safe_link(url: str) -> Markup:
    """A link for web addresses; anything else (file:, javascript:) is never a link."""
    return Markup(link_html(url))


def grade_text(grade: float | None, level: str) -> str:
    if grade is None:
        return "Reading grade: not known"
    target = GRADE_TARGETS.get(level)
    text = f"Reading grade (Flesch-Kincaid): {grade:.1f}"
    if target is not None:
        verdict = "within" if grade <= target else "above"
        text += f", {verdict} the target of {target:g} or lower for {level} reading"
    return text


_SHARED: dict[str, Any] = {
    "status_labels": STATUS_LABELS,
    "format_labels": FORMAT_LABELS,
    "grade_text": grade_text,
}


def dashboard(
    chrome: Chrome,
    materials: Sequence[Material],
    status: str,
    jobs: Sequence[dict[str, Any]],
    open_items: int,
) -> str:
    return page(
        "dashboard.html",
        chrome,
        "Materials",
        current="materials",
        materials=materials,
        status=status,
        jobs=jobs,
        open_items=open_items,
        **_SHARED,
    )


def new_material_page(
    chrome: Chrome, values: Mapping[str, str], error: str = "", unavailable: str = ""
) -> str:
    assert chrome.session is not None
    return page(
        "new_material.html",
        chrome,
        "New material",
        current="new",
        error=error,
        unavailable=unavailable,
        topic=values.get("topic", ""),
        audience=values.get("audience", AUDIENCES[0]),
        level=values.get("reading_level", LEVELS[0]),
        fmt=values.get("format", "handout"),
        audiences=AUDIENCES,
        levels=LEVELS,
        level_labels=LEVEL_LABELS,
        format_labels=FORMAT_LABELS,
        max_topic_chars=MAX_TOPIC_CHARS,
    )


STEP_LABELS = {"waiting": "waiting", "running": "in progress", "done": "done", "skipped": "skipped"}


def job_page(chrome: Chrome, job: Mapping[str, Any]) -> str:
    assert chrome.session is not None
    finished = job["state"] in ("done", "failed", "cancelled")
    state = job["message"] or {
        "queued": "Waiting for the model to be free.",
        "running": f"Working: {job['done_steps']} of {job['total_steps']} steps done.",
    }.get(job["state"], job["state"])
    return page(
        "job.html",
        chrome,
        job["title"],
        script=not finished,
        refresh_s=None if finished else 5,
        job=job,
        state=state,
        finished=finished,
        step_labels=STEP_LABELS,
    )


_MARKER_HTML = re.compile(r"\[(\d+)\]")


def linked_markers(rendered: str, known: set[int]) -> Markup:
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
    return Markup("".join(parts))


def markdown_html(body: str) -> str:
    from markdown_it import MarkdownIt

    # html=False: raw HTML in the body is shown escaped, never rendered.
    rendered: str = MarkdownIt("commonmark", {"html": False}).render(body)
    return rendered


def highlighted(text: str, quote: str) -> Markup:
    """Escaped passage with the supporting sentence marked (looked up before escaping)."""
    start = text.find(quote) if quote else -1
    if start < 0:
        return Markup(esc(text))
    end = start + len(quote)
    return Markup(f"{esc(text[:start])}<mark>{esc(quote)}</mark>{esc(text[end:])}")


def source_label(c: MaterialCitation) -> str:
    org = c.organisation or c.source
    return f"[{c.n}] {c.title or 'Source'}" + (f" — {org}" if org else "")


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
    assert chrome.session is not None
    by_n = {c.n: c for c in material.citations}
    running = published is not None and published.running
    return page(
        "material.html",
        chrome,
        material.topic,
        script=running,
        material=material,
        checks=checks,
        by_n=by_n,
        citations=sorted(material.citations, key=lambda c: c.n),
        passages=passages,
        published=published,
        warnings=sum(c.warning for c in checks),
        preview=linked_markers(markdown_html(material.body), set(by_n)),
        body_text=material.body if edit_body is None else edit_body,
        edit_note=edit_note,
        comment=comment,
        error=error,
        link=safe_link,
        source_label=source_label,
        highlighted=highlighted,
        **_SHARED,
    )


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """Each line of a unified diff with its kind (add, del, hunk, or "" for context); the file
    header lines are left out."""
    lines = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            continue
        kind = "add" if line.startswith("+") else "del" if line.startswith("-") else ""
        lines.append(("hunk" if line.startswith("@@") else kind, line))
    return lines


def history_page(
    chrome: Chrome, material: Material, entries: Sequence[HistoryEntry], versions: Sequence[Version]
) -> str:
    return page(
        "history.html",
        chrome,
        f"History: {material.topic}",
        material=material,
        entries=entries,
        bodies={v.version: v for v in versions},
        diff_lines=diff_lines,
    )
