"""The document and chunk types that cross package borders."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

MetadataValue = str | int | float | bool


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path (and, for PDFs, on one page)."""

    text: str
    headings: tuple[str, ...] = ()
    page: int | None = None


@dataclass(frozen=True)
class Document:
    """One source document as loaded, before chunking.

    ``source_key`` names where it came from (a file path, or a MedQuAD answer id) and stays
    the same when the content changes; ``doc_id`` is a hash of the content and changes with it.
    """

    source_key: str
    title: str
    sections: tuple[Section, ...]
    source: str
    organisation: str = ""
    url: str = ""
    license: str = ""
    answer_id: str = ""
    topic: str = ""
    question_type: str = ""
    audience: str = ""
    section_label: str = ""

    @property
    def doc_id(self) -> str:
        digest = hashlib.sha256()
        for part in (
            self.source_key,
            self.title,
            self.source,
            self.organisation,
            self.url,
            self.license,
            self.answer_id,
            self.topic,
            self.question_type,
            self.audience,
            self.section_label,
        ):
            digest.update(part.encode("utf-8") + b"\x00")
        for section in self.sections:
            digest.update(" > ".join(section.headings).encode("utf-8") + b"\x01")
            digest.update(str(section.page).encode("utf-8") + b"\x01")
            digest.update(section.text.encode("utf-8") + b"\x02")
        return digest.hexdigest()[:24]


@dataclass(frozen=True)
class Chunk:
    """A token-bounded window of one document, as stored in the index."""

    chunk_id: str
    doc_id: str
    source_key: str
    position: int
    n_chunks: int
    text: str
    title: str
    heading_path: str
    source: str
    organisation: str
    url: str
    license: str
    page: int | None = None
    section: str = ""
    answer_id: str = ""
    topic: str = ""
    question_type: str = ""
    audience: str = ""

    @property
    def indexed_text(self) -> str:
        """The text that is embedded and BM25-indexed: the title and headings give context."""
        header = self.title if not self.heading_path else f"{self.title} — {self.heading_path}"
        return f"{header}\n{self.text}" if header else self.text

    def to_metadata(self) -> dict[str, MetadataValue]:
        """Flat metadata for the vector store (Chroma takes no None values)."""
        meta: dict[str, MetadataValue] = {
            "doc_id": self.doc_id,
            "source_key": self.source_key,
            "position": self.position,
            "n_chunks": self.n_chunks,
            "title": self.title,
            "heading_path": self.heading_path,
            "source": self.source,
            "organisation": self.organisation,
            "url": self.url,
            "license": self.license,
            "section": self.section,
            "answer_id": self.answer_id,
            "topic": self.topic,
            "question_type": self.question_type,
            "audience": self.audience,
        }
        if self.page is not None:
            meta["page"] = self.page
        return meta

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict[str, MetadataValue]) -> Chunk:
        """Rebuild a chunk from what the store returns."""

        def text_of(key: str) -> str:
            value = meta.get(key, "")
            return str(value) if value is not None else ""

        page = meta.get("page")
        return cls(
            chunk_id=chunk_id,
            doc_id=text_of("doc_id"),
            source_key=text_of("source_key"),
            position=int(meta.get("position", 0)),
            n_chunks=int(meta.get("n_chunks", 1)),
            text=text,
            title=text_of("title"),
            heading_path=text_of("heading_path"),
            source=text_of("source"),
            organisation=text_of("organisation"),
            url=text_of("url"),
            license=text_of("license"),
            page=int(page) if isinstance(page, int | float) else None,
            section=text_of("section"),
            answer_id=text_of("answer_id"),
            topic=text_of("topic"),
            question_type=text_of("question_type"),
            audience=text_of("audience"),
        )
