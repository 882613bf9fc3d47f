"""The clinician workspace over HTTP (FastAPI's test client) on a real SQLite review database:
sign-in, every route refused without a session, CSRF on every form, drafting (with a scripted
assistant), review, exports, publishing into a real index, the review queue."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Sequence

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from careguide.config import ReviewSettings, Settings, VectorStoreSettings, load_settings
from careguide.ingest import Chunk
from careguide.rag import ABSTENTION, Answer, Citation, Passage
from careguide.review import ReviewStore, open_review_store
from careguide.ui.workspace import (
    API,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Workspace,
    add_workspace,
)

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
WHAT = "Asthma is a chronic disease that affects your airways. The airways are tubes that carry air in and out of your lungs."
TREAT = (
    "Asthma is treated with two kinds of medicines: quick-relief medicines and long-term control medicines."
)


def chunk(chunk_id: str, text: str, title: str) -> Chunk:
    return Chunk(chunk_id, chunk_id, f"/kb/{chunk_id}", 0, 1, text, title, "", "NHLBI",
                 "National Heart, Lung, and Blood Institute", f"https://www.nhlbi.nih.gov/{chunk_id}", "public domain")  # fmt: skip


CHUNKS = {
    "what-0": chunk("what-0", WHAT, "What is asthma?"),
    "treat-0": chunk("treat-0", TREAT, "How is asthma treated?"),
}


class ScriptedAssistant:
    """Answers two of the outline's questions from fixed passages, abstains on the others."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.asked: list[tuple[str, str | None]] = []

    def ask(
        self,
        question: str,
        on_token: Callable[[str], None] | None = None,
        history: Sequence[str] = (),
        reading_level: str | None = None,
    ) -> Answer:
        self.asked.append((question, reading_level))
        time.sleep(self.delay_s)
        if question.startswith("What is"):
            text, c = "Asthma is a chronic disease that affects your airways [1].", CHUNKS["what-0"]
        elif question.startswith("How is") and "treated" in question:
            text, c = (
                "Asthma is treated with quick-relief medicines and long-term control medicines [1].",
                CHUNKS["treat-0"],
            )
        else:
            return Answer(question, ABSTENTION, (), True)
        if on_token is not None:
            on_token(text)
        quote = c.text.split(". ")[0].rstrip(".") + "."
        return Answer(question, text, (Citation(1, Passage(c, 0.9), quote),), False)


@pytest.fixture
def settings(tmp_path) -> Settings:
    base = load_settings()
    return base.model_copy(
        update={
            "index_dir": tmp_path / "index",
            "reports_dir": tmp_path / "reports",
            "vector_store": VectorStoreSettings(collection="workspace-http"),
            "review": ReviewSettings(
                database_url=f"sqlite:///{tmp_path / 'review.db'}", clinic_name="Example Clinic"
            ),
        }
    )


@pytest.fixture
def store(settings) -> Iterator[ReviewStore]:
    with open_review_store(settings.review.database_url, bcrypt_rounds=4) as review:
        review.add_user("alice", PASSWORD, "clinician")
        review.add_user("root", PASSWORD, "admin")
        yield review


class App:
    def __init__(self, settings: Settings, store: ReviewStore, assistant: ScriptedAssistant | None) -> None:
        self.app = FastAPI()
        self.published: list[int] = []
        self.workspace: Workspace = add_workspace(
            self.app,
            settings,
            store,
            (lambda: assistant) if assistant is not None else None,
            on_publish=lambda: self.published.append(1),
            passages=lambda ids: {i: CHUNKS[i].text for i in ids if i in CHUNKS},
            secret=b"x" * 32,
        )
        self.client = TestClient(self.app)


@pytest.fixture
def assistant() -> ScriptedAssistant:
    return ScriptedAssistant()


@pytest.fixture
def web(settings, store, assistant) -> Iterator[App]:
    app = App(settings, store, assistant)
    yield app
    app.workspace.close()


def csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(client: TestClient, username: str = "alice", password: str = PASSWORD, next: str = "/workspace"):
    page = client.get("/workspace/login", params={"next": next})
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    return client.post(
        "/workspace/login",
        data={"username": username, "password": password, "token": token, "next": next},
        follow_redirects=False,
    )


def signed_in(web: App, username: str = "alice") -> str:
    response = sign_in(web.client, username)
    assert response.status_code == 303, response.text
    return csrf(web.client.get("/workspace").text)


def wait_job(client: TestClient, job_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"{API}/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


SAMPLE = {"material_id": "1", "job_id": "nope", "item_id": "1", "fmt": "md", "name": "20260101-000000"}


def workspace_routes(web: App) -> list[tuple[str, str]]:
    found = [(m, p.format(**SAMPLE)) for m, p in web.workspace.routes() if p != "/workspace/login"]
    # The app serves exactly these under /workspace (nothing added elsewhere escapes the check).
    schema_free = TestClient(web.app).get("/openapi.json").json()["paths"]
    assert not [p for p in schema_free if p.startswith("/workspace")]
    return found


def test_every_workspace_route_refuses_a_visitor_without_a_session(web, store):
    material_id = store.create_material(
        "Asthma", "patients", "standard", "handout", "Asthma [1].", [], 5.0, "alice"
    )
    routes = workspace_routes(web)
    assert len(routes) >= 20
    paths = {p for _, p in routes}
    assert {
        "/workspace",
        "/workspace/api/jobs/nope",
        "/workspace/materials/1/export/md",
        "/workspace/queue/annotations.jsonl",
    } <= paths
    forged = web.client.cookies
    for cookie in (None, "garbage", "e30.AAAA"):
        forged.clear()
        if cookie:
            forged.set(SESSION_COOKIE, cookie, path="/workspace")
        for method, path in routes:
            response = web.client.request(
                method, path, follow_redirects=False, data={"csrf": "x"} if method == "POST" else None
            )
            if path.startswith(API):
                assert response.status_code == 401, (method, path)
                assert response.json() == {"message": "Sign in to the workspace first."}
            else:
                assert response.status_code == 303, (method, path, response.status_code)
                assert response.headers["location"].startswith("/workspace/login?next="), (method, path)
    forged.clear()
    # A GET comes back to the page asked for after signing in; nothing was changed meanwhile.
    login = web.client.get("/workspace/materials/1/history", follow_redirects=False).headers["location"]
    assert login == "/workspace/login?next=/workspace/materials/1/history"
    assert [m.version for m in store.list_materials()] == [1] and store.get(material_id).status == "draft"
    assert web.client.get("/workspace/login").status_code == 200


def test_sign_in_roles_and_sign_out(web):
    client = web.client
    page = client.get("/workspace/login")
    assert page.status_code == 200 and "Sign in" in page.text
    assert "content-security-policy" in page.headers and page.headers["x-frame-options"] == "DENY"
    assert LOGIN_COOKIE in page.headers["set-cookie"]

    assert sign_in(client, password="wrong password").status_code == 401
    token_less = client.post(
        "/workspace/login", data={"username": "alice", "password": PASSWORD, "token": "x"}
    )
    assert token_less.status_code == 400 and "expired" in token_less.text

    response = sign_in(client, next="/workspace/queue")
    assert response.status_code == 303 and response.headers["location"] == "/workspace/queue"
    cookie = response.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "path=/workspace" in cookie.lower()
    home = client.get("/workspace")
    assert home.status_code == 200 and "alice (clinician)" in home.text
    assert client.get("/workspace/users").status_code == 403  # clinicians do not manage users
    assert client.get("/workspace/login", follow_redirects=False).status_code == 303  # already signed in

    session = client.cookies.get(SESSION_COOKIE)
    assert client.post("/workspace/logout", follow_redirects=False).status_code == 403  # no CSRF token
    out = client.post("/workspace/logout", data={"csrf": csrf(home.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/workspace/login"
    client.cookies.set(SESSION_COOKIE, session, path="/workspace")  # a copied cookie after sign-out
    assert client.get("/workspace", follow_redirects=False).status_code == 303

    client.cookies.clear()
    assert sign_in(client, "root").status_code == 303
    users = client.get("/workspace/users")
    assert users.status_code == 200 and "alice" in users.text and "root" in users.text
    added = client.post(
        "/workspace/users",
        data={"csrf": csrf(users.text), "username": "bob", "password": PASSWORD, "role": "clinician"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    short = client.post(
        "/workspace/users",
        data={"csrf": csrf(users.text), "username": "eve", "password": "short", "role": "clinician"},
    )
    assert short.status_code == 400 and "shorter than 8" in short.text and 'value="eve"' in short.text
    client.cookies.clear()
    assert sign_in(client, "bob").status_code == 303


def test_sign_in_is_throttled_and_never_redirects_elsewhere(web):
    for _ in range(5):
        assert sign_in(web.client, password="wrong password").status_code == 401
    blocked = sign_in(web.client)
    assert blocked.status_code == 429 and "Too many failed sign-ins" in blocked.text
    assert sign_in(web.client, "root").status_code == 303  # other accounts from the same address still can
    web.client.cookies.clear()
    assert sign_in(web.client, "root", next="https://evil.example/").headers["location"] == "/workspace"


def test_every_form_needs_the_csrf_token(web, store):
    material_id = store.create_material(
        "Asthma", "patients", "standard", "handout", "# Asthma\n\nText.\n", [], 5.0, "alice"
    )
    item = store.flag("q", "a", "flagged")
    token = signed_in(web)
    posts = [(m, p) for m, p in workspace_routes(web) if m == "POST"]
    assert len(posts) >= 8
    for _, path in posts:
        for data in ({}, {"csrf": "not-the-token"}):
            response = web.client.post(path, data=data, follow_redirects=False)
            assert response.status_code == 403, (path, data)
    assert store.get(material_id).version == 1 and store.get(material_id).status == "draft"
    assert store.queue("open")[0].id == item.id
    # The token also works as a header (scripts), and a right token passes.
    edited = web.client.post(
        f"/workspace/materials/{material_id}/edit",
        data={"body": "# Asthma\n\nNew text.\n", "change_note": "Shorter.", "version": "1"},
        headers={"X-CSRF-Token": token},
        follow_redirects=False,
    )
    assert edited.status_code == 303 and store.get(material_id).version == 2


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
    unacknowledged = client.post(
        f"/workspace/materials/{material_id}/decide",
        data={"csrf": token, "decision": "approve", "version": "2", "comment": "Fine."},
    )
    assert unacknowledged.status_code == 400 and "tick the box" in unacknowledged.text

    fixed = body.replace("affects 40% of your airways [1]. It is contagious.", "affects your airways [1].")
    client.post(
        f"/workspace/materials/{material_id}/edit",
        data={"csrf": token, "body": fixed, "change_note": "Back to the source.", "version": "2"},
    )
    approved = client.post(
        f"/workspace/materials/{material_id}/decide",
        data={"csrf": token, "decision": "approve", "version": "3", "comment": "Checked."},
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
        and "Approved</strong> version 3 by alice" in history.text
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


def test_queue_annotation_and_eval_export(web, store):
    store.add_feedback("conv-1", "What is asthma?", "Asthma is a bone disease.", -1, "Wrong!")
    store.add_feedback("conv-2", "What is gout?", "Gout is arthritis.", 1)
    store.flag("How much insulin?", "Take 40 units.", "unverified number removed")
    token = signed_in(web)
    queue = web.client.get("/workspace/queue")
    assert queue.status_code == 200
    assert (
        "What is asthma?" in queue.text
        and "How much insulin?" in queue.text
        and "What is gout?" not in queue.text
    )
    assert "Rated not helpful by a patient" in queue.text and "Flagged by the guardrails" in queue.text
    item = store.queue("open")[0]
    page = web.client.get(f"/workspace/queue/{item.id}")
    assert "Asthma is a bone disease." in page.text and "Wrong!" in page.text
    bad = web.client.post(
        f"/workspace/queue/{item.id}/annotate",
        data={"csrf": token, "annotation": "Wrong organ.", "label": "made-up"},
    )
    assert bad.status_code == 400 and "Choose a verdict" in bad.text and "Wrong organ." in bad.text
    done = web.client.post(
        f"/workspace/queue/{item.id}/annotate",
        data={
            "csrf": token,
            "annotation": "Wrong organ.",
            "label": "incorrect",
            "expected_answer": "Asthma affects the airways.",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert [i.question for i in store.queue("open")] == ["How much insulin?"]
    assert "What is asthma?" in web.client.get("/workspace/queue", params={"status": "done"}).text
    assert web.client.get("/workspace/queue/999").status_code == 404
    export = web.client.get("/workspace/queue/annotations.jsonl")
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in export.headers["content-disposition"]
    records = [json.loads(line) for line in export.text.splitlines()]
    assert records == [
        {
            "question": "What is asthma?",
            "answer": "Asthma is a bone disease.",
            "label": "incorrect",
            "annotation": "Wrong organ.",
            "expected_answer": "Asthma affects the airways.",
            "reason": "Wrong!",
            "kind": "feedback",
        }
    ]


def test_everything_shown_is_escaped(web, store):
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    material_id = store.create_material(
        f"Asthma {evil}", "patients", "standard", "handout", f"# Title\n\n{evil} [1]. [link](javascript:alert(3))\n",
        [{"n": 1, "title": evil, "url": "javascript:alert(4)", "quote": evil}], 5.0, "alice",
    )  # fmt: skip
    store.flag(evil, evil, evil)
    signed_in(web)
    pages = [
        web.client.get(f"/workspace/materials/{material_id}").text,
        web.client.get(f"/workspace/materials/{material_id}/history").text,
        web.client.get("/workspace").text,
        web.client.get("/workspace/queue").text,
        web.client.get(f"/workspace/queue/{store.queue()[0].id}").text,
    ]
    for html in pages:
        assert "<script>alert" not in html and "<img" not in html
        assert 'href="javascript:' not in html
    assert web.client.get("/workspace/materials/999").status_code == 404


def test_the_evaluation_tab_shows_the_latest_report_to_administrators(web, settings):
    from careguide.eval.harness import run_suites
    from careguide.eval.reports import write_run

    client = web.client
    assert sign_in(client, "root").status_code == 303
    empty = client.get("/workspace/evaluation")
    assert empty.status_code == 200 and "no evaluation report" in empty.text and "make eval" in empty.text
    assert 'href="/workspace/evaluation"' in empty.text

    # Two real harness runs (the PHI suite on a few sentences); the second one is made worse.
    results = run_suites(settings, ["phi"], 12)
    first = write_run(results, settings.reports_dir)
    worse = dict(results, metrics=dict(results["metrics"], **{"phi.recall": 0.1}))
    second = write_run(worse, settings.reports_dir)
    (settings.reports_dir / "not-a-run").mkdir()
    page = client.get("/workspace/evaluation")
    assert page.status_code == 200
    text = page.text
    assert f"Latest run: {second.name}" in text and first.name in text and "not-a-run" not in text
    assert "phi.f2" in text and "1 metric(s) fell beyond their tolerance" in text
    assert re.search(r'<tr class="regression"><td><code>phi.recall</code>', text)
    assert "span-level, by character coverage" in text  # the definitions are on the page

    report = client.get(f"/workspace/evaluation/{second.name}/report.html")
    assert (
        report.status_code == 200
        and "careguide evaluation" in report.text
        and "data:image/png" in report.text
    )
    assert "default-src 'none'" in report.headers["content-security-policy"]
    for name in ("..", "not-a-run", "%2e%2e%2fsecret", "20990101-000000"):
        assert client.get(f"/workspace/evaluation/{name}/report.html").status_code == 404, name

    # A half-written newest run is named, and the page still shows the last readable one.
    broken = settings.reports_dir / "20991231-235959"
    broken.mkdir()
    (broken / "results.json").write_text('{"metrics": ', encoding="utf-8")
    page = client.get("/workspace/evaluation").text
    assert "cannot be read" in page and f"Latest run: {second.name}" in page

    client.cookies.clear()
    assert sign_in(client, "alice").status_code == 303
    home = client.get("/workspace").text
    assert 'href="/workspace/evaluation"' not in home
    assert client.get("/workspace/evaluation").status_code == 403
    assert client.get(f"/workspace/evaluation/{second.name}/report.html").status_code == 403
