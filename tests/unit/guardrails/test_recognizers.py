"""careguide's PHI recognizers: Presidio PatternRecognizers loaded from data/phi_patterns.yaml.
End to end with the analyzer, the allow-list and overlaps: tests/integration/guardrails/test_phi.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from presidio_analyzer import Pattern, PatternRecognizer

from careguide.guardrails.recognizers import PhiPatternRecognizer, load_recognizers

RECOGNIZERS = {r.name: r for r in load_recognizers()}


def found(name: str, text: str) -> list[str]:
    recognizer = RECOGNIZERS[name]
    results = sorted(recognizer.analyze(text, recognizer.supported_entities), key=lambda r: r.start)
    return list(dict.fromkeys(text[r.start : r.end] for r in results))  # one per span, in text order


def test_the_patterns_file_gives_presidio_pattern_recognizers_in_order():
    assert list(RECOGNIZERS) == [
        "MedicalRecordNumberRecognizer",
        "HealthPlanIdRecognizer",
        "SocialSecurityNumberRecognizer",
        "IdentifierNumberRecognizer",
        "AgeOver89Recognizer",
        "StreetAddressRecognizer",
        "StatedAddressRecognizer",
        "ResidenceRecognizer",
        "DateOfBirthRecognizer",
        "WrittenDateRecognizer",
        "HealthcareFacilityRecognizer",
        "TitledNameRecognizer",
        "IntroducedNameRecognizer",
        "ContextPhoneRecognizer",
    ]
    for recognizer in RECOGNIZERS.values():
        assert isinstance(recognizer, PatternRecognizer) and recognizer.patterns
        assert all(
            isinstance(p, Pattern) and 0 < p.score <= 1 and "{{" not in p.regex for p in recognizer.patterns
        )


@pytest.mark.parametrize(
    ("name", "text", "spans"),
    [
        ("MedicalRecordNumberRecognizer", "My MRN is 00123456.", ["00123456"]),  # context word stays
        ("DateOfBirthRecognizer", "DOB: March 3, 1950", ["March 3, 1950"]),  # a fragment in a pattern
        ("SocialSecurityNumberRecognizer", "SSN 000-12-3456 or 123 45 6789", ["000-12-3456", "123 45 6789"]),
        ("SocialSecurityNumberRecognizer", "codes 000 12 3456 and 666-12-3456", []),  # never issued
        ("HealthPlanIdRecognizer", "member id TYPE12345 and plan number ABCDEFGH", []),
        ("IdentifierNumberRecognizer", "case no. AB-12 3456, not COVID-19 or ICD-10", ["AB-12 3456"]),
        (
            "HealthcareFacilityRecognizer",
            "seen at Mercy General, not by the Attorney General",
            ["Mercy General"],
        ),
        ("TitledNameRecognizer", "Mr. Okafor watched Dr. Who", ["Okafor"]),
        ("TitledNameRecognizer", "is dr Øberg back? ask Mrs. Żak", ["Øberg", "Żak"]),  # any case, accents
        ("TitledNameRecognizer", "Dr. Bell's palsy page", []),  # an eponym, not a person
        (
            "IdentifierNumberRecognizer",
            "the bracelet reads QW/4471023, acct no. KX 5520193",
            ["QW/4471023", "KX 5520193"],
        ),
        ("HealthPlanIdRecognizer", "medicaid id Q/77120456", ["Q/77120456"]),
        (
            "HealthcareFacilityRecognizer",
            "from Kowalczyk Internal Medicine to Ørsted Eye Institute",
            ["Kowalczyk Internal Medicine", "Ørsted Eye Institute"],
        ),
        ("HealthcareFacilityRecognizer", "moved to VUMC after a week, then the NIH guidelines", ["VUMC"]),
        ("HealthcareFacilityRecognizer", "the National Cancer Institute says", []),
        (
            "IntroducedNameRecognizer",
            "my name is tove lindqvist and my son Emeka",
            ["tove lindqvist", "Emeka"],
        ),
        ("IntroducedNameRecognizer", "It's Monday and I'm Not sure", []),
        ("IntroducedNameRecognizer", "I'm Diabetic, this is Urgent; this is Jo M. Berg", ["Jo M. Berg"]),
        ("ContextPhoneRecognizer", "text my mum on +44 7700 900123 or call 061 23", ["+44 7700 900123"]),
        ("StreetAddressRecognizer", "street at 12 oak street", []),  # a case rule of the file
        (
            "StatedAddressRecognizer",
            "please post the letter to Vesijärventie 14 B, Lahti.",
            ["Vesijärventie 14 B, Lahti"],
        ),
        ("StatedAddressRecognizer", "send the results to my doctor.", []),
        ("ResidenceRecognizer", "we moved to Kraljevo last year; I travelled to Brazil", ["Kraljevo"]),
    ],
)
def test_patterns_report_the_phi_part_and_invalidate_what_is_not_phi(name, text, spans):
    assert found(name, text) == spans


def test_a_recognizer_for_other_entities_finds_nothing():
    assert RECOGNIZERS["TitledNameRecognizer"].analyze("Mr. Okafor", ["AGE"]) == []


def test_fragments_and_parts_are_joined(tmp_path: Path):
    path = tmp_path / "patterns.yaml"
    path.write_text(
        "fragments:\n  digits: '\\d{3}'\n  id: ['ID-', '{{digits}}']\n"
        "recognizers:\n  - name: Plain\n    supported_entity: X\n    ignore_case: true\n"
        "    patterns:\n      - {name: id, score: 0.5, regex: ['ref ', '(?P<phi>{{id}})']}\n",
        encoding="utf-8",
    )
    (recognizer,) = load_recognizers(path)
    assert (
        type(recognizer) is PhiPatternRecognizer and recognizer.patterns[0].regex == r"ref (?P<phi>ID-\d{3})"
    )
    results = recognizer.analyze("REF id-123", ["X"])
    assert [(r.start, r.end, r.score) for r in results] == [(4, 10, 0.5)]
