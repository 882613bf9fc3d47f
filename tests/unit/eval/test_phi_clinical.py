"""The clinical-style PHI dev set: its seeded split, how slots become gold elements, and scoring."""

from __future__ import annotations

import random

from careguide.eval.phi_clinical import (
    PARTS,
    ClinicalMessage,
    Element,
    Pools,
    fill,
    leaked,
    part_of,
    score_clinical,
)
from careguide.eval.phi_templates import NEGATIVE_TEMPLATES, PHI_TEMPLATES
from careguide.guardrails import Span

POOLS = Pools(
    full_names=["Ada Okonkwo"],
    first_names=["Ada"],
    surnames=["Okonkwo"],
    cities=["Tromsø"],
    streets=["12 Elm Row"],
    phones=["555-201-3344"],
    emails=["ada@example.org"],
    conditions=["asthma"],
    eponyms=["Crohn's disease"],
    drugs=["Metformin"],
    acronyms=["UCSF"],
)


def test_the_split_is_seeded_and_puts_templates_in_both_parts():
    assert part_of("Is {eponym} hereditary?") == part_of("Is {eponym} hereditary?")
    for templates in (PHI_TEMPLATES, NEGATIVE_TEMPLATES):
        assert {part_of(t) for t in templates} == set(PARTS)


def test_slots_become_gold_elements_and_medical_terms():
    message = fill("Dr. {surname} put {full_name} on {drug}.", random.Random(0), POOLS, ["{acronym}"])
    assert message.text == "Dr. Okonkwo put Ada Okonkwo on Metformin."
    assert [(e.kind, message.text[e.start : e.end]) for e in message.elements] == [
        ("NAME", "Okonkwo"),
        ("NAME", "Ada Okonkwo"),
    ]
    assert [message.text[a:b] for a, b in message.medical] == ["Metformin"]


def test_an_element_leaks_only_through_its_identifying_words():
    text = "seen at UCSF Medical Center, MRN AB-1234567"
    message = ClinicalMessage(text, (Element("FACILITY", 8, 27), Element("RECORD_ID", 33, 43)), (), "t")
    only_names = {i for i in range(8, 12)} | {i for i in range(36, 43)}
    assert not leaked(message, message.elements[0], only_names)  # "Medical Center" may stay
    assert not leaked(message, message.elements[1], only_names)  # so may the prefix "AB"
    assert leaked(message, message.elements[0], set(range(13, 27)))


def test_scores_count_leaks_changed_clean_messages_and_damaged_terms():
    phi = [ClinicalMessage("I am Ada Okonkwo", (Element("NAME", 5, 16),), (), "t")]
    clean = [
        ClinicalMessage("Is Crohn's disease inherited?", (), ((3, 18),), "n"),
        ClinicalMessage("Ask your doctor", (), (), "n"),
    ]

    def detect(text: str) -> list[Span]:
        return [Span("PERSON", 3, 8, 1.0)] if text.startswith("Is Crohn") else []

    scores = score_clinical(detect, phi, clean)
    assert scores["leak_rate"] == 1.0 and scores["leak_by_kind"]["NAME"]["leaked"] == 1
    assert scores["clean_changed"] == 1 and scores["clean_changed_rate"] == 0.5
    assert scores["medical_terms_damaged"] == 1
