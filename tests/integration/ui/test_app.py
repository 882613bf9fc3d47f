"""The web app over HTTP (FastAPI's test client), on a real index of real MedQuAD files."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from careguide.ingest import ChromaStore, ingest
from careguide.rag import Retriever
from careguide.ui import create_app

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_search_page_and_api(settings, embedder, chunker, medquad_sample):
    store = ChromaStore(settings)
    ingest([medquad_sample], store, embedder, chunker)
    client = TestClient(create_app(settings, Retriever.open(settings.retrieval, store, embedder)))

    page = client.get("/", params={"q": "symptoms of acromegaly"})
    assert page.status_code == 200
    assert "not medical advice" in page.text and "CC BY 4.0" in page.text
    assert "acromegaly" in page.text.lower() and "niddk.nih.gov" in page.text

    api = client.get("/v1/search", params={"q": "holmes-adie pupil", "k": 2})
    assert api.status_code == 200
    assert api.json()[0]["answer_id"].startswith("NINDS_0000007")

    assert client.get("/v1/search", params={"q": "x", "where": "colour=red"}).status_code == 400
    too_long = client.get("/v1/search", params={"q": "a" * 50_000})
    assert too_long.status_code == 422
    assert client.get("/", params={"q": "<script>alert(1)</script>"}).text.count("<script>") == 0
