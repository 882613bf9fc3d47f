"""Shared by the workspace's HTTP tests (``workspace/test_*_http.py``): the workspace on FastAPI's
test client over a real SQLite review database with two accounts (a clinician and an
administrator), a scripted assistant that drafts from two fixed passages, and sign-in helpers.

``settings`` here (a fresh review database and reports folder) replaces, for the tests in this
folder, the integration-wide fixture of the same name.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from careguide.config import ReviewSettings, Settings, VectorStoreSettings, load_settings
from careguide.guardrails import AuditLog
from careguide.ingest import Chunk
from careguide.rag import ABSTENTION, Answer, Citation, Passage
from careguide.review import ReviewStore, open_review_store
from careguide.ui.workspace import Workspace, add_workspace

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
        self.audit = AuditLog(settings.reports_dir.parent / "audit.jsonl")
        self.published: list[int] = []
        self.workspace: Workspace = add_workspace(
            self.app,
            settings,
            store,
            (lambda: assistant) if assistant is not None else None,
            on_publish=lambda: self.published.append(1),
            passages=lambda ids: {i: CHUNKS[i].text for i in ids if i in CHUNKS},
            secret=b"x" * 32,
            audit=lambda: self.audit,
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
