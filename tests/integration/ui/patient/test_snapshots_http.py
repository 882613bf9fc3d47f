"""The patient side over HTTP, compared with stored snapshots (status, security headers and the
whole body): the search page, the REST API's answers and refusals, /healthz and the OpenAPI schema
must not change by accident. Real guardrails; the knowledge base is the hostile one of
``test_web_security`` (passages too dissimilar to answer from, so no model is asked). Timings,
nonces and what /healthz says about this machine are replaced by placeholders before comparing.

After an intended change, write the snapshots again with
``CAREGUIDE_TEST_UPDATE_SNAPSHOTS=1 pytest tests/integration/ui/patient/test_snapshots_http.py``
and review the difference.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from careguide.config import ReviewSettings, Settings, VectorStoreSettings, load_settings
from careguide.guardrails import open_guardrails
from careguide.rag import SearchResult
from careguide.ui import create_app
from tests.integration.ui.test_web_security import Passages, no_model
from tests.integration.ui.workspace import test_snapshots_http as workspace_snapshots

pytestmark = pytest.mark.integration

TRICKY = "acromegaly <b>\"quoted\" & 'single'</b>"
EMERGENCY = "my throat is closing after eating peanuts"
TIMINGS = re.compile(r'"timings": ?\{[^}]*\}')


class Snapshots(workspace_snapshots.Snapshots):
    """The workspace's snapshot files and placeholders, in this folder, with timings and the
    machine's /healthz parts replaced as well."""

    def __init__(self, tmp: Path, group: str) -> None:
        super().__init__(tmp, group)
        self.folder = Path(__file__).parent / "snapshots" / group

    def check(self, name: str, response: httpx.Response) -> None:
        super().check(name, Stable(response))


class Stable:
    """A response whose body has its random or machine-dependent parts replaced."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = response.headers
        text = TIMINGS.sub('"timings":"TIMINGS"', response.text)
        if response.request.url.path == "/healthz":
            health = json.loads(text)
            health["parts"] = [part["name"] for part in health["parts"]]
            text = json.dumps(health)
        self.text = text


class Searchable(Passages):
    """The hostile passages, and none for a question about bicycles."""

    def search(self, question: str, k: int | None = None, where: object = None) -> SearchResult:
        if "bicycle" in question:
            return SearchResult([], None)
        return super().search(question, k, where)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("patient")
    return load_settings().model_copy(
        update={
            "index_dir": root / "index",
            "vector_store": VectorStoreSettings(collection="patient-http"),
            "review": ReviewSettings(database_url=f"sqlite:///{root / 'review.db'}"),
        }
    )


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    guard = open_guardrails(settings, audit=False)
    app = create_app(settings, Searchable(), guard=guard, opener=no_model)  # type: ignore[arg-type]
    with TestClient(app) as client:
        yield client


def test_every_patient_route_matches_its_snapshot(client: TestClient, tmp_path: Path) -> None:
    shots = Snapshots(tmp_path, "patient")
    get, post = client.get, client.post

    # The search page and the search API
    shots.check("search-page", get("/search"))
    shots.check("search-page-query", get("/search", params={"q": TRICKY}))
    shots.check("search-page-nothing", get("/search", params={"q": "bicycle brakes"}))
    shots.check("search-page-too-long", get("/search", params={"q": "a" * 4_001}))
    shots.check("search-api", get("/v1/search", params={"q": "acromegaly", "k": 2}))
    shots.check("search-api-filter", get("/v1/search", params={"q": "x", "where": "colour=red"}))
    shots.check("search-api-empty", get("/v1/search", params={"q": ""}))
    shots.check("search-api-too-long", get("/v1/search", params={"q": "a" * 4_001}))

    # The answer API
    shots.check("answer", post("/v1/answer", json={"question": "What is acromegaly?"}))
    shots.check("answer-emergency", post("/v1/answer", json={"question": EMERGENCY}))
    shots.check("answer-empty", post("/v1/answer", json={"question": "  "}))
    shots.check("answer-too-long", post("/v1/answer", json={"question": "a" * 5_000}))
    shots.check("answer-history-too-long", post("/v1/answer", json={"question": "What is acromegaly?", "history": ["b" * 4_001]}))  # fmt: skip
    shots.check("answer-far-too-long", post("/v1/answer", json={"question": "a" * 1_000_001}))
    shots.check("answer-invalid", post("/v1/answer", json={"question": "hi", "colour": "red"}))
    shots.check("answer-level", post("/v1/answer", json={"question": "hi", "reading_level": "hard"}))
    shots.check("answer-stream", post("/v1/answer/stream", json={"question": "What is acromegaly?"}))
    shots.check("answer-stream-too-long", post("/v1/answer/stream", json={"question": "a" * 5_000}))

    # The rest
    shots.check("healthz", get("/healthz"))
    shots.check("openapi", get("/openapi.json"))
    shots.check("chat-script", get("/careguide-assets/chat.js"))
    shots.done()
