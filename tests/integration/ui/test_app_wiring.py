"""The served app carries the clinician workspace on the review database (as `careguide serve`
builds it), and the workspace refuses visitors without a session."""

from __future__ import annotations

from fastapi.testclient import TestClient

from careguide.config import load_settings
from careguide.ingest import KnowledgeBase
from careguide.rag import Retriever
from careguide.review import open_review_store
from careguide.ui import create_app


def test_serve_wiring_mounts_the_workspace_behind_a_login(tmp_path):
    base = load_settings()
    settings = base.model_copy(
        update={
            "index_dir": tmp_path / "index",
            "review": base.review.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'review.db'}"}),
        }
    )
    store = open_review_store(settings.review.database_url, bcrypt_rounds=4)
    try:
        app = create_app(settings, feedback=store)
        client = TestClient(app)  # no lifespan: no model is started for this check
        page = client.get("/workspace", follow_redirects=False)
        assert page.status_code == 303 and "/workspace/login" in page.headers["location"]
        assert client.get("/workspace/login").status_code == 200
        # without the review database the app serves the patient side only
        assert not any(getattr(r, "path", "").startswith("/workspace") for r in create_app(settings).routes)
    finally:
        store.close()


def test_the_workspace_publishes_into_the_apps_knowledge_base(tmp_path):
    base = load_settings()
    settings = base.model_copy(
        update={
            "index_dir": tmp_path / "index",
            "review": base.review.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'review.db'}"}),
        }
    )
    knowledge = KnowledgeBase.open(settings)
    retriever = Retriever(settings.retrieval, None, None)
    retriever.knowledge = knowledge
    store = open_review_store(settings.review.database_url, bcrypt_rounds=4)
    try:
        handed = create_app(settings, feedback=store, knowledge=knowledge).state.workspace
        assert handed.knowledge() is knowledge
        followed = create_app(settings, retriever, feedback=store).state.workspace
        assert followed.knowledge() is knowledge  # the one the app's retriever follows
        # Not started yet, nothing handed in: publishing opens the configured collection.
        assert create_app(settings, feedback=store).state.workspace.knowledge() is None
    finally:
        store.close()
