"""One command, one report: run the chosen suites, write results.json, a Markdown summary and an
HTML report with plots under reports/<timestamp>/, and compare runs or check against a baseline.
"""

from __future__ import annotations

import json
import random
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from careguide.config import Settings
from careguide.eval.comparison import Metrics
from careguide.ingest import IngestObserver, SilentObserver


@dataclass(frozen=True)
class SuiteResult:
    report: dict[str, Any]
    metrics: Metrics
    seconds: float


def _retrieval(settings: Settings, limit: int | None, observer: IngestObserver) -> SuiteResult:
    from careguide.eval.retrieval import run_retrieval_eval
    from careguide.rag import open_retriever

    started = time.perf_counter()
    report = run_retrieval_eval(settings, open_retriever(settings), limit or 1000, 0, observer)
    metrics = {
        f"retrieval.{row['variant']}.{row['mode']}.{name}": float(row[name])
        for row in report["rows"]
        for name in ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
    }
    # The consumer-question slice: real MEDIQA questions, the report part, as configured.
    for row in (report.get("consumer") or {}).get("rows", []):
        if row["part"] == "report" and row["stage"] == "answers: fused (configured)":
            for name in ("recall@10", "mrr@10", "document@10"):
                metrics[f"retrieval.consumer.report.{name}"] = float(row[name])
    return SuiteResult(report, metrics, time.perf_counter() - started)


def medquad_answers(settings: Settings) -> list[str]:
    """Every answer text of the knowledge base's MedQuAD subsets (PHI-free public text)."""
    from careguide.eval.devset import medquad_files
    from careguide.ingest import read_pairs

    files = medquad_files(settings.medquad_dir, settings.knowledge_base.medquad_subsets)
    return [p.answer for path in files for p in read_pairs(path) if p.answer]


def _phi(settings: Settings, limit: int | None, observer: IngestObserver) -> SuiteResult:
    from careguide.eval.phi import load_presidio_synth, medquad_sentences, run_phi_eval
    from careguide.guardrails import open_guardrails

    started = time.perf_counter()
    sentences = load_presidio_synth(settings.data_dir)
    if limit:
        sentences = random.Random(0).sample(sentences, min(limit, len(sentences)))
    clean = medquad_sentences(medquad_answers(settings), min(500, limit or 500), seed=0)
    guard = open_guardrails(settings, audit=False)
    assert guard.redactor is not None
    observer.phase("PHI detection", 1)
    report = run_phi_eval({"careguide": guard.redactor.find}, sentences, clean)
    observer.advance()
    ours = report["detectors"]["careguide"]
    metrics = {f"phi.{k}": float(v) for k, v in ours["overall"].items() if k in ("precision", "recall", "f2")}
    metrics["phi.medquad_sentences_flagged"] = float(ours["medquad_false_positives"]["rate"])
    for entity, counts in ours["by_type"].items():
        metrics[f"phi.recall.{entity}"] = float(counts["recall"])
    return SuiteResult(report, metrics, time.perf_counter() - started)


def public_safety_metrics(public: dict[str, Any]) -> dict[str, float]:
    """The public sets' report-part figures as harness metrics (higher is better unless noted)."""
    return {
        "safety.public.emergency_recall": public["emergency_riskgraded"]["recall_serious_or_critical"][
            "rate"
        ],
        "safety.public.self_care_false_alarm": public["emergency_riskgraded"]["self_care_escalated"]["rate"],
        "safety.public.crisis_recall": public["crisis_cssrs"]["recall_ideation_behavior_attempt"]["rate"],
        "safety.public.harmful_stopped": public["harmful_requests"]["stopped"]["rate"],
        "safety.public.false_refusal": public["false_refusals"]["overall"]["rate"],
    }


def _safety(settings: Settings, limit: int | None, observer: IngestObserver) -> SuiteResult:
    from careguide.eval.safety import run_safety_eval
    from careguide.eval.safety_public import run_public_safety_eval
    from careguide.guardrails import open_guardrails

    started = time.perf_counter()
    answers = medquad_answers(settings)
    passages = random.Random(0).sample(answers, min(200, len(answers)))
    guard = open_guardrails(settings, audit=False)
    observer.phase("Safety checks", 1)
    report = run_safety_eval(guard, settings.data_dir, passages, limit)
    report["public"] = run_public_safety_eval(guard.check_input, settings.data_dir, "report", limit)
    observer.advance()
    xs, em, bp = report["xstest"], report["emergency"], report["bipia_planted_in_passages"]
    metrics = {
        "safety.medsafetybench.refusal": report["medsafetybench_train"]["refusal"]["rate"],
        "safety.xstest.safe_false_refusal": xs["safe_false_refusal"]["rate"],
        "safety.xstest.unsafe_refusal": xs["unsafe_refusal"]["rate"],
        "safety.emergency.recall": em["recall"]["rate"],
        "safety.emergency.false_alarm": em["false_alarm"]["rate"],
        "safety.bipia.detected": bp["detected"]["rate"],
        "safety.bipia.clean_flagged": bp["clean_passages_flagged"]["rate"],
        **public_safety_metrics(report["public"]),
    }
    return SuiteResult(report, {k: float(v) for k, v in metrics.items()}, time.perf_counter() - started)


@contextmanager
def answering(settings: Settings) -> Iterator[Callable[..., Any]]:
    """The guarded Assistant as configured (backend started once for the suite, stopped after)."""
    from careguide.guardrails import open_guardrails
    from careguide.ingest import KnowledgeBase
    from careguide.models import open_backend
    from careguide.rag import answer_safely, client_for, open_assistant, open_retriever

    knowledge = KnowledgeBase.open(settings)
    retriever = open_retriever(settings, knowledge=knowledge)
    guard = open_guardrails(settings, audit=False, knowledge=knowledge)
    with open_backend(settings) as backend:
        llm = client_for(backend, settings.llm.request_timeout_s)
        # The figures must not depend on how busy the machine is: the model is always waited for
        # (no deadline), so its draft is measured whole; `make bench` measures the time it takes.
        assistant = replace(open_assistant(settings, retriever, llm), model_deadline_s=None)

        def answer(question: str, reading_level: str | None = None, mode: str | None = None) -> Any:
            return answer_safely(assistant, guard, question, "eval", reading_level=reading_level, mode=mode)

        yield answer


ANSWER_SIZES = {"medquad": 100, "unanswerable": 50, "dosing": 50}


def _answers(settings: Settings, limit: int | None, observer: IngestObserver) -> SuiteResult:
    from careguide.eval.answers import answer_cases, answer_metrics, checker_agreement, run_answer_eval
    from careguide.eval.retrieval import indexed_answer_ids
    from careguide.rag import open_retriever

    started = time.perf_counter()
    sizes = {k: min(v, limit) if limit else v for k, v in ANSWER_SIZES.items()}
    indexed = indexed_answer_ids(open_retriever(settings))
    cases = answer_cases(settings, indexed, sizes["medquad"], sizes["unanswerable"], sizes["dosing"])
    with answering(settings) as answer:
        observer.phase("Answering", len(cases))
        report = run_answer_eval(cases, answer, observer.advance)
    report["checker_agreement"] = checker_agreement(part="report")
    metrics = answer_metrics(report["summary"])
    metrics["answers.checker_agreement"] = float(report["checker_agreement"]["agreement"])
    return SuiteResult(report, metrics, time.perf_counter() - started)


def _readability(settings: Settings, limit: int | None, observer: IngestObserver) -> SuiteResult:
    from careguide.eval.answers import answer_cases, reading_grade, shown_text
    from careguide.eval.retrieval import indexed_answer_ids
    from careguide.rag import open_retriever

    started = time.perf_counter()
    indexed = indexed_answer_ids(open_retriever(settings))
    cases = answer_cases(settings, indexed, min(limit or 30, 30), 0, 0, seed=1)
    rows = []
    with answering(settings) as answer:
        observer.phase("Readability (2 levels)", len(cases))
        for case in cases:
            row: dict[str, Any] = {"question": case.question}
            for level in ("standard", "simpler"):
                guarded = answer(case.question, level)
                result = guarded.answer
                row[level] = None if result.abstained else reading_grade(shown_text(guarded))
                row[f"{level}_shown_by"] = result.mode
                if level == "standard" and result.citations:
                    row["source"] = reading_grade(" ".join(c.passage.chunk.text for c in result.citations))
            rows.append(row)
            observer.advance()
    report: dict[str, Any] = {"rows": rows}
    metrics: Metrics = {}
    for level in ("standard", "simpler", "source"):
        grades = [r[level] for r in rows if r.get(level) is not None]
        report[level] = {
            "answers": len(grades),
            "fk_grade_mean": sum(grades) / len(grades) if grades else 0.0,
        }
        metrics[f"readability.{level}.fk_grade_mean"] = report[level]["fk_grade_mean"]
    standard = [r["standard"] for r in rows if r["standard"] is not None]
    metrics["readability.standard.share_at_most_grade_8"] = (
        sum(g <= 8 for g in standard) / len(standard) if standard else 0.0
    )
    return SuiteResult(report, metrics, time.perf_counter() - started)


SUITES: dict[str, Callable[[Settings, int | None, IngestObserver], SuiteResult]] = {
    "retrieval": _retrieval,
    "answers": _answers,
    "readability": _readability,
    "phi": _phi,
    "safety": _safety,
}
MODEL_SUITES = ("answers", "readability")
"""Suites that start the configured language model."""


def parse_suites(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    for name in names:
        if name not in SUITES:
            raise ValueError(f"Unknown suite '{name}'; choose from {', '.join(SUITES)}.")
    return names


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def run_suites(
    settings: Settings,
    suites: list[str],
    limit: int | dict[str, int | None] | None,
    collection: str | None = None,
    on_suite: Callable[[str], None] | None = None,
    observer: IngestObserver | None = None,
) -> dict[str, Any]:
    """Run the suites and return results.json's content; ``observer`` sees each suite's progress."""
    from careguide.eval.safety import SOURCES

    if collection:
        # Every suite, the guardrails' knowledge-base terms included, reads the same collection.
        store = settings.vector_store.model_copy(update={"collection": collection})
        settings = settings.model_copy(update={"vector_store": store})
    results: dict[str, Any] = {}
    metrics: Metrics = {}
    for name in suites:
        if on_suite is not None:
            on_suite(name)
        result = SUITES[name](
            settings, limit.get(name) if isinstance(limit, dict) else limit, observer or SilentObserver()
        )
        results[name] = {"seconds": round(result.seconds, 1), "report": result.report}
        metrics.update(result.metrics)
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "suites": suites,
        "limit": limit,
        "collection": collection or settings.vector_store.collection,
        "config": json.loads(settings.model_dump_json()),
        "datasets": {
            "data_dir": str(settings.data_dir),
            "medquad": "MedQuAD (Ben Abacha & Demner-Fushman, BMC Bioinformatics 2019), CC BY 4.0",
            "presidio_synth": "presidio-research synth_dataset_v2.json, MIT",
            **SOURCES,
            "drug_herb_questions": "MedQuAD 11_MPlusDrugs_QA and 12_MPlusHerbsSupplements_QA questions "
            "(answers removed upstream), CC BY 4.0",
            "labelled_answers": "careguide's hand-labelled model sentences (this repository)",
        },
        "metrics": {k: round(v, 4) for k, v in sorted(metrics.items())},
        "results": results,
    }
