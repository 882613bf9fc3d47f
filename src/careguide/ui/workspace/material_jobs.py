"""The workspace's background work on materials: drafting from the knowledge base and publishing
or withdrawing approved material, as jobs that another process can resume; and the jobs' router
(a job's page, stopping it, its status as JSON for the page's polling)."""

from __future__ import annotations

import logging
from typing import Any, cast

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from careguide.ingest import EmbeddingError, StoreError
from careguide.rag import LLMError
from careguide.review import (
    Cancelled,
    Material,
    MaterialFormat,
    Progress,
    ReviewError,
    approved_path,
    clinic_name,
    generate,
    outline,
    publish,
    unpublish,
)
from careguide.ui.workspace.base import Refusal, Signed, Workspace, Ws, private_router, security_headers
from careguide.ui.workspace.jobs import Job, JobKind, Work
from careguide.ui.workspace.materials_pages import PublishState, job_page
from careguide.ui.workspace.pages import PREFIX

log = logging.getLogger("careguide.ui.workspace")


def publish_state(ws: Workspace, material: Material) -> PublishState | None:
    job = ws.jobs.latest_for(material.id)
    in_index = approved_path(ws.settings, material.id).exists()
    clinic = clinic_name(ws.settings)
    if job is not None and not job.finished:
        text = (
            "Publishing to the knowledge base…"
            if job.kind == "publish"
            else "Removing it from the knowledge base…"
        )
        return PublishState(text, "info", job.id, running=True)
    if job is not None and job.state == "failed":
        return PublishState(job.message, "error", can_retry=material.status == "approved")
    if material.status == "approved":
        if in_index:
            return PublishState(f"Published: patients' answers can cite it, as {clinic}.", "ok")
        return PublishState("Approved, but not in the knowledge base yet.", "warn", can_retry=True)
    if in_index:
        return PublishState(
            "The last approved version stays in the knowledge base until this version is approved.",
            "info",
        )
    return None


def start_publish(ws: Workspace, material: Material, owner: str, remove: bool = False) -> Job:
    kind: JobKind = "unpublish" if remove else "publish"
    label = "Remove from the knowledge base" if remove else "Index into the knowledge base"
    work = _publish_work(ws, material.id, remove)
    params = {"material_id": material.id}
    return ws.jobs.submit(kind, owner, f"{label}: {material.topic}", [label], work, material.id, params)


def _publish_work(ws: Workspace, material_id: int, remove: bool) -> Work:
    settings, store = ws.settings, ws.store

    def work(job: Job) -> None:
        job.start_step(0)
        knowledge = ws.knowledge() if ws.knowledge is not None else None
        try:
            if remove:
                removed = unpublish(material_id, settings, knowledge)
                message = (
                    "Removed from the knowledge base." if removed else "It was not in the knowledge base."
                )
            else:
                published = publish(material_id, settings, store, knowledge)
                message = (
                    f"Published: {published.chunks_indexed} passage(s) indexed; patients' answers can "
                    f"cite it, as {clinic_name(settings)}."
                )
        except (ReviewError, StoreError, EmbeddingError) as exc:
            job.finish("failed", f"Not published: {exc}")
            return
        if ws.on_publish is not None:
            try:
                ws.on_publish()
            except Exception:
                log.exception("Reloading the retriever after publishing failed")
                job.finish("failed", "Indexed, but the running answer service did not reload; restart it.")
                return
        job.finish("done", message)

    return work


def start_draft(
    ws: Workspace, owner: str, topic: str, audience: str, level: str, format: MaterialFormat
) -> Job:
    sections = outline(topic, format)
    work = _draft_work(ws, owner, topic, audience, level, format)
    params = {"topic": topic, "audience": audience, "level": level, "format": format}
    return ws.jobs.submit(
        "generate", owner, f"Draft: {topic}", [s.question for s in sections], work, params=params
    )


def _draft_work(
    ws: Workspace, owner: str, topic: str, audience: str, level: str, format: MaterialFormat
) -> Work:
    factory = ws.assistant_factory
    assert factory is not None
    store, guard = ws.store, ws.guard

    def work(job: Job) -> None:
        def answered(index: int, _section: object, answer: Any) -> None:
            note = "not in the knowledge base" if answer.abstained else "answered"
            job.end_step(index, "skipped" if answer.abstained else "done", note)

        progress = Progress(
            on_question=lambda index, _section: job.start_step(index),
            on_answer=answered,
            on_token=job.add_partial,
            stopped=job.cancel.is_set,
        )
        try:
            draft = generate(factory(), topic, format, level, progress, guard() if guard else None)
        except Cancelled:
            job.finish("cancelled", "Stopped; nothing was saved.")
            return
        except LLMError as exc:
            job.finish("failed", str(exc))
            return
        if not draft.answered:
            job.finish(
                "failed",
                f"The knowledge base has no checked answer about {topic}; nothing was saved. "
                "Check the spelling or try a broader topic.",
            )
            return
        material_id = store.create_material(
            topic, audience, level, format, draft.body, draft.citations, draft.grade, owner
        )
        job.finish("done", f"Draft saved as material {material_id}.", material_id)

    return work


def resume_jobs(ws: Workspace) -> None:
    """Let this process run again the jobs of a process that died (a shared job store only)."""

    def draft(job: Job) -> Work:
        p = job.params
        fmt = cast(MaterialFormat, str(p["format"]))
        return _draft_work(ws, job.owner, str(p["topic"]), str(p["audience"]), str(p["level"]), fmt)

    if ws.assistant_factory is not None:
        ws.jobs.resume_with("generate", draft)
    ws.jobs.resume_with("publish", lambda job: _publish_work(ws, int(job.params["material_id"]), False))
    ws.jobs.resume_with("unpublish", lambda job: _publish_work(ws, int(job.params["material_id"]), True))


# Routes

router = private_router()
"""Jobs: a job's page (it polls the status), stopping it, its status as JSON."""


def job_or_refuse(ws: Workspace, job_id: str) -> Job:
    job = ws.jobs.get(job_id)
    if job is None:
        raise Refusal(404, "This job is not known here; the server may have restarted. Start it again.")
    return job


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_status_page(request: Request, session: Signed, ws: Ws, job_id: str) -> Response:
    job = job_or_refuse(ws, job_id)
    snapshot = job.snapshot()
    if snapshot["state"] == "done" and snapshot["material_id"] and job.kind == "generate":
        return ws.redirect(request, f"{PREFIX}/materials/{snapshot['material_id']}")
    chrome = ws.chrome(request, session)
    return ws.page(request, chrome, job_page(chrome, snapshot))


@router.post("/jobs/{job_id}/cancel")
def cancel_job(request: Request, session: Signed, ws: Ws, job_id: str) -> Response:
    job = job_or_refuse(ws, job_id)
    if job.owner != session.username and not session.is_admin:
        raise Refusal(403, "Only the person who started this draft (or an administrator) can stop it.")
    ws.jobs.cancel(job)
    return ws.redirect(request, f"{PREFIX}/jobs/{job.id}", "Stopping after the current sentence…", "info")


@router.get("/api/jobs/{job_id}")
def job_status(session: Signed, ws: Ws, job_id: str) -> JSONResponse:
    return JSONResponse(job_or_refuse(ws, job_id).snapshot(), headers=security_headers())
