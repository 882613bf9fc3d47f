"""The deterministic plain-language rewrite and its verifier."""

from __future__ import annotations

import pytest

from careguide.rag.plain import simplify, verify_rewrite

SOURCE = "Hypertension may cause headaches in some people who do not take 20 mg of lisinopril daily."


def test_a_medical_term_becomes_plain_with_the_term_once_in_brackets():
    seen: set[str] = set()
    first, _ = simplify("Hypertension can damage the kidneys.", seen)
    again, _ = simplify("Untreated hypertension is common.", seen)
    assert first == ["High blood pressure (Hypertension) can damage the kidneys."]
    assert again == ["Untreated high blood pressure is common."]
    assert verify_rewrite("Hypertension can damage the kidneys.", first[0]).ok


def test_semicolons_and_long_enumerations_become_short_sentences_and_lists():
    sentences, items = simplify("Rest helps; fluids help too.")
    assert sentences == ["Rest helps.", "Fluids help too."] and not items
    sentences, items = simplify("Common symptoms include fever, chills, cough, and a sore throat.")
    assert sentences == ["Common symptoms include:"] and items == [
        "fever",
        "chills",
        "cough",
        "a sore throat",
    ]
    assert verify_rewrite(
        "Common symptoms include fever, chills, cough, and a sore throat.", " ".join([*sentences, *items])
    ).ok


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


def test_an_enumeration_sharing_its_words_is_not_cut_into_a_list():
    sentences, items = simplify(
        "Choose foods that are lower in calories, saturated fat, trans fat, sugar, and salt."
    )
    assert not items and len(sentences) == 1
