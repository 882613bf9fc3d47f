"""The workspace's materials: the dashboard, drafting new material from the knowledge base (a
background job whose progress pages poll, see ``material_jobs``), each material's page, history,
edit and decision, exports, publishing into the knowledge base, and the JSON API under
``/workspace/api/materials``: one router, one handler per route.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, cast

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from careguide.review import (
    AUDIENCES,
    FORMATS,
    LEVELS,
    DecisionKind,
    Material,
    MaterialCitation,
    ReviewError,
    SentenceCheck,
    approved_path,
    check_body,
    citations_for,
    clean_topic,
    clinic_name,
    reading_grade,
    to_html,
    to_markdown,
    to_pdf,
)
from careguide.ui.workspace import materials_pages as pages
from careguide.ui.workspace.auth import Session
from careguide.ui.workspace.base import (
    MAX_BODY_CHARS,
    MAX_TEXT_CHARS,
    Refusal,
    Signed,
    Workspace,
    Ws,
    private_router,
    security_headers,
)
from careguide.ui.workspace.material_jobs import publish_state, start_draft, start_publish
from careguide.ui.workspace.pages import PREFIX

_EXPORTS = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
}


def find_material(ws: Workspace, material_id: int) -> Material:
    try:
        return ws.store.get(material_id)
    except ReviewError as exc:
        raise Refusal(404, str(exc)) from None


def passage_texts(ws: Workspace, citations: Sequence[MaterialCitation]) -> dict[int, str]:
    if ws.passages is None:
        return {}
    texts = ws.passages([c.chunk_id for c in citations])
    return {c.n: texts[c.chunk_id] for c in citations if texts.get(c.chunk_id)}


def check_material(ws: Workspace, material: Material) -> tuple[list[SentenceCheck], dict[int, str]]:
    passages = passage_texts(ws, material.citations)
    return check_body(material.body, material.citations, passages), passages


router = private_router()
"""Materials: the dashboard, drafting, each material's page, history, edit, decision, publishing,
exports and the materials' JSON API."""


def unavailable(ws: Workspace) -> str:
    if ws.assistant_factory is None:
        return "Drafting needs the language model, which this server was started without."
    return ""


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, session: Signed, ws: Ws, status: str = "all") -> Response:
    chosen = status if status in ("draft", "approved", "rejected") else "all"
    materials = ws.store.list_materials(None if chosen == "all" else cast(Any, chosen))
    materials.sort(key=lambda m: m.updated_at, reverse=True)
    jobs = [j.snapshot() for j in ws.jobs.active() if j.kind == "generate"]
    chrome = ws.chrome(request, session)
    open_items = len(ws.store.queue("open"))
    return ws.page(request, chrome, pages.dashboard(chrome, materials, chosen, jobs, open_items))


@router.get("/new", response_class=HTMLResponse)
def new_material(request: Request, session: Signed, ws: Ws) -> Response:
    chrome = ws.chrome(request, session)
    return ws.page(request, chrome, pages.new_material_page(chrome, {}, unavailable=unavailable(ws)))


@router.post("/generate")
def start_generation(
    request: Request,
    session: Signed,
    ws: Ws,
    topic: Annotated[str, Form()] = "",
    audience: Annotated[str, Form()] = AUDIENCES[0],
    reading_level: Annotated[str, Form()] = LEVELS[0],
    format: Annotated[str, Form()] = "handout",
) -> Response:
    values = {"topic": topic[:200], "audience": audience, "reading_level": reading_level, "format": format}
    chrome = ws.chrome(request, session)
    if unavailable(ws):
        content = pages.new_material_page(chrome, values, unavailable=unavailable(ws))
        return ws.page(request, chrome, content, 503)
    try:
        clean = clean_topic(topic)
        if audience not in AUDIENCES:
            raise ValueError(f"Unknown audience {audience!r}; choose one from the list.")
        if reading_level not in LEVELS:
            raise ValueError(f"Unknown reading level {reading_level!r}; choose standard or simpler.")
        if format not in FORMATS:
            raise ValueError(f"Unknown format {format!r}; choose handout or FAQ.")
    except ValueError as exc:
        return ws.page(request, chrome, pages.new_material_page(chrome, values, str(exc)), 400)
    job = start_draft(ws, session.username, clean, audience, reading_level, format)
    return ws.redirect(request, f"{PREFIX}/jobs/{job.id}")


@router.get("/api/materials")
def materials_json(session: Signed, ws: Ws) -> JSONResponse:
    return JSONResponse([_material_json(m) for m in ws.store.list_materials()], headers=security_headers())


@router.get("/api/materials/{material_id}")
def material_json(session: Signed, ws: Ws, material_id: int) -> JSONResponse:
    material = find_material(ws, material_id)
    checks, _ = check_material(ws, material)
    record = _material_json(material)
    record["checks"] = [
        {"sentence": c.sentence, "cited": list(c.cited), "status": c.status, "reason": c.reason}
        for c in checks
    ]
    return JSONResponse(record, headers=security_headers())


def material_view(
    request: Request,
    ws: Workspace,
    session: Session,
    material: Material,
    status: int = 200,
    **form: str,
) -> HTMLResponse:
    checks, passages = check_material(ws, material)
    chrome = ws.chrome(request, session)
    content = pages.material_page(chrome, material, checks, passages, publish_state(ws, material), **form)
    return ws.page(request, chrome, content, status)


@router.get("/materials/{material_id}", response_class=HTMLResponse)
def material_page(request: Request, session: Signed, ws: Ws, material_id: int) -> Response:
    return material_view(request, ws, session, find_material(ws, material_id))


@router.get("/materials/{material_id}/history", response_class=HTMLResponse)
def history(request: Request, session: Signed, ws: Ws, material_id: int) -> Response:
    material = find_material(ws, material_id)
    chrome = ws.chrome(request, session)
    content = pages.history_page(
        chrome, material, ws.store.history(material_id), ws.store.versions(material_id)
    )
    return ws.page(request, chrome, content)


@router.post("/materials/{material_id}/edit")
def edit(
    request: Request,
    session: Signed,
    ws: Ws,
    material_id: int,
    body: Annotated[str, Form()] = "",
    change_note: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> Response:
    material = find_material(ws, material_id)
    text = _body(body)
    note = _one_line(change_note, 500)
    kept = {"edit_body": text, "edit_note": note}

    def refused(status: int, error: str) -> HTMLResponse:
        return material_view(request, ws, session, material, status, error=error, **kept)

    if version != str(material.version):
        return refused(
            409,
            f"Version {material.version} was saved by {material.updated_by} while you were editing; your "
            "text is still in the form below. Compare it with the new version, then save again.",
        )
    if len(text) > MAX_BODY_CHARS:
        return refused(400, "The text is too long.")
    if text.strip() == material.body.strip():
        return refused(400, "The text is unchanged; edit it first.")
    pool = [c for v in ws.store.versions(material_id) for c in v.citations]
    try:
        saved = ws.store.edit(
            material_id,
            text,
            session.username,
            note,
            citations=citations_for(text, pool),
            grade=reading_grade(text),
        )
    except ReviewError as exc:
        return refused(400, str(exc))
    return ws.redirect(request, f"{PREFIX}/materials/{material_id}", f"Saved version {saved.version}.")


@router.post("/materials/{material_id}/decide")
def decide(
    request: Request,
    session: Signed,
    ws: Ws,
    material_id: int,
    decision: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    acknowledge: Annotated[str, Form()] = "",
) -> Response:
    material = find_material(ws, material_id)
    note = comment.strip()[:MAX_TEXT_CHARS]

    def refused(status: int, error: str) -> HTMLResponse:
        return material_view(request, ws, session, material, status, error=error, comment=note)

    if decision not in ("approve", "reject"):
        return refused(400, "Choose approve or reject.")
    if version != str(material.version):
        return refused(
            409,
            f"Version {material.version} was saved by {material.updated_by} after you opened the page; "
            "review it, then decide again.",
        )
    if decision == "approve" and ws.settings.review.second_approval:
        writers = {material.created_by, material.updated_by}
        if session.username in writers:
            return refused(
                403,
                "Material for patients needs a second clinician's approval; ask a colleague who did "
                "not write it to review and approve it.",
            )
    if decision == "approve":
        checks, _ = check_material(ws, material)
        warnings = sum(c.warning for c in checks)
        if warnings and acknowledge != "yes":
            return refused(
                400,
                f"{warnings} sentence(s) have warnings; check them and tick the box to confirm before "
                "approving, or edit the text.",
            )
    was_published = approved_path(ws.settings, material_id).exists()
    try:
        decided = ws.store.decide(material_id, cast(DecisionKind, decision), session.username, note)
    except ReviewError as exc:
        return refused(400, str(exc))
    if decision == "approve":
        start_publish(ws, decided, session.username)
        message = "Approved. It is being published to the knowledge base."
    elif was_published:
        start_publish(ws, decided, session.username, remove=True)
        message = "Rejected. It is being removed from the knowledge base."
    else:
        message = "Rejected; the comment is in the history."
    return ws.redirect(request, f"{PREFIX}/materials/{material_id}", message)


@router.post("/materials/{material_id}/publish")
def publish_again(request: Request, session: Signed, ws: Ws, material_id: int) -> Response:
    material = find_material(ws, material_id)
    if material.status != "approved":
        raise Refusal(
            409, f"Material {material_id} is {material.status}; only approved material is published."
        )
    start_publish(ws, material, session.username)
    return ws.redirect(request, f"{PREFIX}/materials/{material_id}", "Publishing again.", "info")


@router.get("/materials/{material_id}/export/{fmt}")
def export(session: Signed, ws: Ws, material_id: int, fmt: str) -> Response:
    if fmt not in _EXPORTS:
        raise Refusal(404, f"Unknown export format {fmt!r}; use md, html or pdf.")
    material = find_material(ws, material_id)
    clinic = clinic_name(ws.settings)
    try:
        content: str | bytes = (
            to_markdown(material, clinic)
            if fmt == "md"
            else to_html(material, clinic)
            if fmt == "html"
            else to_pdf(material, clinic)
        )
    except ReviewError as exc:
        raise Refusal(409, str(exc)) from None
    media_type, extension = _EXPORTS[fmt]
    name = f"{slug(material.topic)}-v{material.version}.{extension}"
    headers = security_headers() | {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content, media_type=media_type, headers=headers)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "material"


def _one_line(value: str, limit: int) -> str:
    return " ".join(value.split())[:limit]


def _body(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _material_json(material: Material) -> dict[str, Any]:
    return {
        "id": material.id,
        "topic": material.topic,
        "audience": material.audience,
        "reading_level": material.reading_level,
        "format": material.format,
        "status": material.status,
        "version": material.version,
        "grade": material.grade,
        "body": material.body,
        "citations": [c.to_json() for c in material.citations],
        "created_by": material.created_by,
        "updated_by": material.updated_by,
        "updated_at": material.updated_at.isoformat(),
    }
