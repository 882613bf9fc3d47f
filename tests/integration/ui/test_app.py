"""The web app over HTTP (FastAPI's test client, lifespan included): a real index of real MedQuAD
files, the real guardrails, the review database on SQLite and a real llama.cpp server (0.5B model),
started once for the module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from careguide.config import Settings
from careguide.models import Backend, ModelError, open_backend
from careguide.models.server import LlamaServer
from careguide.rag import max_question_chars
from careguide.ui import create_app, record_feedback
from tests.integration.ui.harness import (
    Knowledge,
    build_knowledge,
    feedback_rows,
    free_port,
    llama_server,
    review_store,
    with_llm,
)

pytestmark = pytest.mark.integration

ACROMEGALY = "What are the symptoms of acromegaly?"
EMERGENCY = "my throat is closing after eating peanuts"
ANSWER_KEYS = {
    "question", "search_query", "reading_level", "answer", "citations", "abstained",
    "dropped_sentences", "mode", "timings", "guard",
}  # fmt: skip


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui")


@pytest.fixture(scope="module")
def llm(root: Path) -> Iterator[LlamaServer]:
    with llama_server(root / "llm.log") as server:
        yield server


@pytest.fixture(scope="module")
def knowledge(root: Path, llm: LlamaServer) -> Knowledge:
    return build_knowledge(root, llm.base_url)


@pytest.fixture(scope="module")
def client(knowledge: Knowledge) -> Iterator[TestClient]:
    app = create_app(knowledge.settings, knowledge.retriever, guard=knowledge.guard)
    with TestClient(app) as client:
        yield client


def dead_model(settings: Settings) -> Settings:
    """Settings whose model server URL answers nothing."""
    return with_llm(settings, f"http://127.0.0.1:{free_port()}/v1")


def events(body: str) -> list[tuple[str, dict[str, object]]]:
    """Server-sent events as (name, JSON data) pairs, in order."""
    parsed = []
    for block in body.strip().split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith(":")]  # keep-alive comments
        if lines:
            fields = dict(line.split(": ", 1) for line in lines)
            parsed.append((fields["event"], json.loads(fields["data"])))
    return parsed


def audit_lines(knowledge: Knowledge) -> int:
    return len(knowledge.audit.read_text().splitlines()) if knowledge.audit.exists() else 0


def test_search_page_api_and_chat_page(client: TestClient) -> None:
    page = client.get("/search", params={"q": "symptoms of acromegaly"})
    assert page.status_code == 200
    assert "not medical advice" in page.text and "CC BY 4.0" in page.text
    assert "acromegaly" in page.text.lower() and "niddk.nih.gov" in page.text
    assert 'action="/search"' in page.text

    api = client.get("/v1/search", params={"q": "holmes-adie pupil", "k": 2})
    assert api.status_code == 200 and api.json()[0]["answer_id"].startswith("NINDS_0000007")
    assert client.get("/v1/search", params={"q": "x", "where": "colour=red"}).status_code == 400
    assert client.get("/v1/search", params={"q": "a" * 50_000}).status_code == 422
    assert client.get("/search", params={"q": "<script>alert(1)</script>"}).text.count("<script>") == 0

    chat = client.get("/")
    assert chat.status_code == 200 and "careguide" in chat.text
    assert "fonts.googleapis" not in chat.text
    health = client.get("/healthz").json()
    assert (health["status"], health["model"], health["model_problem"]) == ("ok", "ready", "")
    parts = {part["name"]: part for part in health["parts"]}
    assert list(parts) == [
        "model runtime",
        "model file",
        "embedding model",
        "index",
        "review database",
        "Chroma",
        "free disk",
    ]
    assert parts["index"]["ok"] and "chunks" in str(parts["index"]["detail"])


def test_answer_is_guarded_json_with_checked_citations(client: TestClient) -> None:
    response = client.post("/v1/answer", json={"question": ACROMEGALY, "conversation_id": "t1"})
    assert response.status_code == 200
    record = response.json()
    assert set(record) == ANSWER_KEYS and record["reading_level"] == "standard"
    assert not record["abstained"] and record["citations"]
    for citation in record["citations"]:
        assert citation["answer_id"].startswith("NIDDK_0000001") and citation["quote"]
        assert f"[{citation['n']}]" in record["answer"]
    assert record["guard"]["input"]["action"] == "allow" and record["guard"]["output"] is not None


def test_stream_sends_draft_tokens_then_the_answer(client: TestClient) -> None:
    body = {"question": ACROMEGALY, "reading_level": "simpler"}
    with client.stream("POST", "/v1/answer/stream", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    sent = events(text)
    names = [name for name, _ in sent]
    assert names[0] == "extract" and names[-1] == "answer" and set(names[1:-1]) == {"token"}
    assert sent[0][1]["citations"] and len(names) > 3  # the checked extract comes before any token
    draft = "".join(str(data["text"]) for name, data in sent if name == "token")
    answer = sent[-1][1]
    assert draft.strip() and set(answer) == ANSWER_KEYS and answer["reading_level"] == "simpler"


def test_history_is_redacted_before_use(client: TestClient) -> None:
    body = {
        "question": "What about the treatment for it?",
        "history": ["I'm John Smith and I have questions. What is acromegaly?"],
    }
    record = client.post("/v1/answer", json=body).json()
    assert "acromegaly" in str(record["search_query"]).lower()
    assert "John" not in json.dumps(record)


def test_too_long_question_is_refused_before_anything_reads_it(
    client: TestClient, knowledge: Knowledge
) -> None:
    before = audit_lines(knowledge)
    huge = "I'm John Smith. " + "a" * 50_000
    for path in ("/v1/answer", "/v1/answer/stream"):
        response = client.post(path, json={"question": huge})
        assert response.status_code == 413
        refusal = response.json()["message"]
        limit = max_question_chars(knowledge.settings)
        assert "too long" in refusal and f"{limit:,}" in refusal and refusal.count(". ") == 0
    history = client.post("/v1/answer", json={"question": "What is acromegaly?", "history": [huge]})
    assert history.status_code == 413
    assert audit_lines(knowledge) == before  # the guardrails (which audit every message) never saw it


def test_unreachable_model_gives_503_and_emergencies_still_work(knowledge: Knowledge) -> None:
    app = create_app(dead_model(knowledge.settings), knowledge.retriever, guard=knowledge.guard)
    with TestClient(app) as client:
        health = client.get("/healthz").json()
        assert health["model"] == "unavailable"
        assert "Cannot reach the LLM server" in health["model_problem"]  # for IT, not for patients
        # The sources still answer: the extract stands in for the model's answer.
        down = client.post("/v1/answer", json={"question": ACROMEGALY})
        assert down.status_code == 200
        assert down.json()["mode"] == "extractive (model unavailable)" and down.json()["citations"]
        streamed = events(client.post("/v1/answer/stream", json={"question": ACROMEGALY}).text)
        assert [name for name, _ in streamed] == ["extract", "answer"]
        unknown = client.post("/v1/answer", json={"question": "How do I fix the brakes on my bicycle?"})
        assert unknown.status_code == 200 and unknown.json()["abstained"]

        emergency = client.post("/v1/answer", json={"question": EMERGENCY})
        assert emergency.status_code == 200
        record = emergency.json()
        assert record["guard"]["input"]["action"] == "escalate" and "911" in record["answer"]
        assert record["citations"] == [] and record["guard"]["output"] is None


def test_failed_model_start_is_retried_on_the_next_question(knowledge: Knowledge) -> None:
    attempts: list[int] = []

    def flaky(settings: Settings) -> Backend:
        attempts.append(1)
        if len(attempts) <= 2:  # start-up and the first question fail
            raise ModelError("The LLM server exited while starting; see its log.")
        return open_backend(settings)

    app = create_app(knowledge.settings, knowledge.retriever, guard=knowledge.guard, opener=flaky)
    with TestClient(app) as client:
        first = client.post("/v1/answer", json={"question": ACROMEGALY})
        assert first.status_code == 200 and first.json()["mode"] == "extractive (model unavailable)"
        assert client.get("/healthz").json()["model"] != "ready"
        assert client.post("/v1/answer", json={"question": ACROMEGALY}).status_code == 200
        assert client.get("/healthz").json()["model"] == "ready"
    assert len(attempts) == 3


def test_feedback_comment_is_redacted_before_it_is_stored(knowledge: Knowledge) -> None:
    store = review_store(knowledge.settings)
    try:
        comment = "I'm John Smith, call me at 617-555-0199. The answer was confusing."
        record_feedback(
            store, knowledge.guard, "conv-1", "What is acromegaly?", "An answer [1].", -1, comment
        )
    finally:
        store.close()
    row = feedback_rows(knowledge.settings)[-1]
    assert row["rating"] == -1 and row["conversation_id"] == "conv-1"
    assert "John" not in str(row["comment"]) and "617-555-0199" not in str(row["comment"])
    assert "confusing" in str(row["comment"])
