"""A reviewer's checks of a material's body: sentences and markers, support by the cited passages,
reading grade, and the citations an edit keeps."""

from __future__ import annotations

from careguide.review import MaterialCitation
from careguide.review.checks import (
    body_sentences,
    check_body,
    citations_for,
    prose,
    reading_grade,
    with_markers,
)
from tests.unit.review.test_drafting import ASTHMA_SYMPTOMS, ASTHMA_TREATMENT, ASTHMA_WHAT

CITATIONS = (
    MaterialCitation(
        1,
        "what-0",
        "What is asthma?",
        "NHLBI",
        "https://x/1",
        "Asthma is a chronic disease that affects your airways.",
        "NHLBI",
    ),
    MaterialCitation(2, "sym-0", "Symptoms", "NHLBI", "https://x/2", ASTHMA_SYMPTOMS, "NHLBI"),
)


def test_markers_go_before_the_final_punctuation() -> None:
    assert with_markers("It helps [1].", [3, 3, 4]) == "It helps [3][4]."
    assert with_markers("It helps", [2]) == "It helps [2]"
    assert with_markers("Plain.", []) == "Plain."


def test_grade_reads_prose_only() -> None:
    body = "# Title\n\n## Heading\n\n- The cat sat on the mat [1].\n- The dog ran [2].\n"
    assert prose(body) == "The cat sat on the mat.\nThe dog ran."
    simple = reading_grade("# Asthma\n\nThe cat sat. The dog ran. We like it [1].")
    hard = reading_grade(
        "# Asthma\n\nAsthma is a chronic inflammatory respiratory condition characterised by intermittent "
        "bronchoconstriction, airway hyperresponsiveness and variable expiratory airflow limitation [1]."
    )
    assert simple is not None and hard is not None and simple < 4 < 12 < hard
    assert reading_grade("# Only a title\n") is None


def test_check_body_flags_what_a_reviewer_must_look_at() -> None:
    body = (
        "# Asthma\n\n## About\n\nAsthma is a chronic disease that affects your airways [1]. "
        "Asthma is caused by eating 40 mg of sugar [1]. Asthma is contagious. "
        "Ask your doctor about your asthma. Symptoms include wheezing [2]. It spreads by water [9].\n\n"
        "- Coughing is a symptom of asthma [2].\n"
    )
    checks = check_body(body, CITATIONS, {1: ASTHMA_WHAT, 2: ASTHMA_SYMPTOMS})
    statuses = [(c.sentence, c.status) for c in checks]
    assert statuses == [
        ("Asthma is a chronic disease that affects your airways.", "supported"),
        ("Asthma is caused by eating 40 mg of sugar.", "unsupported"),
        ("Asthma is contagious.", "uncited"),
        ("Ask your doctor about your asthma.", "advice"),
        ("Symptoms include wheezing.", "supported"),
        ("It spreads by water.", "unknown-citation"),
        ("Coughing is a symptom of asthma.", "supported"),
    ]
    assert "40 mg" in checks[1].reason and checks[1].warning and not checks[0].warning
    assert checks[0].quotes == ((1, "Asthma is a chronic disease that affects your airways."),)
    # Without the passages the stored quote is used.
    fallback = check_body("Symptoms include wheezing [2].", CITATIONS, {})
    assert fallback[0].status == "supported"


def test_body_sentences_skip_headings_and_blank_lines() -> None:
    assert body_sentences("# T\n\nOne [1]. Two.\n\n## H\n1. Three\n* [Four](https://x) five\n") == [
        "One [1].",
        "Two.",
        "Three",
        "Four five",
    ]


def test_an_edit_keeps_numbers_and_only_the_sources_it_uses() -> None:
    third = MaterialCitation(3, "treat-0", "Treatment", "NHLBI", "https://x/3", ASTHMA_TREATMENT, "NHLBI")
    pool = [*CITATIONS, third, CITATIONS[0]]
    kept = citations_for("Asthma affects airways [1]. It is treated with medicines [3].", pool)
    assert [c.n for c in kept] == [1, 3]
    assert citations_for("No sources at all.", pool) == []
