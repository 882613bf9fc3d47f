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


def test_a_rewrite_that_swaps_subject_and_object_is_rejected():
    source = "Lead poisoning can cause anemia in young children."
    check = verify_rewrite(source, "Anemia can cause lead poisoning in young children.")
    assert not check.ok and "subject" in check.reason
    assert verify_rewrite(source, "In young children, lead poisoning can cause anemia.").ok


def test_split_pieces_keep_the_negation_of_their_own_half():
    source = "Rest does not mend a torn tendon, but gentle stretching can restore movement over weeks."
    pieces = "Rest does not mend a torn tendon. But gentle stretching can restore movement over weeks."
    assert verify_rewrite(source, pieces).ok
    dropped = "Rest mends a torn tendon. But gentle stretching can restore movement over weeks."
    assert "negation" in verify_rewrite(source, dropped).reason


def test_a_hedge_may_become_the_glossary_hedge_for_it_but_not_vanish_or_change():
    source = "Bruises typically fade within 2 weeks."
    assert verify_rewrite(source, "Bruises usually fade within 2 weeks.").ok
    assert not verify_rewrite(source, "Bruises fade within 2 weeks.").ok
    assert not verify_rewrite(source, "Bruises may fade within 2 weeks.").ok
    assert not verify_rewrite(source, "Bruises usually fade within 3 weeks.").ok
    assert not verify_rewrite(source, "Bruises usually do not fade within 2 weeks.").ok


def test_a_possessive_counts_as_its_noun():
    source = "An individual's sleep log helps the doctor."
    assert verify_rewrite(source, "A person's sleep log helps the doctor.").ok
    assert not verify_rewrite(source, "A person's sleep log and aspirin help the doctor.").ok


def test_a_dropped_while_needs_a_sentence_that_opens_with_but():
    source = "Some colds last a week, while others last two weeks."
    assert verify_rewrite(source, "Some colds last a week. But others last two weeks.").ok
    assert not verify_rewrite(source, "Some colds last a week. Others last two weeks.").ok
    assert not verify_rewrite(source, "Some colds last a week. But others last three weeks.").ok
