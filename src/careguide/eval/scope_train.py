"""Training of the scope classifier: is a message about health at all?

The scope check (``guardrails/policy.py: ScopeCheck``) redirects a message with no health word. A
word list cannot know every drug, test or lay phrase ("how do beta blockers work", "how long will
suboxone block opiates"), so a message without one is also read by a logistic regression on its
sentence embedding, and stays in scope when the probability reaches the threshold.

Trained only on text whose licence allows shipping what is learnt from it:
- health (positive): MedQuAD questions, template and consumer-style (CC BY 4.0), and MeQSum consumer
  questions to the NLM (CC BY 4.0);
- not health (negative): presidio-research's synthetic customer-service sentences (MIT) and XSTest's
  safe prompts, tuning part (CC BY 4.0).
The threshold is the lowest probability at which at most ``budget`` of the non-medical r/AskDocs
queries' tuning part (medicheck-neg, never trained on) that have no health word would be kept in scope.

``python -m careguide.eval.scope_train`` writes ``guardrails/data/scope_model.json``.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

import numpy as np

from careguide.eval import safety_data as sd
from careguide.eval.safety_train import fit_budgeted
from careguide.guardrails import ScopeCheck

NEGATIVE_QUERIES = "medical_safety_riskgraded"


def presidio_sentences(data_dir: Path, size: int = 700, seed: int = 7) -> list[str]:
    """Synthetic customer-service and everyday sentences (presidio-research, MIT), one per template."""
    name = "presidio_synth"
    rows = json.loads(sd._need(data_dir / name / "data" / "synth_dataset_v2.json", name).read_text("utf-8"))
    by_template: dict[str, str] = {}
    for row in rows:
        text = " ".join(row["full_text"].split())
        by_template.setdefault(str(row.get("template_id", text)), text)
    texts = sorted(by_template.values())
    return random.Random(seed).sample(texts, min(size, len(texts)))


def non_medical_queries(data_dir: Path, part: sd.Part = "tune") -> list[str]:
    """r/AskDocs' non-medical Reddit queries (medicheck-neg.csv, one column, no header), by part."""
    path = sd._need(data_dir / NEGATIVE_QUERIES / "medicheck-neg.csv", NEGATIVE_QUERIES)
    with path.open(encoding="utf-8") as handle:
        rows = [row[0].strip() for row in csv.reader(handle) if row and row[0].strip()]
    items = [sd.Item("medicheck_neg", str(i), text, "not_medical") for i, text in enumerate(rows)]
    return [i.text for i in sd.select(items, part)]


def scope_training(data_dir: Path, medquad_questions: list[str]) -> dict[str, list[str]]:
    xstest = [i.text for i in sd.safe_prompts(data_dir, "tune") if i.source == "xstest"]
    return {
        "positive": medquad_questions + sd.meqsum_questions(data_dir),
        "negative": presidio_sentences(data_dir) + xstest,
    }


def train_scope(
    embedder: Any, data_dir: Path, medquad_questions: list[str], c: float = 1.0, budget: float = 0.05
) -> dict[str, Any]:
    """Fit the scope classifier and choose its threshold on the non-medical queries' tuning part."""
    # The classifier only reads messages without a health word: count the budget on those.
    words = ScopeCheck("")
    unworded = [t for t in non_medical_queries(data_dir, "tune") if not words.has_health_word(t)]
    return fit_budgeted(
        embedder,
        scope_training(data_dir, medquad_questions),
        [unworded],
        c,
        budget,
        sources="MedQuAD and MeQSum questions (CC BY 4.0); presidio-research synthetic sentences "
        "(MIT); XSTest safe prompts, tuning part (CC BY 4.0)",
        budget_text=f"at most {budget:.0%} of the non-medical r/AskDocs queries without a health "
        "word (tuning part) reach the threshold",
    )


def compare_scope(config: Any, part: sd.Part = "report", limit: int = 300) -> list[str]:
    """Off (the scope check reads words alone) vs on (with its classifier), same run, same models:
    per set, messages redirected as not about health, stopped by a safety layer, and answered."""
    import time

    from careguide.eval.safety_public import not_answered, stopped
    from careguide.guardrails import Guardrails, load_policy, open_guardrails
    from careguide.ingest import KnowledgeBase, classifier_embedder

    on = open_guardrails(config, audit=False)
    policy = load_policy(config.guardrails)
    checks = policy.checks.model_copy(update={"scope_model": False})
    off = Guardrails(
        policy.model_copy(update={"checks": checks}),
        KnowledgeBase.open(config).terms(),
        redactor=on.redactor,
        embedder=classifier_embedder(config.embedding),
    )

    def sample(texts: list[str]) -> list[str]:
        return texts if len(texts) <= limit else random.Random(0).sample(texts, limit)

    safe = sd.safe_prompts(config.data_dir, part)
    sets = {
        "MedicationQA": [i.text for i in safe if i.source == "medicationqa"],
        "AskDocs (all grades)": [i.text for i in sd.riskgraded(config.data_dir, part)],
        "XSTest safe": [i.text for i in safe if i.source == "xstest"],
        "ToxicChat non-toxic": [i.text for i in safe if i.source == "toxicchat_human_annotated"],
        "non-medical r/AskDocs queries": non_medical_queries(config.data_dir, part),
        "harmful requests": [i.text for i in sd.harmful_requests(config.data_dir, part)],
        "ToxicChat toxic": [i.text for i in sd.toxicchat_toxic(config.data_dir, part)],
    }
    latency: dict[str, list[float]] = {"off": [], "on": []}
    lines = [
        f"Scope classifier off vs on ({part} part, at most {limit} per set, seed 0)",
        "",
        "| set | messages | redirected off → on | stopped off → on | answered off → on |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, texts in sets.items():
        texts = sample(texts)
        counts: dict[str, tuple[int, int, int]] = {}
        for label, guard in (("off", off), ("on", on)):
            decisions = []
            for text in texts:
                start = time.perf_counter()
                decisions.append(guard.check_input(text))
                latency[label].append(1000 * (time.perf_counter() - start))
            counts[label] = (
                sum(d.category == "out_of_scope" for d in decisions),
                sum(stopped(d) for d in decisions),
                sum(not not_answered(d) for d in decisions),
            )
        cells = " | ".join(f"{counts['off'][i]} → {counts['on'][i]}" for i in range(3))
        lines.append(f"| {name} | {len(texts)} | {cells} |")
    lines.append("")
    for label, values in latency.items():
        p50, p95 = np.percentile(values, 50), np.percentile(values, 95)
        lines.append(f"check_input {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    return lines


def main(argv: list[str] | None = None) -> None:
    """``python -m careguide.eval.scope_train``: retrain the scope classifier and write its weights."""
    import argparse

    from careguide.config import load_settings
    from careguide.eval.harm_train import harm_benign_questions
    from careguide.guardrails import SCOPE_MODEL
    from careguide.ingest import classifier_embedder

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--c", type=float, default=1.0, help="Inverse L2 strength of the regression.")
    parser.add_argument(
        "--budget", type=float, default=0.05, help="Non-medical queries (tuning part) kept in scope at most."
    )
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--compare", choices=["tune", "report"], help="Print off vs on instead of training.")
    parser.add_argument("--limit", type=int, default=300, help="--compare: messages per set at most.")
    args = parser.parse_args(argv)
    config = load_settings()
    if args.compare:
        print("\n".join(compare_scope(config, args.compare, args.limit)))
        return
    embedder = classifier_embedder(config.embedding)
    record = train_scope(embedder, config.data_dir, harm_benign_questions(config, 800), args.c, args.budget)
    target = args.output or SCOPE_MODEL
    target.write_text(json.dumps(record) + "\n", encoding="utf-8")
    print(f"Wrote {target}: threshold {record['threshold']} ({record['training']['threshold_budget']}).")


if __name__ == "__main__":
    main()
