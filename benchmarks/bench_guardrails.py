"""Latency of check_input and check_output on 200 realistic patient messages, Presidio share broken out.

Messages: consumer-style MedQuAD questions, a third of them with personal details added, plus the
emergency and look-alike messages. Baseline: Presidio's analysis alone on the same texts.
"""

from __future__ import annotations

import random
import time

from benchmarks.common import median, percentile, print_table
from careguide.config import load_settings
from careguide.eval.devset import answered_pairs, sample_dev_set, with_variants
from careguide.eval.safety import triage_messages
from careguide.guardrails import CheckContext, open_guardrails

PERSONAL = (
    "I'm {name}, born {dob}. ",
    "My MRN is {mrn}. ",
    "Call me at {phone}, I live at {street}. ",
)
NAMES = ("Maria Lopez", "James Carter", "Aisha Khan", "Tom Becker")


def messages(n: int) -> list[str]:
    settings = load_settings()
    rng = random.Random(0)
    pairs = answered_pairs(settings.medquad_dir, settings.knowledge_base.medquad_subsets)
    questions = [q.question for q in with_variants(sample_dev_set(pairs, n, 2), 2)["consumer"]]
    texts = []
    for i, question in enumerate(questions[: n - 60]):
        prefix = ""
        if i % 3 == 0:
            prefix = rng.choice(PERSONAL).format(
                name=rng.choice(NAMES),
                dob=f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/19{rng.randint(30, 99)}",
                mrn=rng.randint(1000000, 9999999),
                phone=f"312-555-{rng.randint(1000, 9999)}",
                street=f"{rng.randint(1, 999)} Oak Street",
            )
        texts.append(prefix + question)
    texts += [m["text"] for m in rng.sample(triage_messages(), 60)]
    return texts


def run(n: int = 200) -> None:
    guard = open_guardrails(load_settings(), audit=False)
    assert guard.redactor is not None
    texts = messages(n)
    passages = ["Acromegaly is a hormonal disorder: the pituitary gland makes too much growth hormone [1]."]
    answer = "Acromegaly happens when the body makes too much growth hormone [1]. It can be treated."
    guard.check_input(texts[0])  # warm-up
    rows = []
    presidio = []
    for text in texts:
        started = time.perf_counter()
        guard.redactor.find(text)
        presidio.append(1000 * (time.perf_counter() - started))
    inputs = []
    for text in texts:
        started = time.perf_counter()
        guard.check_input(text)
        inputs.append(1000 * (time.perf_counter() - started))
    # The semantic layers alone (one embedding per message, shared by the three layers).
    semantic_checks = [c for c in guard.registry.checks if c.name.startswith("semantic_")]
    semantic = []
    for text in texts:
        started = time.perf_counter()
        for check in semantic_checks:
            check.check(text + " ", CheckContext())  # a new text: the one-message memo cannot answer
        semantic.append(1000 * (time.perf_counter() - started))
    outputs = []
    for _ in texts:
        started = time.perf_counter()
        guard.check_output(answer, passages)
        outputs.append(1000 * (time.perf_counter() - started))
    base = median(presidio)
    for label, values in (
        ("Presidio analysis alone (baseline)", presidio),
        ("check_input (PHI + all checks)", inputs),
        ("semantic layers alone (embedding + nearest exemplars)", semantic),
        ("check_output (PHI + verifier)", outputs),
    ):
        p50, p95 = median(values), percentile(values, 95)
        rows.append((label, f"{p50:.1f}", f"{p95:.1f}", f"{p50 / base:.2f}"))
    share = sum(presidio) / sum(inputs)
    print_table(
        f"Guardrails latency, {len(texts)} messages (Presidio is {100 * share:.0f}% of check_input time)",
        ("stage", "p50 ms", "p95 ms", "p50 vs baseline"),
        rows,
    )


if __name__ == "__main__":
    run()
