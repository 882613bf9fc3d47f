"""Every page of the workspace over HTTP, compared with a stored snapshot (status, security headers
and the whole body): the pages' markup, escaping, CSRF fields and CSP nonces must not change by
accident. Random values (nonces, tokens, job ids, dates, the temporary folder) are replaced by
placeholders before comparing.

After an intended change of a page, write the snapshots again with
``CAREGUIDE_TEST_UPDATE_SNAPSHOTS=1 pytest tests/integration/ui/workspace/test_snapshots_http.py`` and
review the difference.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import httpx
import pytest

from careguide.review import MaterialCitation
from careguide.ui.workspace import Workspace
from tests.integration.ui.conftest import CHUNKS, App, csrf, sign_in

pytestmark = pytest.mark.integration

SNAPSHOTS = Path(__file__).parent / "snapshots"
HEADERS = ("content-type", "content-security-policy", "cache-control", "x-frame-options", "location")
TRICKY = "Asthma <b>\"quoted\" & 'single'</b>"

RANDOM = [
    (re.compile(r"nonce(=\"|-)[A-Za-z0-9_-]+"), r"nonce\1NONCE"),
    (re.compile(r'name="(csrf|token)" value="[^"]+"'), r'name="\1" value="TOKEN"'),
    (re.compile(r"jobs/[A-Za-z0-9_-]{16}"), "jobs/JOB"),
    (re.compile(r'"id":"[A-Za-z0-9_-]{16}"'), '"id":"JOB"'),
    (re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC"), "DATE UTC"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00)?"), "DATETIME"),
    (re.compile(r"\(version (\d+), \d{4}-\d{2}-\d{2}\)"), r"(version \1, DATE)"),  # an export's approval day
]


def normalised(response: httpx.Response, tmp: Path) -> str:
    lines = [f"status: {response.status_code}"]
    lines += [f"{name}: {response.headers[name]}" for name in HEADERS if name in response.headers]
    text = "\n".join(lines) + "\n\n" + response.text
    text = text.replace(str(tmp), "TMP")
    for pattern, replacement in RANDOM:
        text = pattern.sub(replacement, text)
    return text


class Snapshots:
    def __init__(self, tmp: Path, group: str) -> None:
        self.tmp = tmp
        self.folder = SNAPSHOTS / group
        self.seen: list[str] = []
        self.different: list[str] = []

    def check(self, name: str, response: httpx.Response) -> None:
        assert name not in self.seen, name
        self.seen.append(name)
        actual = normalised(response, self.tmp)
        path = self.folder / f"{name}.txt"
        if os.environ.get("CAREGUIDE_TEST_UPDATE_SNAPSHOTS") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8", newline="")
            return
        expected = path.read_text(encoding="utf-8") if path.is_file() else "(no snapshot)"
        if actual != expected:
            (self.tmp / f"{name}.actual.txt").write_text(actual, encoding="utf-8", newline="")
            self.different.append(name)

    def done(self) -> None:
        assert not self.different, (
            f"pages differ from their snapshots: {self.different} (actual pages under {self.tmp})"
        )
        stored = {p.stem for p in self.folder.glob("*.txt")}
        assert stored == set(self.seen), f"snapshots without a page: {sorted(stored - set(self.seen))}"


def citation(n: int, chunk_id: str) -> MaterialCitation:
    c = CHUNKS[chunk_id]
    return MaterialCitation(
        n, chunk_id, c.title, c.source, c.url, c.text.split(". ")[0] + ".", c.organisation
    )


def hold(workspace: Workspace, kind, title: str, steps: list[str], material_id: int | None = None):
    """A job that stops half-way (one step skipped, one running, some text) until released."""
    release = threading.Event()

    def work(job) -> None:
        job.start_step(0)
        job.end_step(0, "skipped", "not in the knowledge base")
        job.start_step(1)
        job.add_partial('Asthma <is> a "chronic" disease')
        release.wait(30)

    job = workspace.jobs.submit(kind, "alice", title, steps, work, material_id)
    deadline = time.monotonic() + 10
    while not job.partial and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.partial
    return job, release


def eval_run(folder: Path, name: str, metrics: dict[str, float], report: bool = True) -> None:
    path = folder / name
    path.mkdir(parents=True)
    results = {
        "created": name, "git_commit": "0123456789abcdef", "suites": ["phi", "safety"], "limit": 10,
        "metrics": metrics, "collection": "careguide",
        "config": {"llm": {"backend": "llamacpp", "model": "qwen <small>"}},
    }  # fmt: skip
    (path / "results.json").write_text(json.dumps(results), encoding="utf-8")
    if report:
        (path / "report.html").write_text("<html></html>", encoding="utf-8")


def test_every_page_matches_its_snapshot(web, store, settings, tmp_path):
    shots = Snapshots(tmp_path, "signed-in")
    client = web.client
    get = client.get

    # Signing in
    shots.check("login", get("/workspace/login", params={"next": "/workspace/queue?status=all"}))
    shots.check("login-redirect", get("/workspace/materials/1", follow_redirects=False))
    page = get("/workspace/login")
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    wrong = {"username": "<alice>", "password": "nope", "token": token, "next": "/workspace"}
    shots.check("login-wrong", client.post("/workspace/login", data=wrong))
    shots.check("login-expired", client.post("/workspace/login", data=wrong | {"token": "x"}))

    # Material in every state
    what, treat = citation(1, "what-0"), citation(2, "treat-0")
    body = (
        "# Asthma\n\n## About asthma\n\nAsthma is a chronic disease that affects your airways [1]. "
        "It is treated with medicines [2]. Ask your care team about your plan. The moon is cheese [1]. "
        "Something uncited. A stray marker [7].\n\n- <script>alert(1)</script> listed [1]\n"
    )
    draft = store.create_material(
        TRICKY, "patients", "standard", "handout", body, [what, treat], 6.2, "alice"
    )
    store.edit(draft, body.replace("cheese", "rock"), "alice", "Fix <the> moon", [what, treat], 6.0)
    approved = store.create_material(
        "gout", "caregivers", "simpler", "faq", "Gout [1].", [what], 9.1, "alice"
    )
    store.decide(approved, "approve", "root", "Looks <good>")
    rejected = store.create_material("acne", "parents", "standard", "handout", "Acne.", [], None, "alice")
    store.decide(rejected, "reject", "root", "No sources")
    store.add_feedback("conv-1", "What is <asthma>?", 'Asthma is a "bone" disease.', -1, "Wrong!")
    store.flag("How much insulin?", "Take 40 units.", "unverified number removed " + "x" * 200)

    assert sign_in(client, "alice").status_code == 303
    token = csrf(get("/workspace").text)
    running, release = hold(
        web.workspace, "generate", "Draft: <asthma>", ["What is asthma?", "Symptoms?", "Causes?"]
    )
    shots.check("dashboard-with-job", get("/workspace"))
    shots.check("job-running", get(f"/workspace/jobs/{running.id}"))
    shots.check("api-job-running", get(f"/workspace/api/jobs/{running.id}"))
    release.set()
    assert web.workspace.jobs.wait(running, 10)
    shots.check("job-done", get(f"/workspace/jobs/{running.id}"))
    failed = web.workspace.jobs.submit("generate", "alice", "Draft: gout", ["What is gout?"],
                                       lambda job: job.finish("failed", "No <answer>."))  # fmt: skip
    assert web.workspace.jobs.wait(failed, 10)
    shots.check("job-failed", get(f"/workspace/jobs/{failed.id}"))
    shots.check("dashboard", get("/workspace"))
    shots.check("dashboard-drafts", get("/workspace", params={"status": "draft"}))
    shots.check("dashboard-approved-bad-filter", get("/workspace", params={"status": "<x>"}))
    shots.check("new", get("/workspace/new"))
    bad = {"csrf": token, "topic": "asthma", "audience": "aliens 'x' \"y\"", "format": "handout"}
    shots.check("generate-bad-audience", client.post("/workspace/generate", data=bad))
    shots.check("generate-empty", client.post("/workspace/generate", data=bad | {"topic": "  ", "audience": "patients"}))  # fmt: skip
    shots.check("material-draft", get(f"/workspace/materials/{draft}"))
    shots.check("material-approved", get(f"/workspace/materials/{approved}"))
    shots.check("material-rejected", get(f"/workspace/materials/{rejected}"))
    shots.check("history", get(f"/workspace/materials/{draft}/history"))
    shots.check("history-approved", get(f"/workspace/materials/{approved}/history"))
    shots.check("api-materials", get("/workspace/api/materials"))
    shots.check("api-material", get(f"/workspace/api/materials/{draft}"))
    shots.check("export-md", get(f"/workspace/materials/{approved}/export/md"))
    shots.check("export-unknown", get(f"/workspace/materials/{approved}/export/doc"))
    shots.check("export-draft", get(f"/workspace/materials/{draft}/export/md"))
    edit = {"csrf": token, "body": "<script>x</script> [1]", "change_note": "a\nb <i>", "version": "1"}
    shots.check("edit-conflict", client.post(f"/workspace/materials/{draft}/edit", data=edit))
    shots.check("edit-unchanged", client.post(f"/workspace/materials/{draft}/edit", data=edit | {"version": "2", "body": body.replace("cheese", "rock")}))  # fmt: skip
    decide = {"csrf": token, "decision": "maybe", "comment": "<hmm>", "version": "2"}
    shots.check("decide-unknown", client.post(f"/workspace/materials/{draft}/decide", data=decide))
    shots.check("decide-own", client.post(f"/workspace/materials/{draft}/decide", data=decide | {"decision": "approve"}))  # fmt: skip
    shots.check("decide-stale", client.post(f"/workspace/materials/{draft}/decide", data=decide | {"version": "1"}))  # fmt: skip
    publishing, release = hold(web.workspace, "publish", "Index: gout", ["Index"], approved)
    shots.check("material-publishing", get(f"/workspace/materials/{approved}"))
    release.set()
    assert web.workspace.jobs.wait(publishing, 10)
    shots.check("material-published-done", get(f"/workspace/materials/{approved}"))
    shots.check("publish-refused", client.post(f"/workspace/materials/{draft}/publish", data={"csrf": token}))
    shots.check("material-missing", get("/workspace/materials/999"))
    shots.check("job-missing", get("/workspace/jobs/nope"))
    shots.check("api-missing", get("/workspace/api/materials/999"))
    shots.check("csrf-refused", client.post(f"/workspace/materials/{draft}/publish", data={"csrf": "x"}))

    # Review queue
    shots.check("queue", get("/workspace/queue"))
    shots.check("queue-all", get("/workspace/queue", params={"status": "all"}))
    items = store.queue("open")
    shots.check("queue-item", get(f"/workspace/queue/{items[0].id}"))
    note = {"csrf": token, "annotation": "Wrong <organ>.", "label": "made-up", "expected_answer": "x"}
    shots.check("annotate-bad", client.post(f"/workspace/queue/{items[0].id}/annotate", data=note))
    shots.check("annotated", client.post(f"/workspace/queue/{items[0].id}/annotate", data=note | {"label": "incorrect"}))  # fmt: skip
    shots.check("queue-item-done", get(f"/workspace/queue/{items[0].id}"))
    shots.check("queue-missing", get("/workspace/queue/999"))
    shots.check("users-refused", get("/workspace/users"))
    shots.check("evaluation-refused", get("/workspace/evaluation"))
    shots.check("signed-out", client.post("/workspace/logout", data={"csrf": token}))

    # Administrators
    assert sign_in(client, "root").status_code == 303
    token = csrf(get("/workspace").text)
    shots.check("users", get("/workspace/users"))
    user = {"csrf": token, "username": "<bob>", "password": "short", "role": "admin"}
    shots.check("users-bad", client.post("/workspace/users", data=user))
    shots.check("users-added", client.post("/workspace/users", data=user | {"username": "bob", "password": "long enough pw"}))  # fmt: skip
    shots.check("users-unlock", client.post("/workspace/users/bob/unlock", data={"csrf": token}))
    shots.check("users-sign-out", client.post("/workspace/users/bob/sign-out", data={"csrf": token}))
    shots.check("evaluation-empty", get("/workspace/evaluation"))
    reports = settings.reports_dir
    eval_run(reports, "20260101-000000", {"phi.recall": 0.9, "phi.f2": 0.8}, report=False)
    eval_run(reports, "20260102-000000", {"phi.recall": 0.5, "phi.f2": 0.81, "safety.x": 1.0})
    shots.check("evaluation", get("/workspace/evaluation"))
    (reports / "20260103-000000").mkdir()
    (reports / "20260103-000000" / "results.json").write_text("{", encoding="utf-8")
    shots.check("evaluation-damaged", get("/workspace/evaluation"))
    shots.check("evaluation-report", get("/workspace/evaluation/20260102-000000/report.html"))
    shots.check("evaluation-report-missing", get("/workspace/evaluation/20260101-000000/report.html"))
    shots.done()


def test_pages_without_a_model_match_their_snapshots(settings, store, tmp_path):
    shots = Snapshots(tmp_path, "no-model")
    app = App(settings, store, None)
    try:
        assert sign_in(app.client, "alice").status_code == 303
        token = csrf(app.client.get("/workspace").text)
        shots.check("nomodel-new", app.client.get("/workspace/new"))
        form = {"csrf": token, "topic": "asthma", "audience": "patients", "format": "faq"}
        shots.check("nomodel-generate", app.client.post("/workspace/generate", data=form))
    finally:
        app.workspace.close()
    shots.done()
