"""Ingest throughput and retrieval quality per embedding path, all measured in the same run.

For each backend (torch fp32, ONNX fp32, ONNX int8: the default) the same MedQuAD files are
ingested into a fresh temporary index. Reported per backend:

- pipeline chunks/s: loading, chunking, embedding (length-sorted windows), Chroma writes, BM25;
- raw embed chunks/s, document order: the very same chunk texts embedded in document-order
  batches of 256 (the baseline: what ingest did before length-sorted windows);
- CPU seconds of the process per chunk, so that a run on a busy shared machine still tells what
  two idle cores would do (2 / CPU-seconds-per-chunk is that estimate, an upper bound);
- retrieval on that index: recall@1/@5 and MRR@10 (dense and hybrid) on the seeded MedQuAD dev set
  restricted to the indexed answers, so int8 and fp32 are compared on identical questions.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import console, print_table
from careguide.config import Settings, VectorStoreSettings, load_settings
from careguide.ingest import Chunk, Chunker, Embedder, KnowledgeBase, ingest, load_embedder

BACKENDS = ("torch", "onnx-fp32", "onnx")
"""torch first: its raw rate is the baseline; onnx (int8) last: compared with torch in retrieval."""

DEFAULT_DOCS = 600
"""About 200 files, ~3,000 chunks (180 gives 54 files, 866 chunks): a steady rate in minutes."""


def knowledge_base_files(limit_docs: int | None) -> list[Path]:
    """The default knowledge base's files, or the first files of every subset up to ~limit_docs."""
    settings = load_settings()
    subsets = [settings.medquad_dir / s for s in settings.knowledge_base.medquad_subsets]
    per_subset = [sorted(folder.glob("*.xml")) for folder in subsets]
    if limit_docs is None:
        return [f for files in per_subset for f in files]
    # ~3 answered pairs per file on average; spread the sample over every subset.
    take = max(1, limit_docs // 3 // len(per_subset))
    return [f for files in per_subset for f in files[:take]]


def _rate(embedder: Embedder, batches: list[list[str]]) -> tuple[float, float]:
    """Chunks per wall second and per CPU second (all threads of this process)."""
    started, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        embedder.embed(batch)
    count = sum(len(b) for b in batches)
    return count / (time.perf_counter() - started), count / (time.process_time() - cpu)


def _retrieval(settings: Settings, questions: int) -> dict[str, float]:
    from careguide.eval.retrieval import run_retrieval_eval
    from careguide.rag import open_retriever

    report = run_retrieval_eval(settings, open_retriever(settings), size=questions, seed=0)
    scores: dict[str, float] = {"questions": float(report["dev_set"]["questions"])}
    for row in report["rows"]:
        if row["variant"] == "all" and row["mode"] in ("dense", "hybrid"):
            for metric in ("recall@1", "recall@5", "mrr@10"):
                scores[f"{row['mode']} {metric}"] = float(row[metric])
    return scores


def measure(backend: str, files: list[Path], base: Settings, questions: int) -> dict[str, Any]:
    embedding = base.embedding.model_copy(update={"backend": backend})
    embedder = load_embedder(embedding)
    with tempfile.TemporaryDirectory() as tmp:
        settings = base.model_copy(
            update={
                "index_dir": Path(tmp),
                "embedding": embedding,
                "vector_store": VectorStoreSettings(collection=f"bench-{backend}"),
            }
        )
        knowledge = KnowledgeBase.open(settings)
        chunker = Chunker(embedder.count_tokens, base.chunking.max_tokens, base.chunking.overlap_tokens)
        console.print(f"[{backend}] ingesting {len(files)} files ...")
        cpu = time.process_time()
        report = ingest(files, knowledge, embedder, chunker)
        pipeline_cpu = time.process_time() - cpu
        chunks: list[Chunk] = [c for f in files for d in _documents(f) for c in chunker.chunk(d)]
        console.print(f"[{backend}] raw embedding of the same {len(chunks)} chunks in document order ...")
        doc_order = [[c.indexed_text for c in chunks[i : i + 256]] for i in range(0, len(chunks), 256)]
        raw_doc, raw_doc_cpu = _rate(embedder, doc_order)
        console.print(f"[{backend}] retrieval eval ({questions} questions) ...")
        quality = _retrieval(settings, questions)
    return {
        "backend": backend,
        "documents": report.documents,
        "chunks": report.chunks_indexed,
        "pipeline_s": round(report.total_seconds, 1),
        "pipeline_chunks_per_s": round(report.chunks_indexed / report.total_seconds, 1),
        "pipeline_chunks_per_cpu_s": round(report.chunks_indexed / pipeline_cpu, 1),
        "raw_doc_order_chunks_per_s": round(raw_doc, 1),
        "raw_doc_order_chunks_per_cpu_s": round(raw_doc_cpu, 1),
        "retrieval": quality,
    }


def _documents(path: Path) -> list[Any]:
    from careguide.ingest.loaders import SourceInfo, loader_for

    loader = loader_for(path)
    return list(loader(path, SourceInfo())) if loader else []


def run(limit_docs: int | None, questions: int = 300, json_out: Path | None = None) -> list[dict[str, Any]]:
    base = load_settings()
    files = knowledge_base_files(limit_docs)
    scope = "full default knowledge base" if limit_docs is None else f"{len(files)} MedQuAD files"
    results = [measure(backend, files, base, questions) for backend in BACKENDS]
    baseline = results[0]["raw_doc_order_chunks_per_s"]
    print_table(
        f"Ingest throughput ({scope}, {os.cpu_count()} CPUs; baseline = raw torch fp32 embedding of the "
        "same chunks in document order, measured in this run)",
        (
            "backend",
            "chunks",
            "pipeline s",
            "pipeline chunks/s",
            "raw chunks/s",
            "pipeline vs baseline",
            "pipeline chunks/CPU-s",
            "raw chunks/CPU-s",
        ),
        [
            (
                r["backend"],
                str(r["chunks"]),
                str(r["pipeline_s"]),
                str(r["pipeline_chunks_per_s"]),
                str(r["raw_doc_order_chunks_per_s"]),
                f"{r['pipeline_chunks_per_s'] / baseline:.2f}x",
                str(r["pipeline_chunks_per_cpu_s"]),
                str(r["raw_doc_order_chunks_per_cpu_s"]),
            )
            for r in results
        ],
    )
    metrics = [k for k in results[0]["retrieval"] if k != "questions"]
    print_table(
        f"Retrieval on each index ({int(results[0]['retrieval']['questions'])} dev questions, seed 0, "
        "with variants): fp32 vs int8",
        ("metric", *(r["backend"] for r in results), "int8 - fp32 (points)"),
        [
            (
                m,
                *(f"{r['retrieval'][m]:.3f}" for r in results),
                f"{100 * (results[-1]['retrieval'][m] - results[0]['retrieval'][m]):+.1f}",
            )
            for m in metrics
        ],
    )
    if json_out is not None:
        json_out.write_text(json.dumps(results, indent=2) + "\n")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=DEFAULT_DOCS, help="Approximate document sample.")
    parser.add_argument("--all", action="store_true", help="The whole default knowledge base (slow).")
    parser.add_argument("--questions", type=int, default=300, help="Retrieval dev questions.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the results as JSON.")
    args = parser.parse_args(argv)
    run(None if args.all else args.docs, args.questions, args.json)


if __name__ == "__main__":
    main()
