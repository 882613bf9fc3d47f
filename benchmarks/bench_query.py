"""Query latency of `search` at the full knowledge base size, with and without metadata filters.

Every timing includes embedding the query. Baseline: unfiltered dense search in the same run.
Filtered rows compare Chroma's own filtered query with careguide's over-fetch strategy. A second
table splits the configured answer-level search into its parts (question understanding, embedding,
dense, BM25, entailment) on real consumer questions, p50/p95 each, beside the whole search.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable

from benchmarks.common import median, percentile, print_table
from careguide.config import load_settings
from careguide.eval.consumer import consumer_set_available
from careguide.eval.devset import answered_pairs, load_consumer_set, sample_dev_set, with_variants
from careguide.ingest import KnowledgeBase, load_embedder
from careguide.rag import PARTS, Retriever
from careguide.rag.retrieval import DenseRetriever


def timed(call: Callable[[str], object], questions: list[str]) -> list[float]:
    call(questions[0])  # warm-up
    latencies = []
    for question in questions:
        started = time.perf_counter()
        call(question)
        latencies.append(1000 * (time.perf_counter() - started))
    return latencies


def dense_call(dense: DenseRetriever, k: int, where: dict[str, str], question: str) -> object:
    return dense.run([question], k, where)


def hybrid_call(retriever: Retriever, k: int, where: dict[str, str], question: str) -> object:
    return retriever.search(question, k, where)


def run(n_questions: int) -> None:
    settings = load_settings()
    knowledge = KnowledgeBase.open(settings)
    if knowledge.store.count() == 0:
        raise SystemExit("The default collection is empty; run `make ingest` first.")
    embedder = load_embedder(settings.embedding)
    retriever = Retriever.open(settings.retrieval, knowledge, embedder)
    pairs = answered_pairs(settings.medquad_dir, settings.knowledge_base.medquad_subsets)
    questions = [q.question for q in with_variants(sample_dev_set(pairs, n_questions, 1), 1)["consumer"]]
    real: list[str] = []
    if consumer_set_available(settings):
        # Real consumer messages (long, misspelt) are what query understanding costs most on.
        real = [
            q.question
            for q in load_consumer_set(
                settings.data_dir / "mediqa2019",
                settings.medquad_dir,
                settings.knowledge_base.medquad_subsets,
            )
        ][:n_questions]
        questions = real + questions[: max(0, n_questions - len(real))]
    store = knowledge.store
    chroma_dense = DenseRetriever(store, embedder, strategy="chroma")
    overfetch_dense = DenseRetriever(store, embedder, settings.retrieval.filter_overfetch, "overfetch")
    exact_dense = DenseRetriever(store, embedder, strategy="exact", exact_index=knowledge.index())
    k = settings.retrieval.k
    filters = {
        "source=GHR (33%)": {"source": "GHR"},
        "question_type=treatment (~10%)": {"question_type": "treatment"},
        "topic=Acromegaly (rare)": {"topic": "Acromegaly"},
    }
    cases: list[tuple[str, Callable[[str], object]]] = [
        ("dense, no filter", lambda q: exact_dense.run([q], k, {})),
        ("hybrid chunks (RRF), no filter", lambda q: retriever.search_chunks([q], k, "hybrid")),
        ("answers (understanding + entailment), no filter", lambda q: retriever.search(q, k)),
    ]
    for label, where in filters.items():
        cases.append((f"dense, {label}, Chroma where", functools.partial(dense_call, chroma_dense, k, where)))
        cases.append(
            (f"dense, {label}, over-fetch", functools.partial(dense_call, overfetch_dense, k, where))
        )
        cases.append((f"dense, {label}, exact", functools.partial(dense_call, exact_dense, k, where)))
        cases.append((f"hybrid, {label}, exact", functools.partial(hybrid_call, retriever, k, where)))
    rows = []
    baseline = 0.0
    for label, call in cases:
        latencies = timed(call, questions)
        p50 = median(latencies)
        baseline = baseline or p50
        rows.append((label, f"{p50:.1f}", f"{percentile(latencies, 95):.1f}", f"{p50 / baseline:.2f}"))
    print_table(
        f"Search latency, {store.count()} chunks, {len(questions)} consumer questions "
        f"(real MEDIQA first), k={k} "
        f"(baseline = dense, no filter; over-fetch fell back to Chroma {overfetch_dense.fallbacks} times)",
        ("case", "p50 ms", "p95 ms", "p50 vs baseline"),
        rows,
    )
    if retriever.answers is not None:
        parts_table(retriever, real or questions, k)


def parts_table(retriever: Retriever, questions: list[str], k: int) -> None:
    """The cost of each part of the configured (answer-level) search, timed inside one search of
    each question, beside the whole search (`all`) timed separately."""
    answers = retriever.answers
    assert answers is not None
    retriever.search(questions[0], k)  # warm-up
    per_part: dict[str, list[float]] = {part: [] for part in (*PARTS, "all")}
    for question in questions:
        timings: dict[str, float] = {}
        answers.signal_rankings([question], timings=timings)
        for part in PARTS:
            if part in timings:
                per_part[part].append(1000 * timings[part])
        started = time.perf_counter()
        retriever.search(question, k)
        per_part["all"].append(1000 * (time.perf_counter() - started))
    rows = [
        (part, f"{median(values):.1f}", f"{percentile(values, 95):.1f}")
        for part, values in per_part.items()
        if values
    ]
    print_table(
        f"Answer-level search by part, {len(questions)} consumer questions, k={k} "
        "(all = the whole search, timed apart from the parts)",
        ("part", "p50 ms", "p95 ms"),
        rows,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=200)
    run(parser.parse_args(argv).questions)


if __name__ == "__main__":
    main()
