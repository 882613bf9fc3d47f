"""PHI recognizers Presidio lacks, as Presidio ``PatternRecognizer``s whose patterns are data.

Medical record numbers, health-plan ids, SSNs named as such, other named ids, ages over 89, street
addresses with ZIP, stated addresses, dates of birth and written dates, hospital or clinic names and
titled names. The patterns (``Pattern(name, regex, score)``) are in ``data/phi_patterns.yaml``; each
may mark the part to redact with a named group ``phi``, the words around it ("MRN", "member id")
being context, not PHI. What a regex cannot say is each recognizer's ``invalidate_result``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult

PATTERNS_FILE = Path(__file__).parent / "data" / "phi_patterns.yaml"

_FRAGMENT = re.compile(r"\{\{(\w+)\}\}")


class PhiPatternRecognizer(PatternRecognizer):
    """A ``PatternRecognizer`` that reports only the ``phi`` group of each match (or the whole match).

    Patterns run with Python's ``re`` and the recognizer's flags, in order, each match checked by
    ``invalidate_result`` on the part it would redact."""

    def __init__(self, supported_entity: str, name: str, patterns: list[Pattern], flags: int = 0) -> None:
        self.recognizer_name = name
        super().__init__(
            supported_entity=supported_entity, name=name, patterns=patterns, global_regex_flags=flags
        )
        self._compiled = [(pattern, re.compile(pattern.regex, flags)) for pattern in patterns]

    def invalidate_result(self, pattern_text: str) -> bool:
        return False

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: Any = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        entity = self.supported_entities[0]
        if entity not in entities:
            return []
        results = []
        for pattern, compiled in self._compiled:
            for match in compiled.finditer(text):
                group = "phi" if "phi" in compiled.groupindex and match.group("phi") else 0
                start, end = match.span(group)
                if self.invalidate_result(text[start:end]):
                    continue
                results.append(
                    RecognizerResult(
                        entity,
                        start,
                        end,
                        pattern.score,
                        recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.recognizer_name},
                    )
                )
        return results


class HealthPlanIdRecognizer(PhiPatternRecognizer):
    def invalidate_result(self, pattern_text: str) -> bool:
        return pattern_text.isalpha() or pattern_text.lower().startswith(("type", "number"))


class IdentifierNumberRecognizer(PhiPatternRecognizer):
    """Other ids named by a context word, in any spacing: driver's licence, passport, account, case,
    claim, encounter, visit and patient numbers ("case no. AB-12 3456", "acct #X 99 88 77")."""

    def invalidate_result(self, pattern_text: str) -> bool:
        medical_code = re.fullmatch(r"(?:COVID|ICD|HL|CD|BRCA)-?\d+", pattern_text)
        return sum(ch.isdigit() for ch in pattern_text) < 4 or medical_code is not None


_NOT_HOSPITAL_GENERAL = (
    "Attorney",
    "Surgeon",
    "Secretary",
    "Inspector",
    "Auditor",
    "Consul",
    "Governor",
    "Major",
)


class HealthcareFacilityRecognizer(PhiPatternRecognizer):
    """Named hospitals, clinics and practices, a doctor's office, and university medical centres by
    their abbreviation ("UCSF Medical Center", "seen at OHSU", "Dr. Patel's office")."""

    _GENERIC_STARTS = (
        "The ",
        "A ",
        "An ",
        "My ",
        "Our ",
        "Your ",
        "This ",
        "That ",
        "Local ",
        "General ",
        "National ",
        "American ",
        "International ",
        "Federal ",
        "Pediatric ",
        "Adult ",
    )
    _NOT_FACILITY = frozenset(
        """ER ED ICU NICU PICU CCU OR MRI CT EKG ECG EEG PT OT IV GP NHS US USA UK AM PM OK CPR COVID
        HIV AIDS ADHD PTSD OCD COPD CHF DKA UTI STD STI IBS ABA CBT DBT BMI PCP OB OBGYN ENT AA NA
        IUD HRT CSF DNA RNA NIH CDC FDA WHO NCI NLM CMS EPA USDA AHA ADA ACS AAP ACOG NHLBI NIDDK NINDS
        NIA NIMH NIAID AMA ICD CPT BP HR EMS EMT CBC TSH PSA LDL HDL A1C""".split()
    )

    def invalidate_result(self, pattern_text: str) -> bool:
        if pattern_text.startswith(self._GENERIC_STARTS):
            return True
        words = pattern_text.split()
        if pattern_text.endswith("General") and words[-2:-1] and words[-2] in _NOT_HOSPITAL_GENERAL:
            return True
        return words[0].isupper() and words[0] in self._NOT_FACILITY


class TitledNameRecognizer(PhiPatternRecognizer):
    """A title with a surname ("Mr. Okafor", "Dr Nguyen", "Nurse Kelly"): always a person."""

    _NOT_NAMES = frozenset({"Google", "House", "Who", "Seuss", "Oz", "Phil", "Pepper", "Scholl"})

    def invalidate_result(self, pattern_text: str) -> bool:
        return pattern_text.split()[0] in self._NOT_NAMES


class IntroducedNameRecognizer(PhiPatternRecognizer):
    """A name after "my name is", "this is", "I'm" or a relation ("my daughter Amy"), where the
    words are not common words, weekdays or months ("It's Monday", "I'm Not sure")."""

    _NOT_NAMES = frozenset(
        """monday tuesday wednesday thursday friday saturday sunday january february march april may
        june july august september october november december not so very just still also really
        here there back home fine ok okay sorry sure""".split()
    )
    _PARTICLES = frozenset("ten van von de da del la le bin al".split())

    def invalidate_result(self, pattern_text: str) -> bool:
        from spacy.lang.en.stop_words import STOP_WORDS

        words = [w for w in pattern_text.lower().split() if w not in self._PARTICLES]
        return any(w in self._NOT_NAMES or w in STOP_WORDS for w in words)


class ContextPhoneRecognizer(PhiPatternRecognizer):
    """A number after "call", "reach", "text" ...: a phone number in any national format when it has
    7 to 15 digits ("+44 7700 900123", "737 219 628")."""

    def invalidate_result(self, pattern_text: str) -> bool:
        digits = sum(ch.isdigit() for ch in pattern_text)
        return (
            not 7 <= digits <= 15
            or re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", pattern_text) is not None
        )


VALIDATED: dict[str, type[PhiPatternRecognizer]] = {
    cls.__name__: cls
    for cls in (
        HealthPlanIdRecognizer,
        IdentifierNumberRecognizer,
        HealthcareFacilityRecognizer,
        TitledNameRecognizer,
        IntroducedNameRecognizer,
        ContextPhoneRecognizer,
    )
}
"""The recognizers with an ``invalidate_result`` of their own, by the name the patterns file gives."""


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _expanded(regex: str, fragments: dict[str, str]) -> str:
    return _FRAGMENT.sub(lambda m: _expanded(fragments[m.group(1)], fragments), regex)


def load_recognizers(path: Path = PATTERNS_FILE) -> list[PhiPatternRecognizer]:
    """The recognizers of a patterns file, in its order (see data/phi_patterns.yaml)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fragments = {name: _joined(value) for name, value in (data.get("fragments") or {}).items()}
    recognizers = []
    for entry in data["recognizers"]:
        patterns = [
            Pattern(p["name"], _expanded(_joined(p["regex"]), fragments), float(p["score"]))
            for p in entry["patterns"]
        ]
        cls = VALIDATED.get(entry["name"], PhiPatternRecognizer)
        flags = re.IGNORECASE if entry.get("ignore_case", False) else 0
        recognizers.append(cls(entry["supported_entity"], entry["name"], patterns, flags))
    return recognizers
