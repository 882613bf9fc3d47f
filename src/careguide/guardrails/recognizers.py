"""PHI recognizers Presidio lacks, in Presidio's own shape (one small class per entity).

Medical record numbers, health-plan ids, ages over 89, street addresses with ZIP, dates of birth in
written forms, and hospital or clinic names. Each pattern may mark the part to redact with a named
group ``phi``; the words around it ("MRN", "member id") are context, not PHI, and stay.
"""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult


class ContextPatternRecognizer(EntityRecognizer):
    """Regex recognizer that reports only the ``phi`` group of each match (or the whole match)."""

    ENTITY = "UNSET"
    PATTERNS: tuple[str, ...] = ()
    SCORE = 0.85
    FLAGS: int = re.IGNORECASE

    def __init__(self) -> None:
        self._compiled = [re.compile(p, self.FLAGS) for p in self.PATTERNS]
        super().__init__(supported_entities=[self.ENTITY], name=type(self).__name__)

    def load(self) -> None:
        pass

    def validate(self, match: re.Match[str]) -> bool:
        return True

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if self.ENTITY not in entities:
            return []
        results = []
        for pattern in self._compiled:
            for match in pattern.finditer(text):
                if not self.validate(match):
                    continue
                group = "phi" if "phi" in pattern.groupindex and match.group("phi") else 0
                results.append(
                    RecognizerResult(self.ENTITY, match.start(group), match.end(group), self.SCORE)
                )
        return results


class MedicalRecordNumberRecognizer(ContextPatternRecognizer):
    ENTITY = "MEDICAL_RECORD_NUMBER"
    PATTERNS = (
        r"\b(?:MRN|med(?:ical)?\.?\s*rec(?:ord)?s?\.?\s*(?:no\.?|number|num|#)?|chart\s*(?:no\.?|number|#)"
        r"|patient\s*(?:id|number|no\.?|#)|hospital\s*(?:id|number|no\.?))\s*(?:is|:|#|=)?\s*"
        r"(?P<phi>[A-Z]{0,3}-?\d[\d-]{4,12}\d)\b",
    )


class HealthPlanIdRecognizer(ContextPatternRecognizer):
    ENTITY = "HEALTH_PLAN_ID"
    PATTERNS = (
        r"\b(?:member|subscriber|policy|insurance|plan|group|medicaid|medicare|beneficiary|mbi)"
        r"\s*(?:id|no\.?|number|num|#)?\s*(?:is|:|#|=)?\s*(?P<phi>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{5,16}[A-Z0-9])\b",
        # Medicare Beneficiary Identifier (11 characters, fixed layout), anywhere.
        r"\b(?P<phi>[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d"
        r"[AC-HJKMNP-RT-Y]{2}\d{2})\b",
    )

    def validate(self, match: re.Match[str]) -> bool:
        value = match.group("phi") or ""
        return not value.isalpha() and not value.lower().startswith(("type", "number"))


class SocialSecurityNumberRecognizer(ContextPatternRecognizer):
    """An SSN named as such in any spacing or punctuation ("SSN 123 45 6789", "ss# 123.45.6789"),
    even one Presidio's checksum rules reject (typos are still PHI); unnamed, a 3-2-4 group with the
    same separator throughout."""

    ENTITY = "US_SSN"
    SCORE = 0.95
    _SEP = r"[\s.\-\u2010-\u2015_/]{0,3}"
    PATTERNS = (
        r"\b(?:SSN|SS\s*#|S\.S\.N\.?|soc(?:ial)?\.?\s*sec(?:urity)?\.?(?:\s*(?:number|num|no\.?|#))?)"
        r"\W{0,4}(?:is|was|=)?\W{0,3}(?P<phi>\d{3}" + _SEP + r"\d{2}" + _SEP + r"\d{4})(?!\d)",
        r"(?<![\d.,/:-])(?P<phi>\d{3}([ .\-])\d{2}\2\d{4})(?![\d.,/:-]?\d)",
    )

    def validate(self, match: re.Match[str]) -> bool:
        digits = re.sub(r"\D", "", match.group("phi"))
        named = match.re is self._compiled[0]
        # Area 000 and 666 are never issued: an unnamed 3-2-4 group starting so is something else.
        return len(digits) == 9 and (named or not digits.startswith(("000", "666")))


class IdentifierNumberRecognizer(ContextPatternRecognizer):
    """Other ids named by a context word, in any spacing: driver's licence, passport, account, case,
    claim, encounter, visit and patient numbers ("case no. AB-12 3456", "acct #X 99 88 77")."""

    ENTITY = "MEDICAL_RECORD_NUMBER"
    SCORE = 0.85
    PATTERNS = (
        r"\b(?i:patient|case|claim|encounter|visit|account|acct|admission|accession|specimen|record|chart|"
        r"MRN|driver'?s?\s+licen[cs]e|DL|passport|license|licence)\s*(?i:id|no\.?|number|num|#)?\s*"
        r"(?i:is|was|:|#|=)?\s*#?\s*(?P<phi>(?=[A-Z0-9 .-]*\d)[A-Z]{0,4}[\s-]?\d[\d\s.-]{3,14}\d|"
        r"(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]{1,4}-?[A-Z0-9]{3,12})\b",
        # Letter-prefixed record numbers on their own: "#XY-998877", "AB-123456", "MRN-00123".
        r"(?<![\w-])#?(?P<phi>[A-Z]{1,4}-\d{5,10})\b",
    )
    FLAGS = 0

    def validate(self, match: re.Match[str]) -> bool:
        value = match.group("phi")
        medical_code = re.fullmatch(r"(?:COVID|ICD|HL|CD|BRCA)-?\d+", value)
        return sum(ch.isdigit() for ch in value) >= 4 and not medical_code


class AgeOver89Recognizer(ContextPatternRecognizer):
    """HIPAA Safe Harbor: ages over 89 identify; younger ages are kept for context."""

    ENTITY = "AGE"
    PATTERNS = (
        r"\b(?P<phi>(?:9\d|1[0-2]\d))(?:\s*|-)(?:years?|yrs?|y/?o)(?:[\s-]*old)?\b",
        r"\b(?:age[ds]?|turned|turning)\s*(?:of\s*)?(?P<phi>(?:9\d|1[0-2]\d))\b",
    )


_STREET_TYPES = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Loop|Row)"
)


class StreetAddressRecognizer(ContextPatternRecognizer):
    ENTITY = "STREET_ADDRESS"
    FLAGS = 0
    PATTERNS = (
        r"\b\d{1,6}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-zA-Z'-]*\s+){1,4}" + _STREET_TYPES + r"\b\.?"
        r"(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s*[\w-]+)?"
        r"(?:,\s*(?:[A-Z][a-zA-Z'-]+\s?){1,3})?(?:,?\s*[A-Z]{2})?(?:\s+\d{5}(?:-\d{4})?)?",
        # A state and ZIP on their own ("IL 62704").
        r"\b(?:A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|"
        r"S[CD]|T[NX]|UT|V[AT]|W[AIVY])\s+\d{5}(?:-\d{4})?\b",
        r"\b(?:zip|zip code|postal code)\s*(?:is|:)?\s*(?P<phi>\d{5}(?:-\d{4})?)\b",
        # Apartment, suite and unit numbers, and military mail (PSC/Unit ... Box ..., APO/FPO/DPO).
        r"\b(?:Apt|Apartment|Suite|Ste|Unit|Flat)\.?\s*#?\s*\d+[A-Za-z]?\b",
        r"\b(?:PSC|Unit|CMR)\s+\d+,?\s+Box\s+\d+(?:\s+(?:APO|FPO|DPO)\s+A[AEP]\s+\d{5})?",
    )


class StatedAddressRecognizer(ContextPatternRecognizer):
    """Whatever follows "my address is" / "I live at" up to the end of the clause, in any format."""

    ENTITY = "STREET_ADDRESS"
    SCORE = 0.7
    PATTERNS = (
        r"\b(?:address(?:\s+of\s+[^,.?!]{1,40})?\s*(?:is|was|:)|(?:i|we|he|she|they)\s+"
        r"(?:live|lives|lived|reside|resides|stay|stays)\s+(?:at|on)|(?:send|mail|ship|deliver)\s+(?:it|them|this|that)?\s*to)"
        r"\s+(?P<phi>(?:the corner of\s+)?\d?[^.?!;]{3,120}?)"
        r"(?=\s*(?:[.?!;]\s|[.?!;]?$|,\s+(?:and|but|so)\b))",
    )


_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|"
    + _MONTHS
    + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTHS + r",?\s+\d{4}|" + _MONTHS + r"\s+\d{4})"
)


class DateOfBirthRecognizer(ContextPatternRecognizer):
    ENTITY = "DATE_OF_BIRTH"
    SCORE = 0.95
    PATTERNS = (
        r"\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+on|\s+in)?)\s*(?:is|:|-)?\s*"
        r"(?P<phi>" + _DATE + r")",
    )


class WrittenDateRecognizer(ContextPatternRecognizer):
    """Full dates in common written forms (HIPAA treats every date element but the year as PHI)."""

    ENTITY = "DATE_TIME"
    SCORE = 0.6
    PATTERNS = (r"\b" + _DATE + r"\b",)


# The kind of place is matched in any case ("UCSF medical center", "the Mayo clinic"); the name before
# it must be capitalised.
_FACILITY_KINDS = (
    r"(?i:Health\s+Care|Hospitals?|Medical\s+(?:Center|Centre|Group|Associates|Clinic|Plaza|Practice)|Clinic|Health\s*(?:System|"
    r"Center|Centre|care|Partners|Network)|Infirmary|Children's\s+Hospital|Cancer\s+(?:Center|Institute)|"
    r"Surgery\s+Center|Surgical\s+(?:Center|Associates)|Urgent\s+Care|Nursing\s+(?:Home|Center)|"
    r"Rehab(?:ilitation)?\s+(?:Center|Hospital)|Memorial|Family\s+(?:Practice|Medicine)|Pediatrics|"
    r"Medical\s+Office|Care\s+Center|Hospice|Dialysis\s+Center|Imaging|Radiology|Pharmacy|Laboratories|Labs?)"
)
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


class HealthcareFacilityRecognizer(ContextPatternRecognizer):
    """Named hospitals, clinics and practices, a doctor's office, and university medical centres by
    their abbreviation ("UCSF Medical Center", "seen at OHSU", "Dr. Patel's office")."""

    ENTITY = "HEALTHCARE_FACILITY"
    FLAGS = 0
    PATTERNS = (
        r"\b(?P<phi>(?:(?:St\.?|Saint|Mount|Mt\.?)\s+)?(?:[A-Z][a-zA-Z'.&-]+\s+(?:of\s+|and\s+|&\s+)?){1,4}"
        + _FACILITY_KINDS
        + r")\b",
        r"\b(?P<phi>(?:University|Univ\.?)\s+of\s+[A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+){0,3})",
        r"\b(?P<phi>(?:Dr|Doctor|Dr\.)\.?\s+[A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+)?'s\s+(?:office|clinic|practice|"
        r"surgery|team))\b",
        # "Mercy General", "St. Luke's General": a hospital, unless an office precedes "General".
        r"\b(?P<phi>(?:(?:St\.?|Saint)\s+)?[A-Z][a-z'’]+(?:\s+[A-Z][a-z'’]+)?\s+General)\b"
        r"(?!\s+(?i:practitioner|surgeon|anesth|health|public|question|information|advice))",
        # A capitalised abbreviation where a facility is named ("admitted to UPMC", "seen at NYU Langone").
        r"\b(?i:at|to|from|in|by)\s+(?:the\s+)?(?P<phi>[A-Z]{2,6}(?:\s+[A-Z][a-z]+){0,2})\s+(?i:for|last|on|in|"
        r"yesterday|today|this|and|after|where|because|emergency|ER|ED|ICU)\b",
    )
    _GENERIC_STARTS = ("The ", "A ", "An ", "My ", "Our ", "Your ", "This ", "That ", "Local ", "General ")
    _NOT_FACILITY = frozenset(
        """ER ED ICU NICU PICU CCU OR MRI CT EKG ECG EEG PT OT IV GP NHS US USA UK AM PM OK CPR COVID
        HIV AIDS ADHD PTSD OCD COPD CHF DKA UTI STD STI IBS ABA CBT DBT BMI PCP OB OBGYN ENT AA NA
        IUD HRT""".split()
    )

    def validate(self, match: re.Match[str]) -> bool:
        value = match.group("phi")
        if value.startswith(self._GENERIC_STARTS):
            return False
        if value.endswith("General") and value.split()[-2:-1] and value.split()[-2] in _NOT_HOSPITAL_GENERAL:
            return False
        first = value.split()[0]
        return not (first.isupper() and first in self._NOT_FACILITY)


class TitledNameRecognizer(ContextPatternRecognizer):
    """A title with a surname ("Mr. Okafor", "Dr Nguyen", "Nurse Kelly"): always a person."""

    ENTITY = "PERSON"
    FLAGS = 0
    SCORE = 0.9
    PATTERNS = (
        r"\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Doctor|Nurse|Sister|Father|Rev)\.?\s+"
        r"(?P<phi>[A-Z][a-zA-Z'-]+(?:[\s-][A-Z][a-zA-Z'-]+)?)\b",
    )
    _NOT_NAMES = frozenset({"Google", "House", "Who", "Seuss", "Oz", "Phil", "Pepper"})

    def validate(self, match: re.Match[str]) -> bool:
        return match.group("phi").split()[0] not in self._NOT_NAMES


CUSTOM_RECOGNIZERS: tuple[type[ContextPatternRecognizer], ...] = (
    MedicalRecordNumberRecognizer,
    HealthPlanIdRecognizer,
    SocialSecurityNumberRecognizer,
    IdentifierNumberRecognizer,
    AgeOver89Recognizer,
    StreetAddressRecognizer,
    StatedAddressRecognizer,
    DateOfBirthRecognizer,
    WrittenDateRecognizer,
    HealthcareFacilityRecognizer,
    TitledNameRecognizer,
)
