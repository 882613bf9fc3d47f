"""The app's defences over HTTP: links only to web addresses, security headers and a script
policy on every page, no CORS unless configured, no uploads, no API docs from a CDN, and 4xx (never
5xx) for strange input. The real guardrails (Presidio and spaCy: the part that crashed on lone
surrogates) and the real Gradio chat; the retriever finds nothing relevant, so no model is needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from careguide.config import Settings, WebSettings, load_settings
from careguide.guardrails import Guardrails, open_guardrails
from careguide.ingest import Chunk
from careguide.models import Backend
from careguide.rag import Passage, SearchResult
from careguide.ui import create_app

pytestmark = pytest.mark.integration

EVIL = "javascript:fetch('/workspace/users',{method:'POST'})"


def chunk(url: str, n: int) -> Chunk:
    return Chunk(f"c{n}", f"d{n}", f"k{n}", 0, 1, "Acromegaly is a hormonal disorder.", "Acromegaly",
                 "", "medquad", "NIDDK", url, "CC BY 4.0")  # fmt: skip


class Passages:
    """A knowledge base whose documents carry hostile addresses, all too dissimilar to answer from
    (so answers abstain before any model is asked)."""

    def __init__(self) -> None:
        self.found = [
            Passage(chunk(EVIL, 1), 0.05),
            Passage(chunk("file:///srv/careguide/data/approved/3.md", 2), 0.05),
            Passage(chunk("https://www.niddk.nih.gov/acromegaly", 3), 0.05),
        ]

    def search(self, question: str, k: int | None = None, where: object = None) -> SearchResult:
        return SearchResult(self.found, 0.05)

    def search_many(self, questions: list[str], k: int | None = None, where: object = None,
                    mode: object = None) -> list[list[Passage]]:  # fmt: skip
        return [self.found for _ in questions]


def no_model(settings: Settings) -> Backend:
    return Backend("openai", "local", "http://127.0.0.1:9/v1")


@pytest.fixture(scope="module")
def guard() -> Guardrails:
    return open_guardrails(load_settings(), audit=False)


def app_client(guard: Guardrails, web: WebSettings | None = None) -> TestClient:
    settings = load_settings().model_copy(update={"web": web or WebSettings()})
    return TestClient(create_app(settings, Passages(), guard=guard, opener=no_model))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client(guard: Guardrails) -> Iterator[TestClient]:
    with app_client(guard) as client:
        yield client


def test_only_web_addresses_become_links_and_server_paths_are_not_shown(client: TestClient) -> None:
    page = client.get("/search", params={"q": "acromegaly"}).text
    assert 'href="https://www.niddk.nih.gov/acromegaly"' in page
    assert not re.search(r'href="\s*javascript', page, re.IGNORECASE)
    assert "javascript:fetch" in page  # shown as text, escaped
    assert "file:///" not in page and "/srv/careguide" not in page


def policy(response: object) -> dict[str, str]:
    header = response.headers["content-security-policy"]  # type: ignore[attr-defined]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("path", ["/", "/search?q=acromegaly", "/healthz", "/openapi.json"])
def test_every_page_has_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    directives = policy(response)
    assert "frame-ancestors 'none'" in directives["frame-ancestors"]
    scripts = directives.get("script-src", directives["default-src"])
    assert "unsafe-inline" not in scripts
    if path != "/":  # Gradio's HTML components need eval (see web_security.EVAL_PATHS)
        assert "unsafe-eval" not in scripts


def test_the_chat_page_s_own_scripts_carry_the_page_nonce_and_nothing_else_runs(client: TestClient) -> None:
    response = client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", policy(response)["script-src"]).group(1)  # type: ignore[union-attr]
    tags = re.findall(r"<script\b[^>]*>", response.text)
    assert tags and all(f'nonce="{nonce}"' in tag or "src=" in tag for tag in tags)
    assert client.get("/").headers["content-security-policy"] != response.headers["content-security-policy"]
    script = client.get("/careguide-assets/chat.js")
    assert script.status_code == 200 and "careguideChat" in script.text


def test_api_docs_are_not_served_from_a_cdn(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        response = client.get(path)
        assert "cdn.jsdelivr" not in response.text and "swagger-ui-bundle" not in response.text
    assert "/v1/answer" in client.get("/openapi.json").json()["paths"]


def test_no_cross_origin_access_unless_configured(client: TestClient, guard: Guardrails) -> None:
    origin = {"Origin": "http://localhost:5173"}
    for path in ("/", "/gradio_api/info", "/healthz"):
        assert "access-control-allow-origin" not in client.get(path, headers=origin).headers
    preflight = client.options("/v1/answer", headers=origin | {"Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    portal = WebSettings(cors_origins=("https://portal.example.org",))
    with app_client(guard, portal) as allowed:
        response = allowed.get("/healthz", headers={"Origin": "https://portal.example.org"})
        assert response.headers["access-control-allow-origin"] == "https://portal.example.org"
        other = allowed.get("/healthz", headers=origin)
        assert "access-control-allow-origin" not in other.headers


def test_the_chat_accepts_no_uploads(client: TestClient) -> None:
    for path in ("/gradio_api/upload", "/upload"):
        response = client.post(path, files={"files": ("big.bin", b"\0" * 2_000_000)})
        assert response.status_code == 404


HOSTILE = [
    {"question": "\ud800"},
    {"question": "what is acromegaly?\udfff"},
    {"question": " " * 1_200_000 + "what is acromegaly?" + "\n" * 10_000},
    {"question": "what is acromegaly?", "history": [" " * 1_200_000 + "hi", "\ud83d"]},
    {"question": "what is acromegaly?", "conversation_id": "\ud800jane"},
    {"question": "\x00\x01\x1b[31m what\u0085 is\u2028acromegaly?"},
    {"question": ""},
    {"question": "a" * 1_500_000},
]


def post(client: TestClient, path: str, body: dict[str, object]) -> object:
    """JSON as a client may send it: ASCII with \\u escapes, lone surrogates included."""
    return client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("path", ["/v1/answer", "/v1/answer/stream"])
def test_strange_input_gets_an_answer_or_one_sentence_never_a_500(
    client: TestClient, body: dict[str, object], path: str
) -> None:
    response = post(client, path, body)
    assert response.status_code < 500, response.text[:300]
    if response.status_code >= 400:
        text = response.json()["message"]
        assert text.endswith(".") and "Traceback" not in text
    elif path.endswith("stream"):
        assert "event: answer" in response.text


def test_padding_does_not_hide_an_oversized_question(client: TestClient) -> None:
    response = client.post("/v1/answer", json={"question": "  " + "a" * 4_001 + "  "})
    assert response.status_code == 413


@hyp_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    question=st.text(max_size=300),
    history=st.lists(st.text(max_size=80), max_size=4),
    conversation_id=st.text(max_size=40),
    level=st.sampled_from(["standard", "simpler", "other"]),
)
def test_any_text_in_any_field_is_never_a_server_error(
    client: TestClient, question: str, history: list[str], conversation_id: str, level: str
) -> None:
    body = {"question": question, "history": history, "conversation_id": conversation_id,
            "reading_level": level}  # fmt: skip
    assert post(client, "/v1/answer", body).status_code < 500  # type: ignore[attr-defined]


def test_files_written_hold_no_client_identifier_or_phi_and_only_their_owner_reads_them(
    guard: Guardrails, tmp_path
) -> None:
    from careguide.config import ReviewSettings
    from careguide.guardrails import AuditLog

    audit = tmp_path / "logs" / "audit.jsonl"
    base = load_settings()
    settings = base.model_copy(
        update={"review": ReviewSettings(database_url=f"sqlite:///{tmp_path / 'data' / 'careguide.db'}")}
    )
    guard.audit = AuditLog(audit)
    try:
        with TestClient(create_app(settings, Passages(), guard=guard, opener=no_model)) as client:  # type: ignore[arg-type]
            body = {
                "question": "I'm Maria Lopez, MRN 5550123. What is acromegaly?",
                "history": ["My SSN is 123-45-6789 and I have headaches"],
                "conversation_id": "jane-roe-mrn-88812345",
            }
            assert client.post("/v1/answer", json=body).status_code == 200
    finally:
        guard.audit = None
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert audit in files and any(p.name == "careguide.db" for p in files)
    for path in files:
        data = path.read_bytes()
        for secret in ("jane-roe", "88812345", "Maria Lopez", "5550123", "123-45-6789"):
            assert secret.encode() not in data, f"{secret!r} found in {path}"
        assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"
    for line in audit.read_text().splitlines():  # every field of every entry
        entry = json.loads(line)
        assert all("88812345" not in json.dumps(value) for value in entry.values())
