"""The workspace end to end over HTTP with real parts: a handout drafted by the real Assistant (real
index of MedQuAD files, llama.cpp server with the 0.5B model, real guardrails), edited, approved,
exported, published into the index and found by the app's own retriever without a restart."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from careguide.review.checks import check_body
from careguide.review.publish import approved_path
from tests.e2e.workspace_support import CLINIC, DRAFT_TIMEOUT_S, PASSWORD, Kit, open_kit

pytestmark = pytest.mark.integration

CLINIC_SENTENCE = "Our clinic runs a pituitary support group every Tuesday evening in room 4."


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kit]:
    with open_kit(tmp_path_factory.mktemp("workspace-model")) as opened:
        yield opened


def sign_in(client: TestClient) -> str:
    page = client.get("/workspace/login")
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/workspace/login",
        data={"username": "alice", "password": PASSWORD, "token": token, "next": "/workspace/new"},
    )
    assert response.status_code == 200 and "Write new material" in response.text
    return re.search(r'name="csrf" value="([^"]+)"', response.text).group(1)


def wait_job(client: TestClient, job_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    seen_partial = False
    while time.monotonic() < deadline:
        job = client.get(f"/workspace/api/jobs/{job_id}").json()
        seen_partial = seen_partial or bool(job["partial"])
        if job["state"] in ("done", "failed", "cancelled"):
            job["seen_partial"] = seen_partial
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {job}")


def test_draft_edit_approve_export_publish_with_the_real_model(kit: Kit) -> None:
    app, workspace = kit.app()
    client = TestClient(app)
    token = sign_in(client)
    started = client.post(
        "/workspace/generate",
        data={
            "csrf": token,
            "topic": "acromegaly",
            "audience": "patients",
            "reading_level": "standard",
            "format": "handout",
        },
        follow_redirects=False,
    )
    job_id = started.headers["location"].rsplit("/", 1)[1]
    # The server answers other requests while the model writes.
    assert client.get("/workspace").status_code == 200
    job = wait_job(client, job_id, DRAFT_TIMEOUT_S)
    assert job["state"] == "done", job
    assert job["seen_partial"]  # the model's text was visible while it streamed
    material = kit.store.get(job["material_id"])

    # Every citation is a real NIDDK passage about acromegaly, numbered 1..n across the handout, and
    # every sentence of the draft is supported by the passage it cites.
    assert material.body.startswith("# Acromegaly\n") and "## " in material.body
    assert [c.n for c in material.citations] == list(range(1, len(material.citations) + 1))
    assert {int(n) for n in re.findall(r"\[(\d+)\]", material.body)} == {c.n for c in material.citations}
    assert all(c.organisation and c.url.startswith("http") and c.quote for c in material.citations)
    texts = workspace.passages([c.chunk_id for c in material.citations])
    assert set(texts) == {c.chunk_id for c in material.citations}
    for citation in material.citations:
        assert citation.quote in texts[citation.chunk_id]
    checks = check_body(
        material.body, material.citations, {c.n: texts[c.chunk_id] for c in material.citations}
    )
    assert checks and all(c.status == "supported" for c in checks), [c for c in checks if c.warning]
    assert material.grade is not None

    page = client.get(f"/workspace/materials/{material.id}")
    assert "Every cited sentence matches its source." in page.text
    assert "National Institute of Diabetes and Digestive and Kidney Diseases" in page.text
    assert f"Reading grade (Flesch-Kincaid): {material.grade:.1f}" in page.text

    # The clinic adds a sentence of its own (no source: a warning the reviewer confirms).
    body = material.body.rstrip() + f"\n\n## At our clinic\n\n{CLINIC_SENTENCE}\n"
    saved = client.post(
        f"/workspace/materials/{material.id}/edit",
        data={"csrf": token, "body": body, "change_note": "Added our support group.", "version": "1"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    edited = kit.store.get(material.id)
    assert edited.version == 2 and edited.grade is not None and CLINIC_SENTENCE in edited.body
    assert "Sentences to check: 1" in client.get(f"/workspace/materials/{material.id}").text

    bm25_before: list[str] = []
    original_reload = kit.reload

    def reload_and_look() -> None:
        bm25_before.extend(
            p.chunk.source for p in kit.retriever.search_many([CLINIC_SENTENCE], 3, mode="bm25")[0]
        )
        original_reload()

    workspace.on_publish = reload_and_look
    approved = client.post(
        f"/workspace/materials/{material.id}/decide",
        data={
            "csrf": token,
            "decision": "approve",
            "version": "2",
            "comment": "Checked.",
            "acknowledge": "yes",
        },
        follow_redirects=False,
    )
    assert approved.status_code == 303
    publishing = workspace.jobs.latest_for(material.id)
    assert publishing is not None and workspace.jobs.wait(publishing, 300)
    assert publishing.state == "done", publishing.message
    assert approved_path(kit.settings, material.id).exists()
    assert "clinic" not in bm25_before  # the running retriever's BM25 index was stale before the reload

    # The app's own retriever (the one patients' answers use) finds the clinic's text, both legs.
    for mode in ("dense", "bm25", "hybrid"):
        hits = kit.retriever.search_many(["pituitary support group on Tuesday evening"], 3, mode=mode)[0]
        top = hits[0].chunk
        assert (top.source, top.organisation, top.title) == ("clinic", CLINIC, "Acromegaly"), mode
        assert CLINIC_SENTENCE in top.text
    relevant = kit.assistant.relevant("Is there a support group for acromegaly at the clinic?")
    assert any(p.chunk.source == "clinic" for p in relevant)

    page = client.get(f"/workspace/materials/{material.id}")
    assert f"as {CLINIC}" in page.text and "Download PDF" in page.text
    markdown = client.get(f"/workspace/materials/{material.id}/export/md")
    assert markdown.status_code == 200 and CLINIC_SENTENCE in markdown.text and "## Sources" in markdown.text
    assert f"Reviewed and approved by {CLINIC} (version 2" in markdown.text
    html = client.get(f"/workspace/materials/{material.id}/export/html")
    assert html.status_code == 200 and "niddk.nih.gov" in html.text and "<script" not in html.text
    pdf = client.get(f"/workspace/materials/{material.id}/export/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and len(pdf.content) > 1000
