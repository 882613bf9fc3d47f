"""A real careguide web app for tests and screenshots: a small index of real MedQuAD files, the real
guardrails, the review database on SQLite and a real llama.cpp server with the 0.5B model."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from careguide.config import EmbeddingSettings, Settings, VectorStoreSettings, load_settings
from careguide.guardrails import AuditLog, Guardrails, open_guardrails
from careguide.ingest import Chunker, KnowledgeBase, ingest, load_embedder
from careguide.models import pull
from careguide.models.server import LlamaServer
from careguide.rag import Retriever
from careguide.review import ReviewStore, open_review_store

TEST_MODEL = "qwen2.5-coder-0.5b-instruct"
MEDQUAD_FILES = (
    "3_GHR_QA/0000001.xml",  # Aarskog-Scott syndrome
    "5_NIDDK_QA/0000001.xml",  # acromegaly
    "9_CDC_QA/0000397.xml",  # taeniasis
    "6_NINDS_QA/0000007.xml",  # Holmes-Adie
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Knowledge:
    """A fresh index of a few real MedQuAD files, with the settings that point at it."""

    settings: Settings
    retriever: Retriever
    guard: Guardrails
    audit: Path


def build_knowledge(root: Path, llm_url: str | None = None) -> Knowledge:
    """Index the sample files under ``root`` and open the retriever and guardrails over them."""
    base = load_settings()
    sample = root / "medquad"
    sample.mkdir(parents=True, exist_ok=True)
    for name in MEDQUAD_FILES:
        shutil.copy(base.medquad_dir / name, sample / name.replace("/", "-"))
    settings = base.model_copy(
        update={
            "index_dir": root / "index",
            "vector_store": VectorStoreSettings(collection="ui-test"),
            "llm": base.llm.model_copy(update={"model": TEST_MODEL, "base_url": llm_url}),
            # The tests read the model's streamed draft: a loaded machine must not cut it off.
            "answer": base.answer.model_copy(update={"model_deadline_s": None}),
            "review": base.review.model_copy(update={"database_url": f"sqlite:///{root / 'review.db'}"}),
        }
    )
    knowledge = KnowledgeBase.open(settings)
    embedder = load_embedder(EmbeddingSettings())
    ingest([sample], knowledge, embedder, Chunker(embedder.count_tokens, max_tokens=200, overlap_tokens=40))
    retriever = Retriever.open(settings.retrieval, knowledge, embedder)
    guard = open_guardrails(settings, audit=False, knowledge=knowledge)
    audit = root / "audit.jsonl"
    guard.audit = AuditLog(audit)
    return Knowledge(settings, retriever, guard, audit)


@contextmanager
def llama_server(log: Path) -> Iterator[LlamaServer]:
    """The real llama.cpp server with the small model (fast enough for tests on 2 cores)."""
    with LlamaServer(pull(TEST_MODEL), log) as server:
        server.ensure_running()
        yield server


def with_llm(settings: Settings, url: str | None) -> Settings:
    return settings.model_copy(update={"llm": settings.llm.model_copy(update={"base_url": url})})


def review_store(settings: Settings) -> ReviewStore:
    return open_review_store(settings.review.database_url)


def feedback_rows(settings: Settings) -> list[dict[str, object]]:
    """What the review database holds in its feedback table, oldest first."""
    from sqlalchemy import text

    store = review_store(settings)
    try:
        with store.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT conversation_id, question, answer, rating, comment FROM feedback ORDER BY id")
            )
            return [dict(row._mapping) for row in rows]
    finally:
        store.close()


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn in a background thread on a free port; yields its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="careguide-test-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("The careguide app did not start within 120 s; see the log above.")
        time.sleep(0.1)
    httpx.get(f"{url}/healthz", timeout=10).raise_for_status()
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
