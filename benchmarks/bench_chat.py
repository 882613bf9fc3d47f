"""Latency of one search-only chat question through the whole app, p50/p95.

A question answered in ``extractive`` mode (no model call) through ``POST /v1/answer``: input checks
(Presidio, triage, the semantic checks), one search, the extract, the output checks, the JSON.
Baseline: the search alone (``Retriever.search``, query embedding included) on the same questions
in the same run, so the ratio is what the guarded path costs on top of retrieval.
Needs an index (`make ingest`, or `CAREGUIDE_INDEX_DIR` pointing at one).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi.testclient import TestClient

from benchmarks.bench_answers import QUESTIONS
from benchmarks.common import percentile, print_table
from careguide.config import load_settings
from careguide.rag import open_retriever
from careguide.ui import create_app


def _timed(
    calls: dict[str, Callable[[str], object]], questions: list[str], rounds: int
) -> dict[str, list[float]]:
    """Each path on each question in turn (interleaved, so that load on the machine hits all paths
    alike), after one warm-up call per path."""
    latencies: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():
        call(questions[0])  # warm-up: models loaded, caches filled
    for _ in range(rounds):
        for question in questions:
            for name, call in calls.items():
                started = time.perf_counter()
                call(question)
                latencies[name].append(1000 * (time.perf_counter() - started))
    return latencies


def run(n_questions: int = 20, rounds: int = 3) -> None:
    base = load_settings()
    settings = base.model_copy(update={"answer": base.answer.model_copy(update={"mode": "extractive"})})
    questions = list(QUESTIONS[:n_questions])
    retriever = open_retriever(settings)

    def search(question: str) -> object:
        return retriever.search(question)

    with TestClient(create_app(settings, retriever)) as client:

        def chat(question: str) -> object:
            response = client.post("/v1/answer", json={"question": question})
            response.raise_for_status()
            return response.json()

        rows_in = _timed(
            {"search alone (baseline)": search, "one chat question, extractive (POST /v1/answer)": chat},
            questions,
            rounds,
        )
    base50 = percentile(rows_in["search alone (baseline)"], 50)
    rows = [
        [
            name,
            f"{percentile(values, 50):.0f}",
            f"{percentile(values, 95):.0f}",
            f"{percentile(values, 50) / base50:.2f}x" if base50 else "-",
        ]
        for name, values in rows_in.items()
    ]
    print_table(
        f"Search-only chat question, {len(questions)} questions x {rounds} (ms)",
        ["path", "p50", "p95", "p50 ratio to baseline"],
        rows,
    )
