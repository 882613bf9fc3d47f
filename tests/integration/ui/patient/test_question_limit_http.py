"""One setting sizes a question everywhere: ``max_message_chars`` of the guardrails policy. Raising
it raises the limit of the REST API (and its refusal's words), the search page and the search API,
the Assistant and the guardrails' own check; the default refuses the same question. The app opens
its guardrails from the settings' policy file; the retriever finds nothing relevant, so no model
is asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from careguide.config import ReviewSettings, Settings, VectorStoreSettings, load_settings
from careguide.guardrails.settings import DEFAULT_POLICY
from tests.integration.ui.test_web_security import Passages, no_model

pytestmark = pytest.mark.integration

QUESTION = "What are the symptoms and treatments of diabetes? "
LONG = (QUESTION * 100)[:4_999] + "?"  # 5,000 characters of a health question


def limited(root: Path, max_chars: int) -> Settings:
    """Settings whose guardrails policy allows questions of ``max_chars`` characters."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    policy |= {"max_message_chars": max_chars, "audit_log": str(root / "audit.jsonl")}
    path = root / "guardrails.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    return load_settings().model_copy(
        update={
            "guardrails": path,
            "index_dir": root / "index",
            "vector_store": VectorStoreSettings(collection="question-limit"),
            "review": ReviewSettings(database_url=f"sqlite:///{root / 'review.db'}"),
        }
    )


def client(root: Path, max_chars: int) -> Iterator[TestClient]:
    from careguide.ui import create_app

    app = create_app(limited(root, max_chars), Passages(), opener=no_model)  # type: ignore[arg-type]
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def raised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    yield from client(tmp_path_factory.mktemp("raised"), 6_000)


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    yield from client(tmp_path_factory.mktemp("default"), 4_000)


def test_a_raised_limit_accepts_a_longer_question_everywhere(raised: TestClient) -> None:
    for path in ("/v1/answer", "/v1/answer/stream"):
        response = raised.post(path, json={"question": LONG})
        assert response.status_code == 200, response.text[:300]
    record = raised.post("/v1/answer", json={"question": LONG, "history": [LONG]}).json()
    assert record["guard"]["input"]["action"] == "allow", record["guard"]  # the message_size check too
    page = raised.get("/search", params={"q": LONG})
    assert page.status_code == 200 and 'maxlength="6000"' in page.text
    assert raised.get("/v1/search", params={"q": LONG}).status_code == 200

    longer = raised.post("/v1/answer", json={"question": "a" * 7_000})
    assert longer.status_code == 413 and "under 6,000 characters" in longer.json()["message"]
    far = raised.post("/v1/answer", json={"question": "a" * 1_000_001})
    assert far.status_code == 422 and "under 6,000 characters" in far.json()["message"]
    assert raised.get("/search", params={"q": "a" * 6_001}).status_code == 422


def test_the_default_limit_refuses_the_same_question(default: TestClient) -> None:
    for path in ("/v1/answer", "/v1/answer/stream"):
        response = default.post(path, json={"question": LONG})
        assert response.status_code == 413
        assert "(5,000 characters)" in response.json()["message"]
        assert "under 4,000 characters" in response.json()["message"]
    page = default.get("/search", params={"q": "diabetes"})
    assert page.status_code == 200 and 'maxlength="4000"' in page.text
    assert default.get("/search", params={"q": LONG}).status_code == 422
    assert default.get("/v1/search", params={"q": LONG}).status_code == 422
