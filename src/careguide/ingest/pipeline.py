"""The ingest pipeline: load -> chunk -> embed -> store, idempotent and safe to interrupt.

Idempotence comes from content-hash ids: a document whose id is already complete in the store is
not chunked or embedded again. A changed document gets a new id; its old chunks are removed after
the new ones are in. A run killed halfway leaves documents with missing chunks; the next run sees
them as incomplete, deletes the leftovers and indexes them again. Nothing here assumes one process:
the store is the only state.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from careguide.ingest.chunking import Chunker
from careguide.ingest.documents import Chunk, Document
from careguide.ingest.embedding import Embedder
from careguide.ingest.errors import LoadError
from careguide.ingest.knowledge_base import KnowledgeBase
from careguide.ingest.loaders import SourceInfo, iter_source_files, loader_for
from careguide.ingest.store import ChromaStore

EMBED_BATCH = 256
SORT_WINDOW = 2048
"""Chunks are embedded in windows of this many, sorted by length inside each window: batches of
similar length waste little on padding (a MedQuAD answer's last chunk is often a few words
beside full 200-token chunks). Windows rather than one global sort keep an interrupted run's loss
small: a document is complete only once all its chunks are stored, and the chunks of one document
stay inside one or two windows."""


class IngestObserver(Protocol):
    """Receives progress; the CLI shows it with rich progress bars."""

    def phase(self, name: str, total: int) -> None: ...

    def advance(self, amount: int = 1) -> None: ...

    def warn(self, message: str) -> None: ...


class SilentObserver:
    def phase(self, name: str, total: int) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


@dataclass
class IngestReport:
    """What one ingest run did."""

    files_seen: int = 0
    files_skipped: list[Path] = field(default_factory=list)
    failures: list[LoadError] = field(default_factory=list)
    documents: int = 0
    documents_unchanged: int = 0
    documents_indexed: int = 0
    documents_removed: int = 0
    chunks_indexed: int = 0
    lexical_rebuilt: bool = False
    embed_seconds: float = 0.0
    total_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


def load_documents(
    paths: Sequence[Path], info: SourceInfo, report: IngestReport, observer: IngestObserver
) -> list[Document]:
    """Load every supported file, recording failures and skips instead of stopping."""
    files = list(iter_source_files(paths))
    report.files_seen = len(files)
    observer.phase("Loading files", len(files))
    documents: dict[str, Document] = {}
    for path in files:
        loader = loader_for(path)
        if loader is None:
            report.files_skipped.append(path)
            observer.warn(f"Skipped {path}: careguide does not read '{path.suffix}' files.")
        else:
            try:
                for document in loader(path, info):
                    documents.setdefault(document.source_key, document)
            except LoadError as error:
                report.failures.append(error)
                observer.warn(f"Failed {error}")
            except OSError as exc:
                unreadable = LoadError(path, f"could not be read ({exc.strerror or exc})")
                report.failures.append(unreadable)
                observer.warn(f"Failed {unreadable}")
        observer.advance()
    report.documents = len(documents)
    return list(documents.values())


def _batches(chunks: Sequence[Chunk], size: int, window: int = SORT_WINDOW) -> Iterable[Sequence[Chunk]]:
    """Batches of ``size`` chunks, length-sorted within each window of ``window`` chunks."""
    for base in range(0, len(chunks), window):
        ordered = sorted(chunks[base : base + window], key=lambda c: len(c.indexed_text))
        for start in range(0, len(ordered), size):
            yield ordered[start : start + size]


class Indexer(Protocol):
    """Chunks, embeds and stores documents: in this process, or spread over workers.

    Each document's chunks must reach the store together (one ``add``), so that a document is
    either complete or visibly incomplete whatever stops the run.
    """

    def index(
        self, documents: Sequence[Document], observer: IngestObserver, report: IngestReport
    ) -> None: ...


class LocalIndexer:
    """The embedded path: chunk every document, embed in length-sorted batches, store each batch."""

    def __init__(self, store: ChromaStore, embedder: Embedder, chunker: Chunker) -> None:
        self.store = store
        self.embedder = embedder
        self.chunker = chunker

    def index(self, documents: Sequence[Document], observer: IngestObserver, report: IngestReport) -> None:
        observer.phase("Chunking", len(documents))
        chunks: list[Chunk] = []
        for document in documents:
            chunks.extend(self.chunker.chunk(document))
            observer.advance()

        observer.phase("Embedding", len(chunks))
        for batch in _batches(chunks, EMBED_BATCH):
            embed_started = time.perf_counter()
            vectors = self.embedder.embed([c.indexed_text for c in batch])
            report.embed_seconds += time.perf_counter() - embed_started
            self.store.add(batch, vectors)
            observer.advance(len(batch))
        report.chunks_indexed = len(chunks)


def ingest(
    paths: Sequence[Path],
    knowledge: KnowledgeBase,
    embedder: Embedder,
    chunker: Chunker,
    info: SourceInfo | None = None,
    prune: bool = False,
    observer: IngestObserver | None = None,
) -> IngestReport:
    """Index the documents under ``paths`` into ``knowledge`` in this process; see the module
    docstring."""
    indexer = LocalIndexer(knowledge.store, embedder, chunker)
    return ingest_with(paths, knowledge, indexer, info, prune, observer)


def ingest_with(
    paths: Sequence[Path],
    knowledge: KnowledgeBase,
    indexer: Indexer,
    info: SourceInfo | None = None,
    prune: bool = False,
    observer: IngestObserver | None = None,
) -> IngestReport:
    """Index the documents under ``paths`` into ``knowledge`` with ``indexer`` (local or
    distributed).

    What to index, what to remove and the BM25 refresh are decided here, the same for every
    indexer; only the chunk-embed-store work is the indexer's. The store is changed inside
    ``knowledge.writing()``, so an interrupted run leaves the BM25 index marked stale.
    """
    started = time.perf_counter()
    observer = observer or SilentObserver()
    report = IngestReport()
    documents = load_documents(paths, info or SourceInfo(), report, observer)
    wanted = {d.doc_id: d for d in documents}
    loaded_keys = {d.source_key for d in documents}
    store = knowledge.store
    indexed = store.documents()

    complete = {doc_id for doc_id, doc in indexed.items() if doc.complete}
    leftovers = [doc_id for doc_id, doc in indexed.items() if not doc.complete]
    outdated = [
        doc_id
        for doc_id, doc in indexed.items()
        if doc.complete
        and doc_id not in wanted
        and (doc.source_key in loaded_keys or prune)
        # A file that failed to load this time is not taken as deleted.
        and not any(doc.source_key == str(f.path.resolve()) for f in report.failures)
    ]
    todo = [d for d in documents if d.doc_id not in complete]
    report.documents_unchanged = len(documents) - len(todo)

    with knowledge.writing() if todo or leftovers or outdated else nullcontext(store):
        if leftovers:
            store.delete_documents(leftovers)
        indexer.index(todo, observer, report)
        if outdated:
            store.delete_documents(outdated)
    report.documents_indexed = len(todo)
    report.documents_removed = len(outdated)
    observer.phase("Updating the BM25 index", 1)
    report.lexical_rebuilt = knowledge.refresh()
    observer.advance()
    report.total_seconds = time.perf_counter() - started
    return report
