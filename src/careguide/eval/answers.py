"""The answer suite: cited answers from the real Assistant, judged by careguide's support checker.

Three question sets, all read from the data directory:
- ``medquad``: a seeded sample of MedQuAD questions whose own answer is in the index (answerable);
- ``unanswerable``: questions of MedQuAD's drug and herb subsets, whose answers were removed for
  copyright and are never indexed (the Assistant should abstain);
- ``dosing``: MedicationQA's dose questions (personal dosing: careguide must never show a number
  that is not in a cited passage, and should abstain or refer the patient to their care team).

Citation quality follows ALCE (Gao et al., 2023), judged by the lexical support checker
(``careguide.rag.supports``) instead of an NLI model: citation recall is the share of statements
whose cited passages together support them; citation precision the share of citations that support
their statement on their own (or without which the statement is no longer supported). It is
measured on the model's draft and on the answer shown after careguide's checks (which, judged by the
same checker, is supported by construction: the hand-labelled fixture is the independent check).
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from careguide.config import Settings
from careguide.eval.devset import answered_pairs, medquad_files, sample_dev_set
from careguide.ingest import read_pairs, split_sentences
from careguide.rag.citations import NON_FACTUAL, quantities, supports

UNANSWERED_SUBSETS = ("11_MPlusDrugs_QA", "12_MPlusHerbsSupplements_QA")
LABELLED = Path(__file__).parent / "datasets" / "labelled_answers.jsonl"
_MARK = re.compile(r"\s*\[(\d+)\]")


@dataclass(frozen=True)
class Case:
    kind: str
    question: str
    gold_answer_id: str = ""


def _medication_dose_questions(data_dir: Path) -> list[str]:
    path = data_dir / "medicationqa" / "MedInfo2019-QA-Medications.csv"
    if not path.is_file():
        raise FileNotFoundError(
            f"MedicationQA was not found at {path.parent}; put it under <data_dir>/medicationqa "
            "(github.com/abachaa/Medication_QA_MedInfo2019; cite Ben Abacha et al., MEDINFO 2019)."
        )
    with path.open(encoding="utf-8") as handle:
        return [
            row["Question"].strip()
            for row in csv.DictReader(handle)
            if row["Question Type"].strip().lower() == "dose" and row["Question"].strip()
        ]


def unanswered_questions(medquad_dir: Path) -> list[str]:
    """Questions of the drug and herb subsets (answers removed upstream, never indexed)."""
    questions = {
        pair.question.strip()
        for path in medquad_files(medquad_dir, UNANSWERED_SUBSETS)
        for pair in read_pairs(path)
        if pair.question.strip()
    }
    return sorted(questions)


def answer_cases(
    settings: Settings, indexed: set[str], medquad: int, unanswerable: int, dosing: int, seed: int = 0
) -> list[Case]:
    """The seeded question sets; MedQuAD questions only where their own answer is indexed."""
    pairs = [
        p
        for p in answered_pairs(settings.medquad_dir, settings.knowledge_base.medquad_subsets)
        if p.answer_id in indexed
    ]
    if medquad and not pairs:
        raise FileNotFoundError("No MedQuAD answers are indexed; run `careguide ingest` first.")
    rng = random.Random(seed)
    cases = [Case("medquad", p.question, p.answer_id) for p in sample_dev_set(pairs, medquad, seed)]
    if unanswerable:
        pool = unanswered_questions(settings.medquad_dir)
        cases += [Case("unanswerable", q) for q in rng.sample(pool, min(unanswerable, len(pool)))]
    if dosing:
        pool = _medication_dose_questions(settings.data_dir)
        cases += [Case("dosing", q) for q in rng.sample(pool, min(dosing, len(pool)))]
    return cases


@dataclass(frozen=True)
class CitationScores:
    statements: int
    supported: int
    citations: int
    precise: int


def alce_scores(text: str, passages: Sequence[str]) -> CitationScores:
    """ALCE citation recall/precision counts of one answer, judged by the support checker.

    Statements are sentences with letters that are not advice to consult the care team; a statement
    without a citation counts as unsupported.
    """
    statements = supported = citations = precise = 0
    for sentence in split_sentences(text):
        cited = sorted({int(n) for n in _MARK.findall(sentence) if 1 <= int(n) <= len(passages)})
        plain = _MARK.sub("", sentence).strip()
        if not re.search(r"[A-Za-z]", plain) or (
            not cited and NON_FACTUAL.search(plain) and not quantities(plain)
        ):
            continue
        statements += 1
        joint = "\n".join(passages[n - 1] for n in cited)
        whole = bool(cited) and supports(plain, joint).supported
        supported += whole
        for n in cited:
            citations += 1
            alone = supports(plain, passages[n - 1]).supported
            rest = "\n".join(passages[m - 1] for m in cited if m != n)
            needed = whole and not (rest and supports(plain, rest).supported)
            precise += alone or needed
    return CitationScores(statements, supported, citations, precise)


def unverified_numbers(answer: str, cited_passages: Sequence[str]) -> list[str]:
    """Numbers/doses in the shown answer that no cited passage contains (must always be none)."""
    found: set[str] = set()
    for passage in cited_passages:
        found |= quantities(passage)
    return sorted(quantities(_MARK.sub("", answer)) - found)


def reading_grade(text: str) -> float:
    import textstat

    return float(textstat.flesch_kincaid_grade(_MARK.sub("", text)))


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return float(ordered[index])


AnswerFn = Callable[[str], Any]
"""Answers one question: returns a ``careguide.rag.GuardedAnswer``."""


def answer_record(case: Case, guarded: Any) -> dict[str, Any]:
    from careguide.rag.assistant import passage_texts

    answer = guarded.answer
    texts = passage_texts(answer.passages)
    cited = [texts[c.n - 1] for c in answer.citations]
    draft = alce_scores(answer.draft, texts) if answer.draft else CitationScores(0, 0, 0, 0)
    shown = alce_scores(answer.answer, texts) if not answer.abstained else CitationScores(0, 0, 0, 0)
    return {
        "kind": case.kind,
        "question": answer.question,
        "gold_answer_id": case.gold_answer_id,
        "action": guarded.input.action,
        "abstained": answer.abstained,
        "answer": answer.answer,
        "draft": answer.draft,
        "passages": texts,
        "cited_answer_ids": [c.passage.chunk.answer_id for c in answer.citations],
        "gold_cited": bool(case.gold_answer_id)
        and case.gold_answer_id in {c.passage.chunk.answer_id for c in answer.citations},
        "draft_scores": draft.__dict__,
        "shown_scores": shown.__dict__,
        "dropped_sentences": list(answer.dropped_sentences),
        "unverified_numbers": unverified_numbers(answer.answer, cited) if not answer.abstained else [],
        "grade": reading_grade(answer.answer) if not answer.abstained else None,
        "timings": {k: round(v, 1) for k, v in answer.timings.items()},
    }


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def summarise(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per question set: answer/abstain rates, ALCE recall/precision (draft and shown), grades."""
    summary: dict[str, Any] = {}
    for kind in ("medquad", "unanswerable", "dosing"):
        rows = [r for r in records if r["kind"] == kind]
        if not rows:
            continue
        answered = [r for r in rows if not r["abstained"]]
        part: dict[str, Any] = {
            "questions": len(rows),
            "answered": _ratio(len(answered), len(rows)),
            "abstained": _ratio(len(rows) - len(answered), len(rows)),
            "no_unverified_numbers": _ratio(sum(not r["unverified_numbers"] for r in rows), len(rows)),
        }
        for stage in ("draft", "shown"):
            totals = {
                key: sum(r[f"{stage}_scores"][key] for r in answered)
                for key in ("statements", "supported", "citations", "precise")
            }
            part[f"citation_recall_{stage}"] = _ratio(totals["supported"], totals["statements"])
            part[f"citation_precision_{stage}"] = _ratio(totals["precise"], totals["citations"])
            part[f"{stage}_counts"] = totals
        if kind == "medquad":
            part["gold_cited"] = _ratio(sum(r["gold_cited"] for r in answered), len(answered))
        grades = [r["grade"] for r in answered if r["grade"] is not None]
        part["fk_grade_mean"] = sum(grades) / len(grades) if grades else 0.0
        summary[kind] = part
    modelled = [r["timings"] for r in records if "first_token_ms" in r["timings"]]
    summary["latency"] = {
        "answers_from_the_model": len(modelled),
        **{
            f"{name}_p{q}": percentile([t[name] for t in modelled], q)
            for name in ("first_token_ms", "total_ms")
            for q in (50, 95)
        },
    }
    return summary


def answer_metrics(summary: dict[str, Any]) -> dict[str, float]:
    """The harness metrics (higher is better unless the name says grade)."""
    metrics: dict[str, float] = {}
    keys = {
        "medquad": ("answered", "gold_cited", "citation_recall_draft", "citation_precision_draft",
                    "citation_recall_shown", "citation_precision_shown", "no_unverified_numbers"),
        "unanswerable": ("abstained", "no_unverified_numbers"),
        "dosing": ("no_unverified_numbers",),
    }  # fmt: skip
    for kind, names in keys.items():
        for name in names:
            if kind in summary:
                metrics[f"answers.{kind}.{name}"] = float(summary[kind][name])
    return metrics


def run_answer_eval(
    cases: Sequence[Case], answer: AnswerFn, on_done: Callable[[], None] | None = None
) -> dict[str, Any]:
    records = []
    for case in cases:
        records.append(answer_record(case, answer(case.question)))
        if on_done is not None:
            on_done()
    return {"summary": summarise(records), "records": records}


def answers_markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [
        "# Answer evaluation",
        "",
        "| question set | n | answered | abstained | citation recall (draft / shown) | "
        "citation precision (draft / shown) | gold cited | no unverified numbers | FK grade |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind in ("medquad", "unanswerable", "dosing"):
        if kind not in s:
            continue
        p = s[kind]
        lines.append(
            f"| {kind} | {p['questions']} | {p['answered']:.3f} | {p['abstained']:.3f} | "
            f"{p['citation_recall_draft']:.3f} / {p['citation_recall_shown']:.3f} | "
            f"{p['citation_precision_draft']:.3f} / {p['citation_precision_shown']:.3f} | "
            f"{p.get('gold_cited', float('nan')):.3f} | {p['no_unverified_numbers']:.3f} | "
            f"{p['fk_grade_mean']:.1f} |"
        )
    lat = s["latency"]
    lines += [
        "",
        f"Latency over {lat['answers_from_the_model']} model answers: first token p50 "
        f"{lat['first_token_ms_p50']:.0f} ms, p95 {lat['first_token_ms_p95']:.0f} ms; total p50 "
        f"{lat['total_ms_p50']:.0f} ms, p95 {lat['total_ms_p95']:.0f} ms.",
    ]
    if "checker_agreement" in report:
        a = report["checker_agreement"]
        lines += [
            "",
            f"Support checker vs hand labels: {a['agreement']:.3f} agreement on {a['sentences']} "
            f"sentences of {a['answers']} answers (Cohen's kappa {a['kappa']:.3f}; checker precision "
            f"{a['checker_precision']:.3f}, recall {a['checker_recall']:.3f} for 'supported').",
        ]
    return "\n".join(lines) + "\n"


def checker_agreement(path: Path = LABELLED) -> dict[str, Any]:
    """How often the support checker agrees with hand labels on committed model sentences."""
    import json

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs = [
        (supports(r["sentence"], "\n".join(r["passages"])).supported, bool(r["supported"])) for r in rows
    ]
    n = len(pairs)
    agree = sum(a == b for a, b in pairs)
    both = sum(a and b for a, b in pairs)
    checker_yes = sum(a for a, _ in pairs)
    human_yes = sum(b for _, b in pairs)
    expected = (checker_yes * human_yes + (n - checker_yes) * (n - human_yes)) / (n * n) if n else 0.0
    observed = agree / n if n else 0.0
    return {
        "answers": len({r["question"] for r in rows}),
        "sentences": n,
        "agreement": observed,
        "kappa": (observed - expected) / (1 - expected) if expected < 1 else 1.0,
        "checker_precision": _ratio(both, checker_yes),
        "checker_recall": _ratio(both, human_yes),
        "human_supported": _ratio(human_yes, n),
    }
