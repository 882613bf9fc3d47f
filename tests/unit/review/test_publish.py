"""The knowledge-base document of an approved material (no index needed)."""

from __future__ import annotations

import pytest

from careguide.ingest import Document, Section
from careguide.review import ReviewError, ReviewStore, material_document
from careguide.review.publish import approved_path, clinic_name, published_markdown
from tests.unit.review.conftest import new_material


def test_material_document_carries_the_clinic_and_sections(store: ReviewStore, tmp_path) -> None:
    material_id = new_material(store)
    material = store.decide(material_id, "approve", "carol")
    document = material_document(material, "Example Clinic")
    assert isinstance(document, Document)
    assert (document.source_key, document.title, document.source) == (
        f"review:material:{material_id}",
        "Asthma action plan",
        "clinic",
    )
    assert (document.organisation, document.license, document.audience, document.url) == (
        "Example Clinic",
        "clinic-approved",
        "patients",
        "",
    )
    assert document.sections == (
        Section("Use your reliever inhaler when you wheeze.", ("Asthma action plan",)),
        Section(
            "Call your care team if the reliever does not help.", ("Asthma action plan", "When to get help")
        ),
    )
    linked = material_document(material, "Example Clinic", tmp_path / "1.md")
    assert linked.url.startswith("file://") and linked.url.endswith("/1.md")


def test_drafts_are_not_published(store: ReviewStore) -> None:
    with pytest.raises(ReviewError, match="not approved"):
        material_document(store.get(new_material(store)), "Example Clinic")


def test_published_markdown_is_title_and_body_only(store: ReviewStore) -> None:
    material_id = store.create_material(
        "Flu", "patients", "standard", "faq", "Rest.", [{"n": 1, "title": "T"}], 5.0, "a"
    )
    material = store.decide(material_id, "approve", "carol")
    assert published_markdown(material) == "# Flu\n\nRest.\n"


def test_settings_helpers_fall_back_without_the_review_section(tmp_path) -> None:
    class Bare:
        index_dir = tmp_path / "data" / "index"

    assert clinic_name(Bare()) == "Our clinic"
    assert approved_path(Bare(), 3) == tmp_path / "data" / "approved" / "3.md"  # type: ignore[arg-type]
