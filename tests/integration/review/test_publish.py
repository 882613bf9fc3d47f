"""Approved handouts into a real index (Chroma, embedded and server) with the real embedding model,
then found again by the retriever patients' questions go through."""

from __future__ import annotations

import pytest

from careguide.ingest import KnowledgeBase, SourceInfo, ingest
from careguide.rag import open_retriever
from careguide.review import ReviewError, clinic_name, open_review_store, publish, unpublish

pytestmark = pytest.mark.integration

HANDOUT = """# Using a spacer with your inhaler

Shake the inhaler and attach it to the spacer. Breathe out, seal your lips around the spacer
mouthpiece, press the inhaler once and take five slow breaths.

## Cleaning the spacer

Wash the spacer once a week in warm soapy water and let it air dry; do not rub it with a towel.
"""
QUESTION = "How do I clean my asthma spacer?"


@pytest.fixture
def review(tmp_path):
    with open_review_store(f"sqlite:///{tmp_path / 'review.db'}", bcrypt_rounds=4) as store:
        yield store


def _clinic_hits(settings, question: str, k: int = 5):
    return [p for p in open_retriever(settings).search(question, k=k).passages if p.chunk.source == "clinic"]


def test_published_handout_is_retrieved_with_its_clinic(settings, embedder, chunker, medquad_sample, review):
    ingest([medquad_sample], KnowledgeBase.open(settings), embedder, chunker, SourceInfo(source="medquad"))
    material_id = review.create_material(
        "Using a spacer with your inhaler", "patients", "standard", "handout", HANDOUT, [], 6.0, "alice"
    )
    with pytest.raises(ReviewError, match="not approved"):
        publish(material_id, settings, review)
    review.decide(material_id, "approve", "carol")

    published = publish(material_id, settings, review)
    assert published.path == settings.index_dir.parent / "approved" / f"{material_id}.md"
    assert published.chunks_indexed >= 1

    hits = open_retriever(settings).search(QUESTION, k=3).passages
    top = hits[0].chunk
    assert top.source == "clinic" and top.title == "Using a spacer with your inhaler"
    assert (top.organisation, top.license, top.audience) == (
        clinic_name(settings),
        "clinic-approved",
        "patients",
    )
    assert "warm soapy water" in top.text
    assert top.url == published.path.resolve().as_uri()


def test_republish_replaces_and_unpublish_removes(settings, review):
    material_id = review.create_material(
        "Using a spacer with your inhaler", "patients", "standard", "handout", HANDOUT, [], 6.0, "alice"
    )
    review.decide(material_id, "approve", "carol")
    publish(material_id, settings, review)

    review.edit(material_id, HANDOUT.replace("once a week", "every month"), "bob", "Manufacturer's advice.")
    review.decide(material_id, "approve", "carol")
    publish(material_id, settings, review)
    store = KnowledgeBase.open(settings).store
    clinic_docs = {c.doc_id for c in store.chunks() if c.source == "clinic"}
    assert len(clinic_docs) == 1  # the first version's chunks are gone
    texts = " ".join(p.chunk.text for p in _clinic_hits(settings, QUESTION))
    assert "every month" in texts and "once a week" not in texts

    assert unpublish(material_id, settings) == 1
    assert _clinic_hits(settings, QUESTION) == []
    assert not (settings.index_dir.parent / "approved" / f"{material_id}.md").exists()
    assert unpublish(material_id, settings) == 0
