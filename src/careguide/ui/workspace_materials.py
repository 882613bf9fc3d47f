"""The workspace's materials: the dashboard, drafting new material from the knowledge base (a
background job whose progress pages poll), each material's page, history, edit and decision,
exports, publishing into the knowledge base, and the JSON API under ``/workspace/api``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, cast

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from careguide.review import (
    FORMATS,
    DecisionKind,
    Material,
    MaterialCitation,
    ReviewError,
    approved_path,
    clinic_name,
    to_html,
    to_markdown,
    to_pdf,
)
from careguide.ui import workspace_materials_pages as pages
from careguide.ui.auth import Session
from careguide.ui.handouts import (
    AUDIENCES,
    LEVELS,
    SentenceCheck,
    check_body,
    citations_for,
    clean_topic,
    reading_grade,
)
from careguide.ui.workspace_base import (
    MAX_BODY_CHARS,
    MAX_TEXT_CHARS,
    Refusal,
    Signed,
    Workspace,
    private_router,
    security_headers,
)
from careguide.ui.workspace_jobs import Job
from careguide.ui.workspace_material_jobs import publish_state, start_draft, start_publish
from careguide.ui.workspace_pages import PREFIX

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


def material_routes(ws: Workspace) -> APIRouter:
    router = private_router(ws)

    @router.get("", response_class=HTMLResponse)
    def dashboard(request: Request, session: Signed, status: str = "all") -> Response:
        chosen = status if status in ("draft", "approved", "rejected") else "all"
        materials = ws.store.list_materials(None if chosen == "all" else cast(Any, chosen))
        materials.sort(key=lambda m: m.updated_at, reverse=True)
        jobs = [j.snapshot() for j in ws.jobs.active() if j.kind == "generate"]
        chrome = ws.chrome(request, session)
        open_items = len(ws.store.queue("open"))
        return ws.page(request, chrome, pages.dashboard(chrome, materials, chosen, jobs, open_items))

    def unavailable() -> str:
        if ws.assistant_factory is None:
            return "Drafting needs the language model, which this server was started without."
        return ""

    @router.get("/new", response_class=HTMLResponse)
    def new_material(request: Request, session: Signed) -> Response:
        chrome = ws.chrome(request, session)
        return ws.page(request, chrome, pages.new_material_page(chrome, {}, unavailable=unavailable()))

    @router.post("/generate")
    def start_generation(
        request: Request,
        session: Signed,
        topic: Annotated[str, Form()] = "",
        audience: Annotated[str, Form()] = AUDIENCES[0],
        reading_level: Annotated[str, Form()] = LEVELS[0],
        format: Annotated[str, Form()] = "handout",
    ) -> Response:
        values = {
            "topic": topic[:200],
            "audience": audience,
            "reading_level": reading_level,
            "format": format,
        }
        chrome = ws.chrome(request, session)
        if unavailable():
            return ws.page(
                request,
                chrome,
                pages.new_material_page(chrome, values, unavailable=unavailable()),
                503,
            )
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

    def job_or_refuse(job_id: str) -> Job:
        job = ws.jobs.get(job_id)
        if job is None:
            raise Refusal(404, "This job is not known here; the server may have restarted. Start it again.")
        return job

    @router.get("/jobs/{job_id}", response_class=HTMLResponse)
    def job_status_page(request: Request, session: Signed, job_id: str) -> Response:
        job = job_or_refuse(job_id)
        snapshot = job.snapshot()
        if snapshot["state"] == "done" and snapshot["material_id"] and job.kind == "generate":
            return ws.redirect(request, f"{PREFIX}/materials/{snapshot['material_id']}")
        chrome = ws.chrome(request, session)
        return ws.page(request, chrome, pages.job_page(chrome, snapshot))

    @router.post("/jobs/{job_id}/cancel")
    def cancel_job(request: Request, session: Signed, job_id: str) -> Response:
        job = job_or_refuse(job_id)
        if job.owner != session.username and not session.is_admin:
            raise Refusal(403, "Only the person who started this draft (or an administrator) can stop it.")
        ws.jobs.cancel(job)
        return ws.redirect(request, f"{PREFIX}/jobs/{job.id}", "Stopping after the current sentence…", "info")

    @router.get("/api/jobs/{job_id}")
    def job_status(session: Signed, job_id: str) -> JSONResponse:
        return JSONResponse(job_or_refuse(job_id).snapshot(), headers=security_headers())

    @router.get("/api/materials")
    def materials_json(session: Signed) -> JSONResponse:
        return JSONResponse(
            [_material_json(m) for m in ws.store.list_materials()], headers=security_headers()
        )

    @router.get("/api/materials/{material_id}")
    def material_json(session: Signed, material_id: int) -> JSONResponse:
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
    def material_page(request: Request, session: Signed, material_id: int) -> Response:
        return material_view(request, session, find_material(ws, material_id))

    @router.get("/materials/{material_id}/history", response_class=HTMLResponse)
    def history(request: Request, session: Signed, material_id: int) -> Response:
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
        material_id: int,
        body: Annotated[str, Form()] = "",
        change_note: Annotated[str, Form()] = "",
        version: Annotated[str, Form()] = "",
    ) -> Response:
        material = find_material(ws, material_id)
        text = _body(body)
        note = _one_line(change_note, 500)
        kept = {"edit_body": text, "edit_note": note}
        if version != str(material.version):
            message = (
                f"Version {material.version} was saved by {material.updated_by} while you were editing; your "
                "text is still in the form below. Compare it with the new version, then save again."
            )
            return material_view(request, session, material, 409, error=message, **kept)
        if len(text) > MAX_BODY_CHARS:
            return material_view(request, session, material, 400, error="The text is too long.", **kept)
        if text.strip() == material.body.strip():
            return material_view(
                request, session, material, 400, error="The text is unchanged; edit it first.", **kept
            )
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
            return material_view(request, session, material, 400, error=str(exc), **kept)
        return ws.redirect(request, f"{PREFIX}/materials/{material_id}", f"Saved version {saved.version}.")

    @router.post("/materials/{material_id}/decide")
    def decide(
        request: Request,
        session: Signed,
        material_id: int,
        decision: Annotated[str, Form()] = "",
        comment: Annotated[str, Form()] = "",
        version: Annotated[str, Form()] = "",
        acknowledge: Annotated[str, Form()] = "",
    ) -> Response:
        material = find_material(ws, material_id)
        note = comment.strip()[:MAX_TEXT_CHARS]
        if decision not in ("approve", "reject"):
            return material_view(
                request, session, material, 400, error="Choose approve or reject.", comment=note
            )
        if version != str(material.version):
            message = (
                f"Version {material.version} was saved by {material.updated_by} after you opened the page; "
                "review it, then decide again."
            )
            return material_view(request, session, material, 409, error=message, comment=note)
        if decision == "approve" and ws.settings.review.second_approval:
            writers = {material.created_by, material.updated_by}
            if session.username in writers:
                message = (
                    "Material for patients needs a second clinician's approval; ask a colleague who did "
                    "not write it to review and approve it."
                )
                return material_view(request, session, material, 403, error=message, comment=note)
        if decision == "approve":
            checks, _ = check_material(ws, material)
            warnings = sum(c.warning for c in checks)
            if warnings and acknowledge != "yes":
                message = (
                    f"{warnings} sentence(s) have warnings; check them and tick the box to confirm before "
                    "approving, or edit the text."
                )
                return material_view(request, session, material, 400, error=message, comment=note)
        was_published = approved_path(ws.settings, material_id).exists()
        try:
            decided = ws.store.decide(material_id, cast(DecisionKind, decision), session.username, note)
        except ReviewError as exc:
            return material_view(request, session, material, 400, error=str(exc), comment=note)
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
    def publish_again(request: Request, session: Signed, material_id: int) -> Response:
        material = find_material(ws, material_id)
        if material.status != "approved":
            raise Refusal(
                409, f"Material {material_id} is {material.status}; only approved material is published."
            )
        start_publish(ws, material, session.username)
        return ws.redirect(request, f"{PREFIX}/materials/{material_id}", "Publishing again.", "info")

    @router.get("/materials/{material_id}/export/{fmt}")
    def export(session: Signed, material_id: int, fmt: str) -> Response:
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

    return router


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
