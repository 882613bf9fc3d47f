"""The knowledge base: the vector store, the BM25 index over the same chunks and the embeddings kept
with it (exact filtered dense search), kept consistent by one write path.

Every change to the store goes through :meth:`KnowledgeBase.writing`: a dirty marker is written
beside the BM25 index before the store changes, and only :meth:`KnowledgeBase.refresh` removes it,
after the BM25 index has been rebuilt. Whatever stops a write halfway (a killed process, a failed
embedding), the marker stays and the next refresh rebuilds, so a stale BM25 index is never taken
for a current one. Ingest and publishing both write this way.

A process opens its knowledge base once and hands it to whatever searches it (the retriever
follows each refresh: :meth:`KnowledgeBase.follow`), to the guardrails (:meth:`KnowledgeBase.terms`)
and to whatever writes to it.
"""

from __future__ import annotations

import json
import re
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from careguide.config import Settings
from careguide.ingest.documents import Chunk
from careguide.ingest.lexical import LexicalIndex
from careguide.ingest.store import ChromaStore

DIRTY_MARKER = ".dirty"
_CAPITALISED = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'-]+")


@dataclass(frozen=True)
class KnowledgeBaseTerms:
    """Topics (focus terms) and the capitalised words of titles, e.g. eponyms in questions."""

    topics: tuple[str, ...] = ()
    title_names: tuple[str, ...] = ()

    @classmethod
    def of(cls, chunks: Sequence[Chunk]) -> KnowledgeBaseTerms:
        topics = sorted({c.topic for c in chunks if c.topic})
        names = sorted({w for c in chunks for w in _CAPITALISED.findall(c.title)})
        return cls(tuple(topics), tuple(names))


class KnowledgeBase:
    """One collection: its vector store, BM25 index and kept embeddings (see the module docstring).

    Nothing is read until it is needed; :meth:`index` loads (and if need be rebuilds) the BM25
    index at its first use.
    """

    def __init__(self, store: ChromaStore) -> None:
        self.store = store
        self._index: LexicalIndex | None = None
        self._terms: tuple[str, KnowledgeBaseTerms] | None = None
        self._lock = threading.RLock()  # one refresh at a time; searches never wait for it
        self._followers: list[Callable[[], Callable[[LexicalIndex], object] | None]] = []

    @classmethod
    def open(
        cls, settings: Settings, collection: str | None = None, check: bool = True, client: Any = None
    ) -> KnowledgeBase:
        """The knowledge base of the configured (or named) collection, on ``client`` or a client
        built from the settings."""
        return cls(ChromaStore.open(settings, collection, check, client))

    @property
    def settings(self) -> Settings:
        return self.store.settings

    @property
    def lexical_dir(self) -> Path:
        """Where the BM25 index (and the kept embeddings) is written: beside the vector index."""
        return self.store.lexical_dir

    @property
    def marker(self) -> Path:
        """Present while the store may have changed since the BM25 index was last written."""
        return self.lexical_dir.with_name(self.lexical_dir.name + DIRTY_MARKER)

    @property
    def dirty(self) -> bool:
        return self.marker.exists()

    def saved_state(self) -> dict[str, Any] | None:
        """The written BM25 index's state (fingerprint, count), None when there is none."""
        return LexicalIndex.read_state(self.lexical_dir)

    # Writing

    @contextmanager
    def writing(self) -> Iterator[ChromaStore]:
        """Change the store inside this block: the dirty marker is written first and stays until
        :meth:`refresh` has rebuilt the BM25 index (call it after the block)."""
        self.marker.parent.mkdir(parents=True, exist_ok=True)
        self.marker.touch()
        yield self.store

    def delete_source(self, source_key: str) -> int:
        """Remove every document read from ``source_key`` and refresh; how many were removed."""
        doomed = [doc.doc_id for doc in self.store.documents().values() if doc.source_key == source_key]
        if doomed:
            with self.writing() as store:
                store.delete_documents(doomed)
            self.refresh()
        return len(doomed)

    def reset(self) -> None:
        """Drop every chunk and the BM25 index, so the collection can be rebuilt from scratch."""
        with self._lock:
            self.store.reset()
            self._swap(LexicalIndex.build([]))

    # Reading

    def index(self) -> LexicalIndex:
        """The BM25 index (with the kept embeddings) searches use now."""
        current = self._index
        if current is None:
            self.refresh()
            current = self._index
            assert current is not None
        return current

    def refresh(self) -> bool:
        """Bring the BM25 index and the kept embeddings up to date with the store, on disk and in
        memory; True when the index on disk was rewritten.

        The new index replaces the old one in one assignment and the followers get it; searches in
        flight finish on the old one.
        """
        with self._lock:
            built, rewritten = self._update_saved()
            current = self._index
            if built is not None:
                fresh = built
            else:
                state = self.saved_state()
                fingerprint = str(state["fingerprint"]) if state is not None else None
                if current is not None and current.fingerprint == fingerprint:
                    return rewritten
                fresh = LexicalIndex.load(self.lexical_dir) or LexicalIndex.build([])
            if current is None or current.fingerprint != fresh.fingerprint:
                self._swap(fresh)
            return rewritten

    def _update_saved(self) -> tuple[LexicalIndex | None, bool]:
        """Rebuild the written BM25 index if the store changed since; the rebuilt index (None when
        it was current) and whether the written one was replaced."""
        marker = self.marker
        state = self.saved_state()
        dirty = marker.exists()
        if not dirty and state is not None and state.get("count") == self.store.count():
            return None, False
        index = LexicalIndex.build(*self.store.chunks_with_vectors())
        rewritten = state is None or state.get("fingerprint") != index.fingerprint or dirty
        if rewritten:
            self.lexical_dir.parent.mkdir(parents=True, exist_ok=True)
            index.save(self.lexical_dir)
        marker.unlink(missing_ok=True)
        return index, rewritten

    def _swap(self, index: LexicalIndex) -> None:
        self._index = index
        self._terms = None
        alive = []
        for follower in self._followers:
            call = follower()
            if call is not None:
                call(index)
                alive.append(follower)
        self._followers = alive

    def follow(self, on_refresh: Callable[[LexicalIndex], object]) -> LexicalIndex:
        """Call ``on_refresh`` with each new index (a bound method is held weakly, so its object
        can go); returns the index now."""
        with self._lock:
            bound = hasattr(on_refresh, "__self__")
            self._followers.append(weakref.WeakMethod(on_refresh) if bound else lambda: on_refresh)
            return self.index()

    def terms(self) -> KnowledgeBaseTerms:
        """Topics and title names of every chunk (the guardrails' allow-list), cached in memory and
        beside the BM25 index by its fingerprint, so the index is read only when they changed."""
        with self._lock:
            if self._index is None:
                built, _ = self._update_saved()
                if built is not None:
                    self._swap(built)
            if self._index is not None:
                fingerprint: str | None = self._index.fingerprint
            else:
                state = self.saved_state()
                fingerprint = str(state["fingerprint"]) if state is not None else None
            if fingerprint is None:
                return KnowledgeBaseTerms()
            if self._terms is not None and self._terms[0] == fingerprint:
                return self._terms[1]
            cache = self.lexical_dir.with_name(f"{self.lexical_dir.name}.terms-{fingerprint[:16]}.json")
            try:
                cached = json.loads(cache.read_text(encoding="utf-8"))
                terms = KnowledgeBaseTerms(tuple(cached["topics"]), tuple(cached["title_names"]))
            except (OSError, ValueError, KeyError, TypeError):  # none yet, or unreadable: rebuild
                terms = KnowledgeBaseTerms.of(self.index().chunks)
                for old in self.lexical_dir.parent.glob(f"{self.lexical_dir.name}.terms-*.json"):
                    old.unlink(missing_ok=True)
                cache.parent.mkdir(parents=True, exist_ok=True)
                cache.write_text(
                    json.dumps({"topics": list(terms.topics), "title_names": list(terms.title_names)}),
                    encoding="utf-8",
                )
            self._terms = (fingerprint, terms)
            return terms
