"""A real clinician workspace for tests: a small index of real MedQuAD files, the real guardrails,
a review database on SQLite with two accounts, and the embedded llama.cpp server with the 0.5B
model (started through ``careguide.models.open_backend``, as ``careguide serve`` does).

Used by ``tests/integration/ui/workspace/test_model.py`` (over FastAPI's test client) and
``tests/e2e/test_workspace.py`` (in chromium, served by uvicorn in a thread).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from careguide.config import Settings, VectorStoreSettings, load_settings
from careguide.guardrails import Guardrails, open_guardrails
from careguide.ingest import Chunker, KnowledgeBase, ingest, load_embedder
from careguide.models import Backend, open_backend
from careguide.rag import Assistant, Retriever, client_for, open_assistant
from careguide.review import ReviewStore, open_review_store
from careguide.ui.workspace import Workspace, add_workspace

TEST_MODEL = "qwen2.5-coder-0.5b-instruct"
CLINIC = "Example Clinic"
PASSWORD = "clinician password"
MEDQUAD_FILES = (
    "3_GHR_QA/0000001.xml",  # Aarskog-Scott syndrome
    "5_NIDDK_QA/0000001.xml",  # acromegaly
    "9_CDC_QA/0000397.xml",  # taeniasis
    "6_NINDS_QA/0000007.xml",  # Holmes-Adie
)
DRAFT_TIMEOUT_S = 1800
"""Four questions to the 0.5B model on two cores shared with other work (about 3 to 15 minutes)."""


@dataclass
class Kit:
    """The workspace's real components; ``app()`` builds a FastAPI app around them."""

    settings: Settings
    store: ReviewStore
    retriever: Retriever
    backend: Backend
    assistant: Assistant
    guard: Guardrails
    reloads: list[float] = field(default_factory=list)
    workspaces: list[Workspace] = field(default_factory=list)

    def reload(self) -> None:
        """The retriever's knowledge base reread after a publication: the workspace here publishes
        through a knowledge base of its own (the app hands it the retriever's), as another process
        would."""
        assert self.retriever.knowledge is not None
        self.retriever.knowledge.refresh()
        self.reloads.append(time.time())

    def app(self) -> tuple[FastAPI, Workspace]:
        app = FastAPI(title="careguide workspace (test)")
        workspace = add_workspace(
            app,
            self.settings,
            self.store,
            lambda: self.assistant,
            self.reload,
            guard=lambda: self.guard,
            secret=b"w" * 32,
        )
        self.workspaces.append(workspace)
        return app, workspace

    def close(self) -> None:
        for workspace in self.workspaces:
            workspace.close()
        self.backend.close()
        self.store.close()


@contextmanager
def open_kit(root: Path) -> Iterator[Kit]:
    """Index the sample under ``root``, start the model server, open the review database."""
    base = load_settings()
    sample = root / "medquad"
    sample.mkdir(parents=True, exist_ok=True)
    for name in MEDQUAD_FILES:
        shutil.copy(base.medquad_dir / name, sample / name.replace("/", "-"))
    settings = base.model_copy(
        update={
            "index_dir": root / "index",
            "vector_store": VectorStoreSettings(collection="workspace-test"),
            # A running server named by CAREGUIDE_LLM__BASE_URL is attached to; else one is started.
            "llm": base.llm.model_copy(update={"model": TEST_MODEL}),
            # A draft waits for the model: under load its first token can come after the patient
            # chat's deadline, and the extract would then be kept without anything streamed.
            "answer": base.answer.model_copy(update={"model_deadline_s": None}),
            "review": base.review.model_copy(
                # One clinician drafts and approves here; the second approval is tested over HTTP.
                update={
                    "database_url": f"sqlite:///{root / 'review.db'}",
                    "clinic_name": CLINIC,
                    "second_approval": False,
                }
            ),
        }
    )
    knowledge = KnowledgeBase.open(settings)
    embedder = load_embedder(settings.embedding)
    chunker = Chunker(embedder.count_tokens, settings.chunking.max_tokens, settings.chunking.overlap_tokens)
    ingest([sample], knowledge, embedder, chunker)
    retriever = Retriever.open(settings.retrieval, knowledge, embedder)
    guard = open_guardrails(settings, audit=False, knowledge=knowledge)
    store = open_review_store(settings.review.database_url, bcrypt_rounds=4)
    store.add_user("alice", PASSWORD, "clinician")
    store.add_user("root", PASSWORD, "admin")
    backend = open_backend(settings, log_dir=root / "logs")
    assistant = open_assistant(settings, retriever, client_for(backend, settings.llm.request_timeout_s))
    kit = Kit(settings, store, retriever, backend, assistant, guard)
    try:
        yield kit
    finally:
        kit.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn in a background thread on a free loopback port; yields its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="careguide-workspace-test", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("The workspace app did not start within 60 s; see the log above.")
        time.sleep(0.1)
    httpx.get(f"{url}/workspace/login", timeout=10).raise_for_status()
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
