"""The workspace's review queue: answers patients rated not helpful and answers the guardrails
flagged, each annotated by a clinician (a verdict, what is wrong, what a good answer would say);
the annotations download as JSONL, an evaluation set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, cast

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from careguide.review import QueueItem, ReviewError
from careguide.ui.workspace.base import (
    MAX_TEXT_CHARS,
    Refusal,
    Signed,
    Workspace,
    Ws,
    private_router,
    security_headers,
)
from careguide.ui.workspace.pages import PREFIX, Chrome, csrf_field, esc, filters, layout, notice, when

# Pages

QUEUE_LABELS = ("correct", "incorrect", "unsupported", "unsafe", "incomplete", "off-topic")
KIND_LABELS = {"feedback": "Rated not helpful by a patient", "flagged": "Flagged by the guardrails"}


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


def item_page(
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


# Routes


router = private_router()
"""The review queue: the list, one item, annotating it, the annotations as JSONL."""


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, session: Signed, ws: Ws, status: str = "open") -> Response:
    chosen = status if status in ("open", "done", "all") else "open"
    items = ws.store.queue(None if chosen == "all" else cast(Any, chosen))
    chrome = ws.chrome(request, session)
    return ws.page(request, chrome, queue_page(chrome, items, chosen))


@router.get("/queue/annotations.jsonl")
def annotations_jsonl(session: Signed, ws: Ws) -> Response:
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ws.store.export_annotations())
    name = f"careguide-annotations-{datetime.now(UTC):%Y%m%d}.jsonl"
    headers = security_headers() | {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(lines, media_type="application/x-ndjson; charset=utf-8", headers=headers)


def queue_item(ws: Workspace, item_id: int) -> Any:
    item = next((i for i in ws.store.queue(None) if i.id == item_id), None)
    if item is None:
        raise Refusal(404, f"There is no queue item {item_id}.")
    return item


@router.get("/queue/{item_id}", response_class=HTMLResponse)
def queue_item_page(request: Request, session: Signed, ws: Ws, item_id: int) -> Response:
    chrome = ws.chrome(request, session)
    return ws.page(request, chrome, item_page(chrome, queue_item(ws, item_id)))


@router.post("/queue/{item_id}/annotate")
def annotate(
    request: Request,
    session: Signed,
    ws: Ws,
    item_id: int,
    annotation: Annotated[str, Form()] = "",
    label: Annotated[str, Form()] = "",
    expected_answer: Annotated[str, Form()] = "",
) -> Response:
    item = queue_item(ws, item_id)
    values = {
        "annotation": annotation[:MAX_TEXT_CHARS],
        "label": label[:64],
        "expected_answer": expected_answer[:MAX_TEXT_CHARS],
    }
    error = "" if label in QUEUE_LABELS else "Choose a verdict from the list."
    if not error:
        try:
            ws.store.annotate(
                item_id, values["annotation"], label, session.username, values["expected_answer"]
            )
        except ReviewError as exc:
            error = str(exc)
    if error:
        chrome = ws.chrome(request, session)
        return ws.page(request, chrome, item_page(chrome, item, values, error), 400)
    return ws.redirect(request, f"{PREFIX}/queue", f"Annotated queue item {item_id}.")
