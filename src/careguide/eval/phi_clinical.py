"""A clinical-style PHI dev set: patient messages from templates, with slot values drawn from data
written by others (presidio_synth's names, cities, streets, phones and emails, MIT; MedQuAD's focus
terms for conditions and drugs, CC BY 4.0), and PHI-free hard negatives (eponymous diseases, drugs,
"ask your doctor", departments, "the hospital").

The split is seeded and committed: every template, facility form and pool value belongs to the
tuning or the report part by a hash of ``SPLIT_SEED`` and its text (``part_of``), so the report
part has templates, facility forms, names, acronyms and conditions the tuning part never shows.
The messages are generated at evaluation time; nothing is stored.

Scoring (``score_clinical``): a PHI element leaks when one of its identifying words stays
readable (less than half of its letters covered by a predicted span); the generic words of an
element ("Hospital", "Medical", "Dr", "Street", a two-letter state, the letters of an id's prefix)
do not identify and may stay. A PHI-free message is changed when any span is found in it; a medical
term is damaged when any of its letters is covered.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from careguide.eval.phi_templates import (
    ACRONYMS,
    FACILITY_FORMS,
    NEGATIVE_TEMPLATES,
    PHI_TEMPLATES,
    SAINTS,
    STREET_TYPES,
    US_STATES,
)
from careguide.guardrails import Span

SPLIT_SEED = 20261202
PARTS = ("tune", "report")
GENERIC_WORDS = frozenset(
    """dr doctor doctors s st saint mt mount the of and at hospital hospitals medical center centre
    clinic clinics health healthcare care system office practice group associates general regional
    memorial university institute urgent family medicine pediatrics childrens children women womens
    heart cancer surgery surgical center rehab rehabilitation nursing home hospice dialysis imaging
    radiology pharmacy lab labs orthopedics dermatology cardiology partners network community
    county street st avenue ave road rd boulevard blvd lane ln drive court ct way place pl apt
    apartment suite ste unit mr mrs ms miss prof professor nurse""".split()
)
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_SLOT = re.compile(r"\{(\w+)\}")
_EPONYM = re.compile(
    r"\b[A-Z][a-z]+(?:[- ][A-Z][a-z]+)?(?:'s|s')?\s+(?:disease|syndrome|palsy|sarcoma|lymphoma)\b", re.I
)


def part_of(key: str) -> str:
    """The part ("tune" or "report") of a template, form or pool value: a seeded hash of its text."""
    digest = hashlib.sha256(f"{SPLIT_SEED}:{key}".encode()).digest()
    return PARTS[digest[0] % 2]


@dataclass(frozen=True)
class Element:
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class ClinicalMessage:
    text: str
    elements: tuple[Element, ...]
    medical: tuple[tuple[int, int], ...]
    template: str


@dataclass
class Pools:
    """Slot values by part."""

    full_names: list[str]
    first_names: list[str]
    surnames: list[str]
    cities: list[str]
    streets: list[str]
    phones: list[str]
    emails: list[str]
    conditions: list[str]
    eponyms: list[str]
    drugs: list[str]
    acronyms: list[str] = field(default_factory=list)


def _latin(value: str) -> bool:
    return bool(value) and all(ch.isascii() or ch.isalpha() for ch in value)


def load_pools(presidio_path: Path, medquad_dir: Path, part: str) -> Pools:
    """The pools of one part, from presidio_synth's gold spans and MedQuAD's focus terms."""
    from careguide.ingest import read_pairs

    records = json.loads(presidio_path.read_text(encoding="utf-8"))
    values: dict[str, set[str]] = {}
    for record in records:
        for span in record["spans"]:
            values.setdefault(span["entity_type"], set()).add(" ".join(span["entity_value"].split()))
    people = [v for v in values["PERSON"] if _latin(v) and re.fullmatch(r"[^\W\d_][\w'. -]+", v)]
    full = sorted(v for v in people if len(v.split()) >= 2)
    firsts = sorted({v.split()[0] for v in full if len(v.split()[0]) > 2})
    lasts = sorted({v.split()[-1] for v in full if len(v.split()[-1]) > 2})
    cities = sorted(
        v for v in values["GPE"] if _latin(v) and v[:1].isupper() and not v.isupper() and len(v) > 3
    )
    streets = sorted(
        v
        for v in values["STREET_ADDRESS"]
        if re.match(r"\d+ [A-Z]", v) and "\n" not in v and len(v.split()) <= 5 and _latin(v)
    )
    phones = sorted(v for v in values["PHONE_NUMBER"] if sum(c.isdigit() for c in v) >= 9)
    emails = sorted(values["EMAIL_ADDRESS"])
    focus: dict[str, set[str]] = {"drugs": set(), "conditions": set()}
    for folder in sorted(p for p in medquad_dir.iterdir() if p.is_dir()):
        kind = "drugs" if "Drugs" in folder.name else "conditions"
        for path in sorted(folder.glob("*.xml")):
            for pair in read_pairs(path):
                if pair.focus and len(pair.focus) <= 40 and "(" not in pair.focus:
                    focus[kind].add(pair.focus)
                break
    conditions = sorted(focus["conditions"])
    eponyms = sorted(c for c in conditions if _EPONYM.search(c))
    drugs = sorted(d for d in focus["drugs"] if len(d.split()) <= 2)

    def mine(items: Iterable[str]) -> list[str]:
        return [item for item in items if part_of(item) == part]

    return Pools(
        mine(full),
        mine(firsts),
        mine(lasts),
        mine(cities),
        mine(streets),
        mine(phones),
        mine(emails),
        mine(conditions),
        mine(eponyms),
        mine(drugs),
        mine(ACRONYMS),
    )


def _id(rng: random.Random, letters: tuple[int, int], digits: tuple[int, int]) -> str:
    prefix = "".join(rng.choices(string.ascii_uppercase, k=rng.randint(*letters)))
    number = "".join(rng.choices(string.digits, k=rng.randint(*digits)))
    return prefix + rng.choice(["-", "", "-", " ", "/"] if prefix else [""]) + number


def _date(rng: random.Random, birth: bool) -> str:
    year = rng.randint(1925, 1999) if birth else rng.randint(2019, 2026)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    names = "January February March April May June July August September October November December"
    month_name = names.split()[month - 1]
    forms = [
        f"{month:02d}/{day:02d}/{year}",
        f"{month}/{day}/{str(year)[2:]}",
        f"{year}-{month:02d}-{day:02d}",
        f"{month_name} {day}, {year}",
        f"{day} {month_name} {year}",
        f"{month_name[:3]} {day} {year}",
    ]
    return rng.choice(forms)


def _facility(rng: random.Random, pools: Pools, forms: Sequence[str]) -> str:
    form = rng.choice(forms)
    return (
        form.replace("{surname}", rng.choice(pools.surnames))
        .replace("{city}", rng.choice(pools.cities))
        .replace("{saint}", rng.choice(SAINTS))
        .replace("{acronym}", rng.choice(pools.acronyms))
    )


def _slot(name: str, rng: random.Random, pools: Pools, forms: Sequence[str]) -> tuple[str, str | None]:
    """A slot's value and its kind (None for a medical term that must stay)."""
    makers: dict[str, Callable[[], tuple[str, str | None]]] = {
        "full_name": lambda: (rng.choice(pools.full_names), "NAME"),
        "lower_name": lambda: (rng.choice(pools.full_names).lower(), "NAME"),
        "first_name": lambda: (rng.choice(pools.first_names), "NAME"),
        "surname": lambda: (rng.choice(pools.surnames), "NAME"),
        "facility": lambda: (_facility(rng, pools, forms), "FACILITY"),
        "acronym": lambda: (rng.choice(pools.acronyms), "FACILITY"),
        "mrn": lambda: (_id(rng, (0, 3), (5, 10)), "RECORD_ID"),
        "prefixed_id": lambda: (_id(rng, (1, 4), (5, 10)), "RECORD_ID"),
        "plan_id": lambda: (_id(rng, (1, 4), (6, 11)), "PLAN_ID"),
        "date": lambda: (_date(rng, birth=False), "DATE"),
        "dob": lambda: (_date(rng, birth=True), "DATE"),
        "phone": lambda: (rng.choice(pools.phones), "PHONE"),
        "us_phone": lambda: (
            rng.choice(["({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}"]).format(
                a=rng.randint(201, 989), b=rng.randint(200, 999), c=f"{rng.randint(0, 9999):04d}"
            ),
            "PHONE",
        ),
        "email": lambda: (rng.choice(pools.emails), "EMAIL"),
        "address": lambda: (
            f"{rng.randint(1, 9999)} {rng.choice(pools.surnames)} {rng.choice(STREET_TYPES)}, "
            f"{rng.choice(pools.cities)}, {rng.choice(US_STATES)} {rng.randint(10000, 99999)}",
            "ADDRESS",
        ),
        "street": lambda: (rng.choice(pools.streets), "ADDRESS"),
        "city": lambda: (rng.choice(pools.cities), "LOCATION"),
        "old_age": lambda: (str(rng.randint(90, 104)), "AGE"),
        "condition": lambda: (rng.choice(pools.conditions), None),
        "eponym": lambda: (rng.choice(pools.eponyms), None),
        "drug": lambda: (rng.choice(pools.drugs), None),
    }
    return makers[name]()


def fill(template: str, rng: random.Random, pools: Pools, forms: Sequence[str]) -> ClinicalMessage:
    text, elements, medical, last = "", [], [], 0
    for match in _SLOT.finditer(template):
        text += template[last : match.start()]
        value, kind = _slot(match.group(1), rng, pools, forms)
        if kind is None:
            medical.append((len(text), len(text) + len(value)))
        else:
            elements.append(Element(kind, len(text), len(text) + len(value)))
        text += value
        last = match.end()
    text += template[last:]
    return ClinicalMessage(text, tuple(elements), tuple(medical), template)


def generate(
    pools: Pools, part: str, per_template: int = 6, seed: int = 0
) -> tuple[list[ClinicalMessage], list[ClinicalMessage]]:
    """(PHI messages, PHI-free messages) of one part, from its templates and facility forms."""
    rng = random.Random(f"{seed}:{part}")
    forms = [f for f in FACILITY_FORMS if part_of(f) == part]
    phi = [
        fill(t, rng, pools, forms) for t in PHI_TEMPLATES if part_of(t) == part for _ in range(per_template)
    ]
    clean = [
        fill(t, rng, pools, forms)
        for t in NEGATIVE_TEMPLATES
        if part_of(t) == part
        for _ in range(per_template)
    ]
    return phi, clean


def _covered(spans: Sequence[Span]) -> set[int]:
    return {i for s in spans for i in range(s.start, s.end)}


def leaked(message: ClinicalMessage, element: Element, covered: set[int]) -> bool:
    """Whether an identifying word of the element stays readable."""
    value = message.text[element.start : element.end]
    for token in _TOKEN.finditer(value):
        word = token.group().lower()
        if word in GENERIC_WORDS or (element.kind == "ADDRESS" and token.group() in US_STATES):
            continue
        if element.kind in ("RECORD_ID", "PLAN_ID") and word.isalpha() and len(word) <= 4:
            continue
        positions = range(element.start + token.start(), element.start + token.end())
        if sum(i in covered for i in positions) * 2 < len(positions):
            return True
    return False


def score_clinical(
    detect: Callable[[str], list[Span]], phi: Sequence[ClinicalMessage], clean: Sequence[ClinicalMessage]
) -> dict[str, Any]:
    by_kind: dict[str, list[int]] = {}
    leaks: list[str] = []
    medical_total = medical_damaged = 0
    damaged_examples: list[str] = []
    for message in phi:
        covered = _covered(detect(message.text))
        for element in message.elements:
            counts = by_kind.setdefault(element.kind, [0, 0])
            counts[0] += 1
            if leaked(message, element, covered):
                counts[1] += 1
                leaks.append(
                    f"{element.kind}: {message.text[element.start : element.end]!r} in {message.text!r}"
                )
        medical_total += len(message.medical)
        for start, end in message.medical:
            if any(i in covered for i in range(start, end)):
                medical_damaged += 1
                damaged_examples.append(message.text[start:end])
    changed: list[str] = []
    for message in clean:
        spans = detect(message.text)
        medical_total += len(message.medical)
        covered = _covered(spans)
        for start, end in message.medical:
            if any(i in covered for i in range(start, end)):
                medical_damaged += 1
                damaged_examples.append(message.text[start:end])
        if spans:
            changed.append("; ".join(f"{s.entity_type}: {message.text[s.start : s.end]!r}" for s in spans))
    elements = sum(c[0] for c in by_kind.values())
    leaked_count = sum(c[1] for c in by_kind.values())
    return {
        "phi_messages": len(phi),
        "elements": elements,
        "leaked": leaked_count,
        "leak_rate": round(leaked_count / max(1, elements), 4),
        "leak_by_kind": {
            k: {"elements": c[0], "leaked": c[1], "rate": round(c[1] / max(1, c[0]), 4)}
            for k, c in sorted(by_kind.items())
        },
        "clean_messages": len(clean),
        "clean_changed": len(changed),
        "clean_changed_rate": round(len(changed) / max(1, len(clean)), 4),
        "medical_terms": medical_total,
        "medical_terms_damaged": medical_damaged,
        "leak_examples": leaks[:200],
        "changed_examples": changed[:100],
        "damaged_examples": sorted(set(damaged_examples))[:25],
    }


def clinical_sets(
    presidio_path: Path, medquad_dir: Path, part: str
) -> tuple[list[ClinicalMessage], list[ClinicalMessage]]:
    """The (PHI, PHI-free) messages of one part ("tune" or "report")."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, not {part!r}")
    return generate(load_pools(presidio_path, medquad_dir, part), part)


def clinical_markdown(results: dict[str, dict[str, Any]], part: str) -> str:
    """Leak rate by kind and PHI-free messages changed, one column per detector."""
    names = list(results)
    first = results[names[0]]
    lines = [
        f"## Clinical-style messages ({part} part)",
        "",
        f"{first['phi_messages']} messages with {first['elements']} PHI elements, {first['clean_messages']} "
        "PHI-free messages (careguide.eval.phi_clinical). An element leaks when one of its identifying "
        "words stays readable.",
        "",
        "| | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---" for _ in names) + " |",
        "| PHI elements leaked | "
        + " | ".join(f"{100 * results[n]['leak_rate']:.1f}% ({results[n]['leaked']})" for n in names)
        + " |",
    ]
    for kind in first["leak_by_kind"]:
        cells = [results[n]["leak_by_kind"][kind] for n in names]
        lines.append(
            f"| … {kind} ({cells[0]['elements']}) | "
            + " | ".join(f"{100 * c['rate']:.1f}% ({c['leaked']})" for c in cells)
            + " |"
        )
    lines += [
        "| PHI-free messages changed | "
        + " | ".join(
            f"{100 * results[n]['clean_changed_rate']:.1f}% ({results[n]['clean_changed']})" for n in names
        )
        + " |",
        "| medical terms damaged | "
        + " | ".join(f"{results[n]['medical_terms_damaged']}/{results[n]['medical_terms']}" for n in names)
        + " |",
        "| ms per message | "
        + " | ".join(f"{results[n].get('ms_per_message', 0):.1f}" for n in names)
        + " |",
        "",
    ]
    return "\n".join(lines)
