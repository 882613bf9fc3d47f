"""The answer suite: cited answers from the real Assistant, judged by careguide's support checker.

Four question sets, all read from the data directory:
- ``consumer``: real consumer questions (MEDIQA 2019 mapped to the knowledge base; the report part
  of the committed split by default), gold = the answers and documents NIST judged good;
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

Each question can be answered in several answer modes (``model``: today's path, the model's
checked answer or the abstention; ``extractive``; ``hybrid``), in the same run, so the modes are
compared on the same questions, index and machine.
"""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from careguide.config import Settings
from careguide.eval.devset import answered_pairs, medquad_files, sample_dev_set
from careguide.ingest import read_pairs, split_sentences
from careguide.rag import NON_FACTUAL, quantities, supports

UNANSWERED_SUBSETS = ("11_MPlusDrugs_QA", "12_MPlusHerbsSupplements_QA")
KINDS = ("consumer", "medquad", "unanswerable", "dosing")
LABELLED = Path(__file__).parent / "datasets" / "labelled_answers.jsonl"
_MARK = re.compile(r"\s*\[(\d+)\]")


@dataclass(frozen=True)
class Case:
    kind: str
    question: str
    gold_answer_id: str = ""
    gold_answers: frozenset[str] = frozenset()
    gold_urls: frozenset[str] = frozenset()

    def gold_cited(self, citations: Sequence[Any]) -> bool:
        """Does any citation name a gold answer (or, for consumer questions, a gold document)?"""
        from careguide.eval.devset import normalise_url

        answers = self.gold_answers | ({self.gold_answer_id} if self.gold_answer_id else set())
        return any(
            c.passage.chunk.answer_id in answers or normalise_url(c.passage.chunk.url) in self.gold_urls
            for c in citations
        )


def consumer_cases(settings: Settings, part: str = "report", limit: int | None = None) -> list[Case]:
    """MEDIQA 2019 consumer questions of one part of the committed split, in a fixed order."""
    from careguide.eval.devset import load_consumer_set

    items = load_consumer_set(
        settings.data_dir / "mediqa2019", settings.medquad_dir, settings.knowledge_base.medquad_subsets
    )
    chosen = [q for q in sorted(items, key=lambda q: q.qid) if part in ("all", q.part)]
    return [
        Case("consumer", q.question, "", q.gold_answers, q.gold_urls) for q in chosen[: limit or len(chosen)]
    ]


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
    lead: list[int] = []
    for line in text.splitlines():
        item = bool(re.match(r"\s*[-•*]\s", line))
        for sentence in split_sentences(line):
            cited = sorted({int(n) for n in _MARK.findall(sentence) if 1 <= int(n) <= len(passages)})
            if not item:
                lead = cited if sentence.rstrip().endswith(":") else []
            scored = _statement(sentence, cited or (lead if item else []), passages)
            if scored is None:
                continue
            statements += 1
            supported += scored[0]
            citations += scored[1]
            precise += scored[2]
    return CitationScores(statements, supported, citations, precise)


def _statement(sentence: str, cited: list[int], passages: Sequence[str]) -> tuple[int, int, int] | None:
    """(supported, citations, precise citations) of one statement; None for a non-statement. A list
    item is cited by its lead-in ("Signs include [1]:")."""
    plain = _MARK.sub("", sentence).strip()
    if not re.search(r"[A-Za-z]", plain) or (
        not cited and NON_FACTUAL.search(plain) and not quantities(plain)
    ):
        return None
    joint = "\n".join(passages[n - 1] for n in cited)
    whole = bool(cited) and supports(plain, joint).supported
    precise = 0
    for n in cited:
        alone = supports(plain, passages[n - 1]).supported
        rest = "\n".join(passages[m - 1] for m in cited if m != n)
        needed = whole and not (rest and supports(plain, rest).supported)
        precise += alone or needed
    return int(whole), len(cited), precise


def unverified_numbers(answer: str, cited_passages: Sequence[str]) -> list[str]:
    """Numbers/doses in the shown answer that no cited passage contains (must always be none)."""
    found: set[str] = set()
    for passage in cited_passages:
        found |= quantities(passage)
    return sorted(quantities(_MARK.sub("", answer)) - found)


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade of the shown text; a list item or a line is a sentence of its own."""
    import textstat

    lines = [re.sub(r"^\s*[-•*]\s+", "", line).strip() for line in _MARK.sub("", text).splitlines()]
    prose = " ".join(line if line[-1:] in ".!?:" else f"{line}." for line in lines if line)
    return float(textstat.flesch_kincaid_grade(prose))


def shown_text(guarded: Any) -> str:
    """The answer without the notices appended after it (privacy, care team): what is graded."""
    text: str = guarded.answer.answer
    notices = [guarded.input.notice, guarded.output.notice if guarded.output is not None else ""]
    appended = " ".join(n for n in notices if n)
    if appended and text.endswith(f"\n\n{appended}"):
        text = text[: -len(appended) - 2]
    return text


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return float(ordered[index])


AnswerFn = Callable[..., Any]
"""Answers one question: returns a ``careguide.rag.GuardedAnswer``."""


def answer_record(case: Case, guarded: Any, mode: str = "") -> dict[str, Any]:
    from careguide.rag import passage_texts

    answer = guarded.answer
    text = shown_text(guarded)
    texts = passage_texts(answer.passages)
    cited = [texts[c.n - 1] for c in answer.citations]
    draft = alce_scores(answer.draft, texts) if answer.draft else CitationScores(0, 0, 0, 0)
    shown = alce_scores(answer.answer, texts) if not answer.abstained else CitationScores(0, 0, 0, 0)
    return {
        "kind": case.kind,
        "mode": mode,  # as asked ("": the configured mode); shown_by: what answered
        "shown_by": answer.mode,
        "question": answer.question,
        "gold_answer_id": case.gold_answer_id,
        "action": guarded.input.action,
        "abstained": answer.abstained,
        "answer": answer.answer,
        "draft": answer.draft,
        "passages": texts,
        "cited_answer_ids": [c.passage.chunk.answer_id for c in answer.citations],
        "gold_cited": case.gold_cited(answer.citations),
        "draft_scores": draft.__dict__,
        "shown_scores": shown.__dict__,
        "dropped_sentences": list(answer.dropped_sentences),
        "unverified_numbers": unverified_numbers(text, cited) if not answer.abstained else [],
        "grade": reading_grade(text) if not answer.abstained else None,
        "timings": {k: round(v, 1) for k, v in answer.timings.items()},
    }


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def summarise(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per question set: answer/abstain rates, ALCE recall/precision (draft and shown), grades."""
    summary: dict[str, Any] = {}
    for kind in KINDS:
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
        if kind in ("medquad", "consumer"):
            part["gold_cited"] = _ratio(sum(r["gold_cited"] for r in answered), len(answered))
            part["answered_gold_cited"] = _ratio(sum(r["gold_cited"] for r in answered), len(rows))
        part["numbers_not_in_cited_passages"] = sum(len(r["unverified_numbers"]) for r in rows)
        grades = [r["grade"] for r in answered if r["grade"] is not None]
        part["fk_grade_mean"] = sum(grades) / len(grades) if grades else 0.0
        part["fk_grade_median"] = percentile(grades, 50)
        part["fk_share_at_most_8"] = _ratio(sum(g <= 8.0 for g in grades), len(grades))
        part["shown_by"] = dict(Counter(r.get("shown_by", "") for r in answered))
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
    timed = [r["timings"] for r in records if "total_ms" in r["timings"]]
    summary["latency_all"] = {
        "answers": len(timed),
        **{
            f"{name}_p{q}": percentile([t.get(name, t["total_ms"]) for t in timed], q)
            for name in ("first_shown_ms", "total_ms")
            for q in (50, 95)
        },
    }
    return summary


def first_shown_ms(record: dict[str, Any]) -> None:
    """When the patient first reads text: the extract in hybrid mode, else the whole answer
    (the model's draft is not shown as final text before it is checked)."""
    t = record["timings"]
    if "total_ms" in t:
        t["first_shown_ms"] = (
            t["extract_ms"] if record["mode"] == "hybrid" and "extract_ms" in t else t["total_ms"]
        )


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
    cases: Sequence[Case],
    answer: AnswerFn,
    on_done: Callable[[], None] | None = None,
    modes: Sequence[str] = (),
) -> dict[str, Any]:
    """Every case in every mode (``modes`` empty: the configured mode only); ``summary`` is the
    first mode's, ``modes`` holds each mode's."""
    records = []
    for case in cases:
        for mode in modes or ("",):
            guarded = answer(case.question, mode=mode) if mode else answer(case.question)
            record = answer_record(case, guarded, mode)
            first_shown_ms(record)
            records.append(record)
            if on_done is not None:
                on_done()
    by_mode = {
        m: summarise([r for r in records if r["mode"] == m])
        for m in dict.fromkeys(r["mode"] for r in records)
    }
    return {"summary": next(iter(by_mode.values())), "modes": by_mode, "records": records}


def answers_markdown(report: dict[str, Any]) -> str:
    modes = report.get("modes") or {"": report["summary"]}
    lines = [
        "# Answer evaluation",
        "",
        "| mode | question set | n | answered | answered, gold cited | abstained | citation recall "
        "(draft / shown) | citation precision (draft / shown) | numbers not in cited passages | "
        "FK grade median (mean) | FK <= 8 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for mode, s in modes.items():
        for kind in KINDS:
            if kind not in s:
                continue
            p = s[kind]
            lines.append(
                f"| {mode or 'configured'} | {kind} | {p['questions']} | {p['answered']:.3f} | "
                f"{p.get('answered_gold_cited', float('nan')):.3f} | {p['abstained']:.3f} | "
                f"{p['citation_recall_draft']:.3f} / {p['citation_recall_shown']:.3f} | "
                f"{p['citation_precision_draft']:.3f} / {p['citation_precision_shown']:.3f} | "
                f"{p['numbers_not_in_cited_passages']} | "
                f"{p['fk_grade_median']:.1f} ({p['fk_grade_mean']:.1f}) | "
                f"{p.get('fk_share_at_most_8', 0.0):.2f} |"
            )
    lines += [
        "",
        "| mode | first text shown p50 / p95 ms | model first token p50 / p95 ms | total p50 / p95 ms |",
    ]
    lines += ["| --- | --- | --- | --- |"]
    for mode, s in modes.items():
        lat, every = s["latency"], s["latency_all"]
        token = (
            f"{lat['first_token_ms_p50']:.0f} / {lat['first_token_ms_p95']:.0f}"
            if lat["answers_from_the_model"]
            else "-"
        )
        lines.append(
            f"| {mode or 'configured'} | "
            f"{every['first_shown_ms_p50']:.0f} / {every['first_shown_ms_p95']:.0f} | "
            f"{token} | {every['total_ms_p50']:.0f} / {every['total_ms_p95']:.0f} |"
        )
    if "checker_agreement" in report:
        a = report["checker_agreement"]
        lines += [
            "",
            f"Support checker vs hand labels: {a['agreement']:.3f} agreement on {a['sentences']} "
            f"sentences of {a['answers']} answers (Cohen's kappa {a['kappa']:.3f}; checker precision "
            f"{a['checker_precision']:.3f}, recall {a['checker_recall']:.3f} for 'supported').",
        ]
    return "\n".join(lines) + "\n"


def labelled_part(question: str) -> str:
    """The committed split of the hand labels, by question: "tune" (thresholds are chosen on it)
    or "report" (figures are reported on it). A row's own "part" field, where it has one, wins."""
    import hashlib

    return "report" if hashlib.sha256(question.encode("utf-8")).digest()[0] % 2 else "tune"


def checker_agreement(
    path: Path = LABELLED, part: str = "all", min_overlap: float | None = None
) -> dict[str, Any]:
    """How often the support checker agrees with hand labels on committed sentences (the model's
    sentences and hand-written paraphrases), on one part of the split ("all", "tune", "report")."""
    import json

    from careguide.rag import MIN_OVERLAP

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if part == "all" or (r.get("part") or labelled_part(r["question"])) == part]
    threshold = MIN_OVERLAP if min_overlap is None else min_overlap
    pairs = [
        (supports(r["sentence"], "\n".join(r["passages"]), threshold).supported, bool(r["supported"]))
        for r in rows
    ]
    n = len(pairs)
    agree = sum(a == b for a, b in pairs)
    both = sum(a and b for a, b in pairs)
    checker_yes = sum(a for a, _ in pairs)
    human_yes = sum(b for _, b in pairs)
    expected = (checker_yes * human_yes + (n - checker_yes) * (n - human_yes)) / (n * n) if n else 0.0
    observed = agree / n if n else 0.0
    unsupported = n - human_yes
    return {
        "part": part,
        "min_overlap": threshold,
        "answers": len({r["question"] for r in rows}),
        "sentences": n,
        "agreement": observed,
        "kappa": (observed - expected) / (1 - expected) if expected < 1 else 1.0,
        "checker_precision": _ratio(both, checker_yes),
        "checker_recall": _ratio(both, human_yes),
        "human_supported": _ratio(human_yes, n),
        "unsupported_accepted": _ratio(sum(a and not b for a, b in pairs), unsupported),
    }
