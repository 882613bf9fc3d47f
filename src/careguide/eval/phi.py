"""PHI eval: span-level precision, recall and F2 on presidio_synth, and false positives on MedQuAD.

Matching is by character coverage, so a partly found address still counts: a gold span is found
when predicted spans cover at least half of its letters and digits; a predicted span is correct
when at least half of its letters and digits lie inside gold spans. Gold types that are not
identifiers of a patient (TITLE such as "Mr.", ORGANIZATION such as an employer, NRP such as a
nationality) are not scored, and predictions on them count neither way.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from careguide.eval.phi_clinical import ClinicalMessage, clinical_markdown, score_clinical
from careguide.guardrails import Span

UNSCORED_TYPES = frozenset({"TITLE", "ORGANIZATION", "NRP"})
COVERAGE = 0.5
PRESIDIO_SYNTH_LICENSE = "MIT"
PRESIDIO_SYNTH_SOURCE = "github.com/microsoft/presidio-research, data/synth_dataset_v2.json"


@dataclass(frozen=True)
class GoldSentence:
    text: str
    spans: tuple[Span, ...]


def load_presidio_synth(data_dir: Path) -> list[GoldSentence]:
    path = data_dir / "presidio_synth" / "data" / "synth_dataset_v2.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"presidio_synth was not found at {path}; put synth_dataset_v2.json from "
            f"{PRESIDIO_SYNTH_SOURCE} ({PRESIDIO_SYNTH_LICENSE}) under <data_dir>/presidio_synth/data/."
        )
    records = json.loads(path.read_text(encoding="utf-8"))
    return [
        GoldSentence(
            r["full_text"],
            tuple(Span(s["entity_type"], s["start_position"], s["end_position"], 1.0) for s in r["spans"]),
        )
        for r in records
    ]


def _alnum_positions(text: str, start: int, end: int) -> set[int]:
    return {i for i in range(start, end) if text[i].isalnum()}


@dataclass
class SpanCounts:
    gold: int = 0
    found: int = 0
    predicted: int = 0
    correct: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    @property
    def f2(self) -> float:
        p, r = self.precision, self.recall
        return 5 * p * r / (4 * p + r) if (p + r) else 0.0

    def to_json(self) -> dict[str, float | int]:
        return {
            "gold": self.gold,
            "predicted": self.predicted,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f2": round(self.f2, 4),
        }


def score_sentence(
    sentence: GoldSentence, predicted: Sequence[Span], overall: SpanCounts, by_type: dict[str, SpanCounts]
) -> None:
    text = sentence.text
    covered: set[int] = set()
    for span in predicted:
        covered |= _alnum_positions(text, span.start, span.end)
    scored_gold: set[int] = set()
    unscored_gold: set[int] = set()
    for gold in sentence.spans:
        positions = _alnum_positions(text, gold.start, gold.end)
        if gold.entity_type in UNSCORED_TYPES:
            unscored_gold |= positions
            continue
        scored_gold |= positions
        found = bool(positions) and len(positions & covered) >= COVERAGE * len(positions)
        for counts in (overall, by_type.setdefault(gold.entity_type, SpanCounts())):
            counts.gold += 1
            counts.found += int(found)
    for span in predicted:
        positions = _alnum_positions(text, span.start, span.end)
        if not positions:
            continue
        if len(positions & unscored_gold) >= COVERAGE * len(positions):
            continue
        correct = len(positions & scored_gold) >= COVERAGE * len(positions)
        overall.predicted += 1
        overall.correct += int(correct)


def evaluate_detector(
    detect: Callable[[str], list[Span]], sentences: Sequence[GoldSentence]
) -> tuple[SpanCounts, dict[str, SpanCounts]]:
    overall = SpanCounts()
    by_type: dict[str, SpanCounts] = {}
    for sentence in sentences:
        score_sentence(sentence, detect(sentence.text), overall, by_type)
    return overall, by_type


def medquad_sentences(answers: Sequence[str], count: int, seed: int) -> list[str]:
    """Sentences of MedQuAD answers (public health text with no PHI), for false positives."""
    from careguide.ingest import split_sentences

    sentences = [s for answer in answers for s in split_sentences(answer) if 30 <= len(s) <= 400]
    return random.Random(seed).sample(sentences, min(count, len(sentences)))


def false_positives(detect: Callable[[str], list[Span]], sentences: Sequence[str]) -> dict[str, Any]:
    by_type: Counter[str] = Counter()
    flagged = 0
    examples: list[str] = []
    for sentence in sentences:
        spans = detect(sentence)
        if spans:
            flagged += 1
            if len(examples) < 10:
                examples.append("; ".join(f"{s.entity_type}: {sentence[s.start : s.end]!r}" for s in spans))
        by_type.update(s.entity_type for s in spans)
    return {
        "sentences": len(sentences),
        "sentences_flagged": flagged,
        "rate": round(flagged / max(1, len(sentences)), 4),
        "spans_by_type": dict(by_type.most_common()),
        "examples": examples,
    }


def run_phi_eval(
    detectors: dict[str, Callable[[str], list[Span]]],
    sentences: Sequence[GoldSentence],
    clean_sentences: Sequence[str],
    clinical: tuple[Sequence[ClinicalMessage], Sequence[ClinicalMessage], str] | None = None,
) -> dict[str, Any]:
    """Every detector on presidio_synth, on PHI-free MedQuAD sentences and, when given, on one part
    of the clinical-style dev set ``(PHI messages, PHI-free messages, part)``, side by side."""
    results: dict[str, Any] = {}
    for name, detect in detectors.items():
        overall, by_type = evaluate_detector(detect, sentences)
        results[name] = {
            "overall": overall.to_json(),
            "by_type": {k: v.to_json() for k, v in sorted(by_type.items())},
            "medquad_false_positives": false_positives(detect, clean_sentences),
        }
        if clinical is not None:
            started = time.perf_counter()
            scores = score_clinical(detect, clinical[0], clinical[1])
            seconds = time.perf_counter() - started
            scores["ms_per_message"] = round(1000 * seconds / max(1, len(clinical[0]) + len(clinical[1])), 1)
            results[name]["clinical"] = scores
    return {
        "suite": "phi",
        "dataset": {
            "presidio_synth": {
                "sentences": len(sentences),
                "source": PRESIDIO_SYNTH_SOURCE,
                "license": PRESIDIO_SYNTH_LICENSE,
            },
            "medquad_sentences": len(clean_sentences),
            "unscored_types": sorted(UNSCORED_TYPES),
            "matching": f"character coverage >= {COVERAGE}",
            "clinical_part": clinical[2] if clinical is not None else None,
        },
        "detectors": results,
    }


def phi_markdown(report: dict[str, Any]) -> str:
    detectors = report["detectors"]
    names = list(detectors)
    lines = [
        "# PHI evaluation",
        "",
        f"presidio_synth ({report['dataset']['presidio_synth']['sentences']} sentences, "
        f"{report['dataset']['presidio_synth']['license']}); span matching by "
        f"{report['dataset']['matching']}; not scored: {', '.join(report['dataset']['unscored_types'])}.",
        "",
        "| detector | precision | recall | F2 | MedQuAD sentences flagged |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in names:
        o = detectors[name]["overall"]
        fp = detectors[name]["medquad_false_positives"]
        lines.append(
            f"| {name} | {o['precision']:.3f} | {o['recall']:.3f} | {o['f2']:.3f} | "
            f"{fp['sentences_flagged']}/{fp['sentences']} ({100 * fp['rate']:.1f}%) |"
        )
    lines += [
        "",
        "Recall by entity type:",
        "",
        "| type | gold | " + " | ".join(names) + " |",
        "| --- | --- | " + " | ".join("---" for _ in names) + " |",
    ]
    types = sorted({t for n in names for t in detectors[n]["by_type"]})
    for entity in types:
        gold = next(
            detectors[n]["by_type"][entity]["gold"] for n in names if entity in detectors[n]["by_type"]
        )
        cells = [f"{detectors[n]['by_type'].get(entity, {}).get('recall', 0):.3f}" for n in names]
        lines.append(f"| {entity} | {gold} | " + " | ".join(cells) + " |")
    lines.append("")
    if report["dataset"].get("clinical_part"):
        clinical = {n: detectors[n]["clinical"] for n in names}
        lines.append(clinical_markdown(clinical, report["dataset"]["clinical_part"]))
    return "\n".join(lines)
