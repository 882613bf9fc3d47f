"""Subjects and grammatical slots of a claim against its source sentence."""

from __future__ import annotations

import pytest

from careguide.rag.roles import in_order, moved_subject, substituted_noun

SOURCE = "The thyroid is a small gland in the neck that makes hormones for the whole body."


def test_words_in_the_source_order_need_no_parse():
    assert in_order("It makes hormones for the whole body.", SOURCE)
    assert not in_order("Hormones are a small gland that makes the thyroid.", SOURCE)


@pytest.mark.parametrize(
    ("claim", "source"),
    [
        ("Hormones are a small gland in the neck that makes the thyroid for the whole body.", SOURCE),
        ("The neck is a small gland that makes hormones.", SOURCE),  # another noun of the source
        ("Anemia can cause lead poisoning in young children.", "Lead poisoning can cause anemia in young children."),
        ("Pregnancy is a type of diabetes that develops during gestational diabetes.",
         "Gestational diabetes is a type of diabetes that develops during pregnancy."),
    ],
)  # fmt: skip
def test_a_subject_the_source_names_only_as_an_object_is_moved(claim: str, source: str):
    assert moved_subject(claim, source)


@pytest.mark.parametrize(
    ("claim", "source"),
    [
        ("The thyroid is a small gland in the neck.", SOURCE),
        ("It makes hormones for the whole body.", SOURCE),  # a pronoun carries no noun
        ("The gland makes hormones for the whole body.", SOURCE),  # the noun a relative pronoun stands for
        ("In young children, anemia can be caused by lead poisoning.",  # passive from active
         "Lead poisoning can cause anemia in young children."),
        ("During pregnancy, gestational diabetes can develop.",  # a phrase moved to the front
         "Gestational diabetes is a type of diabetes that develops during pregnancy."),
    ],
)  # fmt: skip
def test_a_subject_that_is_a_subject_in_the_source_is_kept(claim: str, source: str):
    assert not moved_subject(claim, source)


def test_a_glossary_lay_word_stands_for_the_source_subject():
    source = "Over many years, hypertension can damage the small blood vessels of the kidneys."
    assert not moved_subject("High blood pressure can damage the small blood vessels of the kidneys.", source)
    assert moved_subject("The kidneys can damage the small blood vessels of hypertension.", source)


def test_a_source_the_parser_finds_no_subject_in_decides_nothing():
    # the small model reads "damages" as a noun here: no verdict rather than a wrong one
    source = "Smoking damages the lining of the lungs and raises the risk of lung cancer."
    assert not moved_subject("The lining of the lungs is damaged by smoking.", source)


def test_a_new_noun_in_the_slot_of_a_dropped_one_is_a_substitution():
    source = "Lead poisoning can cause anemia in young children."
    assert substituted_noun("Lead poisoning can cause fever in young children.", source, source) == (
        "fever",
        "anemia",
    )
    assert substituted_noun(source, source, source) is None
    # a noun the passage names elsewhere is no new noun
    passage = f"{source} It can also cause a fever."
    assert substituted_noun("Lead poisoning can cause fever in young children.", source, passage) is None
