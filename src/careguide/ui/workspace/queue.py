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
from careguide.ui.workspace.pages import PREFIX, Chrome, page

# Pages

QUEUE_LABELS = ("correct", "incorrect", "unsupported", "unsafe", "incomplete", "off-topic")
KIND_LABELS = {"feedback": "Rated not helpful by a patient", "flagged": "Flagged by the guardrails"}


def short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def queue_page(chrome: Chrome, items: Sequence[QueueItem], status: str) -> str:
    return page(
        "queue.html",
        chrome,
        "Review queue",
        current="queue",
        items=items,
        status=status,
        short=short,
        kind_labels=KIND_LABELS,
    )


def item_page(
    chrome: Chrome, item: QueueItem, values: Mapping[str, str] | None = None, error: str = ""
) -> str:
    assert chrome.session is not None
    values = values or {
        "annotation": item.annotation,
        "label": item.label,
        "expected_answer": item.expected_answer,
    }
    return page(
        "queue_item.html",
        chrome,
        f"Queue item {item.id}",
        current="queue",
        item=item,
        values=values,
        label=values.get("label", ""),
        labels=QUEUE_LABELS,
        kind_labels=KIND_LABELS,
        error=error,
    )


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
