"""Exports of approved material: Markdown, self-contained escaped HTML, and a real PDF."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from careguide.review import Material, ReviewError, ReviewStore, to_html, to_markdown, to_pdf
from careguide.review.export import latin1
from tests.unit.review.conftest import new_material

EXPORTS = (to_markdown, to_html, to_pdf)


@pytest.fixture
def approved(store: ReviewStore) -> Material:
    material_id = new_material(store)
    return store.decide(material_id, "approve", "carol", "Clear.")


@pytest.mark.parametrize("export", EXPORTS)
def test_drafts_and_rejected_material_are_not_exported(store: ReviewStore, export) -> None:
    material_id = new_material(store)
    with pytest.raises(ReviewError, match=r"is draft, not approved; a clinician must approve it"):
        export(store.get(material_id))
    rejected = store.decide(material_id, "reject", "carol", "Wrong.")
    with pytest.raises(ReviewError, match="is rejected"):
        export(rejected)


def test_markdown_has_the_body_sources_and_approval(approved: Material) -> None:
    markdown = to_markdown(approved, "Example Clinic")
    assert markdown.startswith("# Asthma action plan\n")
    assert markdown.count("# Asthma action plan") == 1  # the body's own title is not repeated
    assert "1. [Asthma](<https://www.nhlbi.nih.gov/health/asthma>) — NHLBI" in markdown
    assert "Reviewed and approved by Example Clinic (version 1," in markdown


def test_html_is_self_contained_and_escaped(store: ReviewStore) -> None:
    material_id = store.create_material(
        "Flu <script>alert(1)</script>",
        "patients",
        "standard",
        "faq",
        "Wash hands. <img src=x onerror=alert(1)> [bad](javascript:alert(1))",
        [
            {"n": 1, "title": "<b>Flu</b>", "source": "CDC & co", "url": "javascript:alert(2)"},
            {"n": 2, "title": "Flu facts", "source": "CDC", "url": "https://www.cdc.gov/flu"},
        ],
        5.0,
        "alice",
    )
    page = to_html(store.decide(material_id, "approve", "carol"), "Clinic <A>")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "<img" not in page
    assert 'href="javascript' not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;Flu&lt;/b&gt; — CDC &amp; co" in page
    assert '<a href="https://www.cdc.gov/flu">Flu facts</a> — CDC' in page
    assert "Clinic &lt;A&gt;" in page
    external = re.findall(r'(?:src|href)=["\'](?!https://www\.cdc\.gov/flu)[^"\']+', page)
    assert external == [] and "@import" not in page and "<link" not in page


def test_pdf_is_a_real_pdf_with_the_text(store: ReviewStore) -> None:
    body = (
        "# Asthma “action” plan\n\nUse your reliever — 2 puffs ≥ 4 hours apart… **Call** 911 if worse.\n\n"
        "- First item with a very long URL https://example.org/"
        + "a" * 200
        + "\n1. Numbered\n\n漢字 stays printable."
    )
    material_id = store.create_material("Asthma", "patients", "standard", "handout", body, [], 6.0, "alice")
    data = to_pdf(store.decide(material_id, "approve", "carol"), "Example Clinic")
    assert data.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert 'Asthma "action" plan' in text
    assert "Use your reliever - 2 puffs >= 4 hours apart... Call 911 if worse." in " ".join(text.split())
    assert "Reviewed and approved by Example Clinic" in text


def test_latin1_spells_out_what_the_core_font_cannot_show() -> None:
    assert latin1("“Café” – 5 µg ≤ 10 mg… naïve Łódź ✓") == '"Café" - 5 µg <= 10 mg... naïve Lódz ?'
