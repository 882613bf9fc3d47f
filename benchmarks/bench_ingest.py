"""Ingest throughput: the whole pipeline vs raw embedding of the same texts, torch and ONNX int8.

The pipeline figure covers loading, chunking, embedding, writing to Chroma and the BM25 rebuild;
the raw figure embeds the very same chunk texts with the same model in the same run, so the ratio
is the pipeline's overhead. Runs on a fresh temporary index each time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.common import console, print_table
from careguide.config import EmbeddingSettings, VectorStoreSettings, load_settings
from careguide.ingest import ChromaStore, Chunker, ingest, load_embedder


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


def run(limit_docs: int | None) -> None:
    base = load_settings()
    files = knowledge_base_files(limit_docs)
    scope = "full default knowledge base" if limit_docs is None else f"{len(files)} MedQuAD files"
    rows = []
    raw_torch = 0.0
    for backend in ("torch", "onnx"):
        embedding = EmbeddingSettings(backend=backend)
        embedder = load_embedder(embedding)
        with tempfile.TemporaryDirectory() as tmp:
            settings = base.model_copy(
                update={
                    "index_dir": Path(tmp),
                    "embedding": embedding,
                    "vector_store": VectorStoreSettings(collection=f"bench-{backend}"),
                }
            )
            store = ChromaStore(settings)
            chunker = Chunker(embedder.count_tokens, base.chunking.max_tokens, base.chunking.overlap_tokens)
            console.print(f"[{backend}] ingesting {scope} ...")
            report = ingest(files, store, embedder, chunker)
            texts = [c.indexed_text for c in store.chunks()]
        pipeline_rate = report.chunks_indexed / report.total_seconds
        started = time.perf_counter()
        for start in range(0, len(texts), 256):
            embedder.embed(texts[start : start + 256])
        raw_rate = len(texts) / (time.perf_counter() - started)
        raw_torch = raw_torch or raw_rate
        rows.append(
            (
                backend,
                str(report.documents),
                str(report.chunks_indexed),
                f"{report.total_seconds:.1f}",
                f"{pipeline_rate:.1f}",
                f"{raw_rate:.1f}",
                f"{pipeline_rate / raw_rate:.2f}",
                f"{raw_rate / raw_torch:.2f}",
            )
        )
    print_table(
        f"Ingest throughput ({scope}; baseline = raw torch embedding of the same chunks)",
        (
            "backend",
            "documents",
            "chunks",
            "pipeline s",
            "pipeline chunks/s",
            "raw embed chunks/s",
            "pipeline/raw",
            "raw vs torch",
        ),
        rows,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=None, help="Approximate document sample (default: all).")
    run(parser.parse_args(argv).docs)


if __name__ == "__main__":
    main()
