"""Ingest at scale: the chunk-embed-store work of the pipeline as a Ray Data map over workers.

``careguide ingest --engine ray`` plans the run exactly as the embedded path does (what is new, what
is incomplete, what is outdated; the BM25 dirty marker), then hands the documents to
:class:`RayIndexer`. Each Ray worker loads the embedding model once, chunks a batch of documents,
embeds the chunks and, when the index is a Chroma server (``vector_store.url``), writes them itself;
with the embedded Chroma store (one process may write it) the workers send the chunks and vectors
back and the driver writes them. Chunk ids are the same content hashes as on the embedded path, so a
Ray run, an embedded run and a resumed run of either agree on what is indexed.

Ray is optional (``pip install 'careguide[cluster]'``); it is imported only here, only when used.
``address`` None starts a local Ray cluster with ``workers`` CPUs (what the tests use); "auto" or
``ray://host:port`` joins a running one.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from careguide.config import Settings
from careguide.ingest.chunking import Chunker
from careguide.ingest.documents import Chunk, Document
from careguide.ingest.embedding import Vectors, load_embedder
from careguide.ingest.errors import StoreError
from careguide.ingest.pipeline import EMBED_BATCH, IngestObserver, IngestReport, _batches
from careguide.ingest.store import ChromaStore

DOCUMENTS_PER_TASK = 64
"""Documents per Ray task: large enough to fill embedding batches, small enough to spread work."""


class RayUnavailableError(StoreError):
    """Ray is not installed or its cluster cannot be reached; the message names the fix."""


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayUnavailableError(
            "The Ray engine needs Ray; install it with `pip install 'careguide[cluster]'` "
            "or use the default engine (`--engine local`)."
        ) from None
    return ray


class ChunkEmbedWrite:
    """One Ray worker: loads the embedder once, then chunks, embeds and (on a server) stores."""

    def __init__(self, settings: Settings, collection: str, write: bool) -> None:
        self.settings = settings
        self.embedder = load_embedder(settings.embedding)
        self.chunker = Chunker(
            self.embedder.count_tokens, settings.chunking.max_tokens, settings.chunking.overlap_tokens
        )
        self.store = ChromaStore.open(settings, collection) if write else None  # a worker process

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        documents: list[Document] = [pickle.loads(blob) for blob in batch["document"]]
        chunks: list[Chunk] = [c for d in documents for c in self.chunker.chunk(d)]
        kept: list[tuple[Sequence[Chunk], Vectors]] = []
        for part in _batches(chunks, EMBED_BATCH):
            vectors = self.embedder.embed([c.indexed_text for c in part])
            if self.store is not None:
                self.store.add(part, vectors)
            else:
                kept.append((part, vectors))
        return {
            "documents": np.array([len(documents)]),
            "chunks": np.array([len(chunks)]),
            "payload": np.array([pickle.dumps(kept) if kept else b""], dtype=object),
        }


class RayIndexer:
    """Spreads chunking and embedding over Ray workers (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        store: ChromaStore,
        address: str | None = None,
        workers: int = 2,
        documents_per_task: int = DOCUMENTS_PER_TASK,
    ) -> None:
        if workers < 1:
            raise StoreError(f"--workers must be 1 or more, not {workers}.")
        self.settings = settings
        self.store = store
        self.address = address
        self.workers = workers
        self.documents_per_task = documents_per_task

    def _start(self, ray: Any) -> bool:
        """Join or start the Ray cluster; True when this call started it (and must stop it)."""
        if ray.is_initialized():
            return False
        import logging

        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.ERROR,
            "configure_logging": False,
        }
        try:
            if self.address:
                ray.init(address=self.address, **options)
            else:
                ray.init(num_cpus=self.workers, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.address or "a local cluster"
            raise RayUnavailableError(
                f"Cannot start or reach the Ray cluster at {where} ({exc}); check --address "
                f"(`ray status` on the head node) or leave it out for a local cluster."
            ) from None
        return True

    def index(self, documents: Sequence[Document], observer: IngestObserver, report: IngestReport) -> None:
        if not documents:
            observer.phase("Embedding on Ray workers", 0)
            return
        ray = _ray()
        started_here = self._start(ray)
        try:
            context = ray.data.DataContext.get_current()
            context.enable_progress_bars = False
            items = [{"document": pickle.dumps(d)} for d in documents]
            dataset = ray.data.from_items(items, override_num_blocks=max(1, len(items) // 16)).map_batches(
                ChunkEmbedWrite,
                fn_constructor_kwargs={
                    "settings": self.settings,
                    "collection": self.store.name,
                    "write": bool(self.settings.vector_store.url),
                },
                batch_size=self.documents_per_task,
                batch_format="numpy",
                concurrency=self.workers,
                num_cpus=1,
            )
            observer.phase(f"Indexing documents on {self.workers} Ray workers", len(documents))
            started = time.perf_counter()
            for row in dataset.iter_rows():
                report.chunks_indexed += int(row["chunks"])
                if row["payload"]:
                    for part, vectors in pickle.loads(row["payload"]):
                        self.store.add(part, vectors)
                observer.advance(int(row["documents"]))
            # Wall-clock time of the whole map (workers' start included): the chunks/s it gives is
            # the cluster's rate, not one worker's.
            report.embed_seconds = time.perf_counter() - started
        finally:
            if started_here:
                ray.shutdown()
