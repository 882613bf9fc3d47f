"""The parts of PHI redaction that need no NER model: the allow-list, dates and eponyms.
With Presidio and the spaCy model: tests/integration/guardrails/test_phi.py."""

from __future__ import annotations

import pytest

from careguide.guardrails.phi import AllowList, drug_like, eponym, identifying_date, medical_terms, titled

ALLOW = AllowList(medical_terms(["Crohn's disease", "Hashimoto thyroiditis"]))


@pytest.mark.parametrize(
    ("entity", "text", "covered"),
    [
        ("PERSON", "Crohn's", True),
        ("PERSON", "Ada Crohn", False),  # a first name makes it a person
        ("PERSON", "Lisinopril", True),  # a drug stem
        ("PERSON", "Tofacitinib", True),
        ("LOCATION", "Cefuroxime Injection", True),  # a dosage form
        ("PERSON", "Marisol", False),
        ("DATE_TIME", "Crohn", False),  # the allow-list is for names and places only
    ],
)
def test_the_allow_list_keeps_medical_words_and_drug_names(entity, text, covered):
    assert ALLOW.covers(entity, text) is covered


def test_drug_stems_need_a_word_long_enough():
    assert drug_like("atorvastatin") and not drug_like("mab") and not drug_like("elaine")


@pytest.mark.parametrize(
    ("span", "identifying"),
    [
        ("March 3, 2024", True),
        ("31", False),
        ("7.2", False),
        ("next Tuesday", False),
        ("97", True),  # could be an age over 89
        ("2019", False),
        ("45 years old", False),
        ("93 years old", True),
    ],
)
def test_only_dates_of_someone_are_identifying(span, identifying):
    assert identifying_date(span) is identifying


def test_a_name_before_a_disease_or_score_word_is_an_eponym():
    text = "Gleason score 7 and Ramsay Hunt syndrome, seen by Gleason"
    assert eponym(text, text.index(" score")) and eponym(text, text.index(" syndrome"))
    assert not eponym(text, len(text))


def test_titled_names_are_known_by_their_recognizer():
    assert titled({"recognizer_name": "TitledNameRecognizer"})
    assert not titled({"recognizer_name": "SpacyRecognizer"}) and not titled(None)
