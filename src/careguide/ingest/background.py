"""Index the default knowledge base while the chat already serves.

`make run` indexes ``knowledge_base.first_subsets`` (the most-asked consumer topics: MedlinePlus
health topics, NIHSeniorHealth, NIDDK) before the server starts; ``careguide serve --index-rest``
then adds the other subsets here, one at a time, in a daemon thread, into the server's own
knowledge base. After each subset the BM25 index is rebuilt and swapped into the live retriever
(dense search reads Chroma on every query), so answers improve as sources arrive. Progress is
written beside the index for `careguide doctor` and the chat's notice. Indexing is the same
idempotent pipeline as `careguide ingest`: a killed server loses at most the batch in flight, and a
second run with everything indexed embeds nothing.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from careguide.config import Settings
from careguide.ingest.knowledge_base import KnowledgeBase
from careguide.ingest.progress import IndexProgress, write_progress

log = logging.getLogger("careguide.ingest")


def ordered_subsets(settings: Settings) -> list[str]:
    """The default knowledge base's subsets, ``first_subsets`` first."""
    kb = settings.knowledge_base
    first = [s for s in kb.first_subsets if s in kb.medquad_subsets]
    return first + [s for s in kb.medquad_subsets if s not in first]


class _Observer:
    """Turns the pipeline's embedding progress into documents done, written every few seconds."""

    def __init__(self, settings: Settings, progress: IndexProgress, base: float, todo: int) -> None:
        self.settings, self.progress, self.base, self.todo = settings, progress, base, todo
        self.embedding = False
        self.total = 0
        self.count = 0
        self.written = 0.0

    def phase(self, name: str, total: int) -> None:
        self.embedding = name == "Embedding"
        self.total, self.count = total, 0

    def advance(self, amount: int = 1) -> None:
        if not self.embedding or not self.total:
            return
        self.count += amount
        self.progress.documents_done = self.base + self.todo * self.count / self.total
        if time.monotonic() - self.written > 2:
            write_progress(self.settings, self.progress)
            self.written = time.monotonic()

    def warn(self, message: str) -> None:
        log.warning("%s", message)


class BackgroundIndexer(threading.Thread):
    """Indexes ``subsets`` (folders) into ``knowledge``, whose followers (the live retriever) get
    the new BM25 index after each one; ``on_subset`` runs after each one too."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        subsets: Sequence[Path],
        on_subset: Callable[[], object] = lambda: None,
    ) -> None:
        super().__init__(name="careguide-indexer", daemon=True)
        self.knowledge = knowledge
        self.settings = knowledge.settings
        self.subsets = list(subsets)
        self.on_subset = on_subset
        self.progress = IndexProgress(pid=os.getpid())

    def run(self) -> None:
        from careguide.ingest.chunking import Chunker
        from careguide.ingest.embedding import load_embedder
        from careguide.ingest.loaders import SourceInfo
        from careguide.ingest.pipeline import IngestReport, SilentObserver, ingest, load_documents

        progress = self.progress
        try:
            store = self.knowledge.store
            info = SourceInfo(audience=self.settings.knowledge_base.audience)
            complete = {d for d, doc in store.documents().items() if doc.complete}
            plan: list[tuple[Path, int, int]] = []  # subset, documents, documents still to index
            for subset in self.subsets:
                docs = load_documents([subset], info, IngestReport(), SilentObserver())
                plan.append((subset, len(docs), sum(d.doc_id not in complete for d in docs)))
            progress.documents_total = sum(n for _, n, _ in plan)
            progress.documents_done = float(sum(n - todo for _, n, todo in plan))
            progress.done_at_start = progress.documents_done
            progress.started = time.time()
            write_progress(self.settings, progress)
            embedder = load_embedder(self.settings.embedding)
            chunker = Chunker(
                embedder.count_tokens,
                self.settings.chunking.max_tokens,
                self.settings.chunking.overlap_tokens,
            )
            for subset, _, todo in plan:
                if not todo:
                    continue
                base = progress.documents_done
                observer = _Observer(self.settings, progress, base, todo)
                report = ingest([subset], self.knowledge, embedder, chunker, info, observer=observer)
                progress.documents_done = base + todo
                write_progress(self.settings, progress)
                log.warning(
                    "careguide: indexed %s (%d chunks); %d%% of the knowledge base is searchable.",
                    subset.name,
                    report.chunks_indexed,
                    int(100 * progress.documents_done / max(1, progress.documents_total)),
                )
                self.on_subset()
            progress.done = True
        except Exception as exc:  # the chat keeps serving what is indexed; say why the rest is not
            progress.error = f"{type(exc).__name__}: {exc}"
            log.error("careguide: background indexing stopped (%s); run `careguide ingest`.", progress.error)
        write_progress(self.settings, progress)
