"""The workspace's materials over HTTP: drafting (with a scripted assistant), review, exports and
publishing into a real index; a draft that finds nothing, stopping a draft, and no model at all."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from careguide.rag import ABSTENTION, Answer
from careguide.ui.workspace import API
from tests.integration.ui.conftest import App, ScriptedAssistant, csrf, sign_in, signed_in

pytestmark = pytest.mark.integration


def wait_job(client: TestClient, job_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"{API}/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_draft_review_approve_export_and_publish(web, store, assistant, settings):
    client = web.client
    token = signed_in(web)
    form = client.get("/workspace/new")
    assert 'name="topic"' in form.text and 'name="reading_level"' in form.text
    bad = client.post("/workspace/generate", data={"csrf": token, "topic": "  ", "format": "handout"})
    assert bad.status_code == 400 and "topic is empty" in bad.text

    started = client.post(
        "/workspace/generate",
        data={
            "csrf": token,
            "topic": "asthma",
            "audience": "caregivers",
            "reading_level": "simpler",
            "format": "handout",
        },
        follow_redirects=False,
    )
    assert started.status_code == 303 and started.headers["location"].startswith("/workspace/jobs/")
    job_id = started.headers["location"].rsplit("/", 1)[1]
    job = wait_job(client, job_id)
    assert job["state"] == "done", job
    assert [s["state"] for s in job["steps"]] == ["done", "skipped", "skipped", "done"]
    assert {level for _, level in assistant.asked} == {"simpler"}
    material_id = job["material_id"]
    assert (
        client.get(f"/workspace/jobs/{job_id}", follow_redirects=False).headers["location"]
        == f"/workspace/materials/{material_id}"
    )

    material = store.get(material_id)
    assert (material.topic, material.audience, material.reading_level, material.created_by) == (
        "asthma",
        "caregivers",
        "simpler",
        "alice",
    )
    assert [c.chunk_id for c in material.citations] == ["what-0", "treat-0"] and material.grade is not None
    assert (
        "affects your airways [1]." in material.body and "long-term control medicines [2]." in material.body
    )

    page = client.get(f"/workspace/materials/{material_id}")
    assert page.status_code == 200
    assert "Every cited sentence matches its source." in page.text
    assert "Reading grade (Flesch-Kincaid)" in page.text
    assert '<a href="#source-1" class="cite">[1]</a>' in page.text
    assert "<mark>Asthma is a chronic disease that affects your airways.</mark>" in page.text
    assert (
        "National Heart, Lung, and Blood Institute" in page.text
        and "https://www.nhlbi.nih.gov/what-0" in page.text
    )
    assert (
        client.get(f"/workspace/materials/{material_id}/export/md", follow_redirects=False).status_code == 409
    )

    # Edit: a changed sentence that its source does not support, and a new sentence without a source.
    body = material.body.replace(
        "affects your airways [1].", "affects 40% of your airways [1]. It is contagious."
    )
    edited = client.post(
        f"/workspace/materials/{material_id}/edit",
        data={"csrf": token, "body": body.replace("\n", "\r\n"), "change_note": "Clarified.", "version": "1"},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    v2 = store.get(material_id)
    assert v2.version == 2 and "\r" not in v2.body and v2.grade is not None
    page = client.get(f"/workspace/materials/{material_id}")
    assert "Sentences to check: 2" in page.text and "no source is cited for it" in page.text
    assert "Saved version 2." in page.text  # the one-time message
    assert "Saved version 2." not in client.get(f"/workspace/materials/{material_id}").text
    checks = client.get(f"{API}/materials/{material_id}").json()["checks"]
    assert [c["status"] for c in checks] == ["unsupported", "uncited", "supported"]

    stale = client.post(
        f"/workspace/materials/{material_id}/edit",
        data={"csrf": token, "body": "# Asthma\n\nMy text [1].\n", "change_note": "x", "version": "1"},
    )
    assert stale.status_code == 409 and "My text [1]." in stale.text  # the typed text is kept
    unchanged = client.post(
        f"/workspace/materials/{material_id}/edit",
        data={"csrf": token, "body": v2.body, "change_note": "none", "version": "2"},
    )
    assert unchanged.status_code == 400 and "unchanged" in unchanged.text

    rejected = client.post(
        f"/workspace/materials/{material_id}/decide",
        data={"csrf": token, "decision": "reject", "version": "2"},
    )
    assert rejected.status_code == 400 and "needs a comment" in rejected.text
    own = client.post(
        f"/workspace/materials/{material_id}/decide",
        data={"csrf": token, "decision": "approve", "version": "2", "comment": "Fine.", "acknowledge": "yes"},
    )
    assert own.status_code == 403 and "second clinician" in own.text  # review.second_approval (default)
    assert store.get(material_id).status == "draft"
    reviewer = TestClient(web.app)  # a colleague who did not write it
    assert sign_in(reviewer, "root").status_code == 303
    reviewer_token = csrf(reviewer.get("/workspace").text)
    unacknowledged = reviewer.post(
        f"/workspace/materials/{material_id}/decide",
        data={"csrf": reviewer_token, "decision": "approve", "version": "2", "comment": "Fine."},
    )
    assert unacknowledged.status_code == 400 and "tick the box" in unacknowledged.text

    fixed = body.replace("affects 40% of your airways [1]. It is contagious.", "affects your airways [1].")
    client.post(
        f"/workspace/materials/{material_id}/edit",
        data={"csrf": token, "body": fixed, "change_note": "Back to the source.", "version": "2"},
    )
    approved = reviewer.post(
        f"/workspace/materials/{material_id}/decide",
        data={"csrf": reviewer_token, "decision": "approve", "version": "3", "comment": "Checked."},
        follow_redirects=False,
    )
    assert approved.status_code == 303 and store.get(material_id).status == "approved"
    publish_job = web.workspace.jobs.latest_for(material_id)
    assert publish_job is not None and web.workspace.jobs.wait(publish_job, 240)
    assert publish_job.state == "done", publish_job.message
    assert web.published == [1]
    assert (settings.index_dir.parent / "approved" / f"{material_id}.md").exists()
    page = client.get(f"/workspace/materials/{material_id}")
    assert "Published: patients&#x27; answers can cite it, as Example Clinic." in page.text

    for fmt, kind, marker in (
        ("md", "text/markdown", b"## Sources"),
        ("html", "text/html", b"<!DOCTYPE html>"),
        ("pdf", "application/pdf", b"%PDF"),
    ):
        download = client.get(f"/workspace/materials/{material_id}/export/{fmt}")
        assert download.status_code == 200 and download.headers["content-type"].startswith(kind)
        assert download.headers["content-disposition"] == f'attachment; filename="asthma-v3.{fmt}"'
        assert marker in download.content
    assert b"Example Clinic" in client.get(f"/workspace/materials/{material_id}/export/md").content
    assert client.get(f"/workspace/materials/{material_id}/export/doc").status_code == 404

    history = client.get(f"/workspace/materials/{material_id}/history")
    assert history.status_code == 200
    assert (
        "Version 3</strong> by alice" in history.text
        and "Approved</strong> version 3 by root" in history.text
    )
    assert '<span class="add"><span class="visually-hidden">Added: </span>+' in history.text
    assert "Clarified." in history.text and "Back to the source." in history.text

    withdrawn = client.post(
        f"/workspace/materials/{material_id}/decide",
        data={"csrf": token, "decision": "reject", "version": "3", "comment": "Outdated."},
        follow_redirects=False,
    )
    assert withdrawn.status_code == 303 and store.get(material_id).status == "rejected"
    removal = web.workspace.jobs.latest_for(material_id)
    assert removal is not publish_job and web.workspace.jobs.wait(removal, 120) and removal.state == "done"
    assert not (settings.index_dir.parent / "approved" / f"{material_id}.md").exists()
    assert web.published == [1, 1]
    assert client.get(f"{API}/materials").json()[0]["status"] == "rejected"


def test_nothing_answered_saves_nothing_and_drafting_can_be_stopped(settings, store):
    class Nothing(ScriptedAssistant):
        def ask(self, question, on_token=None, history=(), reading_level=None):
            return Answer(question, ABSTENTION, (), True)

    web = App(settings, store, Nothing())
    try:
        token = signed_in(web)
        started = web.client.post(
            "/workspace/generate", data={"csrf": token, "topic": "zebra fever"}, follow_redirects=False
        )
        job = wait_job(web.client, started.headers["location"].rsplit("/", 1)[1])
        assert job["state"] == "failed" and "no checked answer about zebra fever" in job["message"]
        assert store.list_materials() == []
    finally:
        web.workspace.close()

    slow = App(settings, store, ScriptedAssistant(delay_s=0.5))
    try:
        token = signed_in(slow)
        started = slow.client.post(
            "/workspace/generate", data={"csrf": token, "topic": "asthma"}, follow_redirects=False
        )
        job_id = started.headers["location"].rsplit("/", 1)[1]
        page = slow.client.get(f"/workspace/jobs/{job_id}")
        assert page.status_code == 200 and 'data-status-url="/workspace/api/jobs/' in page.text
        assert "What are the symptoms of asthma?" in page.text
        assert "Drafts being written" in slow.client.get("/workspace").text  # other pages still answer
        stopped = slow.client.post(
            f"/workspace/jobs/{job_id}/cancel", data={"csrf": token}, follow_redirects=False
        )
        assert stopped.status_code == 303
        assert wait_job(slow.client, job_id)["state"] == "cancelled" and store.list_materials() == []
    finally:
        slow.workspace.close()


def test_without_a_model_the_form_says_so(settings, store):
    web = App(settings, store, None)
    try:
        token = signed_in(web)
        assert "started without" in web.client.get("/workspace/new").text
        assert (
            web.client.post("/workspace/generate", data={"csrf": token, "topic": "asthma"}).status_code == 503
        )
    finally:
        web.workspace.close()
