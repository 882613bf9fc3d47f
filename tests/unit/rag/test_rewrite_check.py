"""The verifier of a plain-language rewrite against its source sentence."""

from __future__ import annotations

import pytest

from careguide.rag.rewrite_check import verify_rewrite

SOURCE = "Hypertension may cause headaches in some people who do not take 20 mg of lisinopril daily."


@pytest.mark.parametrize(
    ("rewrite", "reason"),
    [
        ("High blood pressure may cause headaches in some people who do not take 40 mg of lisinopril daily.",
         "numbers"),
        ("High blood pressure may cause headaches in some people who take 20 mg of lisinopril daily.",
         "negation"),
        ("High blood pressure causes headaches in some people who do not take 20 mg of lisinopril daily.",
         "hedge"),
        ("High blood pressure may cause headaches in some people who do not take 20 mg of lisinopril or "
         "aspirin daily.", "added"),
        ("High blood pressure may cause headaches in some people who do not take 20 mg daily.", "dropped"),
    ],
)  # fmt: skip
def test_the_verifier_rejects_changed_facts(rewrite: str, reason: str):
    check = verify_rewrite(SOURCE, rewrite)
    assert not check.ok and reason in check.reason


def test_the_verifier_accepts_a_lay_synonym_from_the_glossary():
    rewrite = (
        "High blood pressure may cause headaches in some people who do not take 20 mg of lisinopril daily."
    )
    assert verify_rewrite(SOURCE, rewrite).ok
    assert verify_rewrite("Influenza spreads quickly.", "The flu spreads quickly.").ok
    assert not verify_rewrite("Influenza spreads quickly.", "Measles spreads quickly.").ok


def test_a_dropped_concession_needs_its_but():
    source = "Although the drug does not cure the disease, it can slow it down in many people."
    assert not verify_rewrite(
        source, "The drug does not cure the disease. It can slow it down in many people."
    ).ok
    assert verify_rewrite(
        source, "The drug does not cure the disease. But it can slow it down in many people."
    ).ok
