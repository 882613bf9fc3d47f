"""Chunking that respects headings and sentences: token-bounded windows with sentence overlap."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from careguide.ingest.documents import Chunk, Document, Section

TokenCounter = Callable[[Sequence[str]], list[int]]
"""Counts tokens of each text (the embedding model's own tokenizer in production)."""

# A sentence ends at . ! ? (optionally followed by a quote or bracket) before whitespace and an
# upper-case letter, digit or opening bracket; blank lines and list items also end one.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(\[])|\n\s*\n|\n(?=\s*[-*•]\s)")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences; a crude but predictable rule that keeps abbreviations mostly whole."""
    parts = (" ".join(part.split()) for part in _SENTENCE_END.split(text))
    return [part for part in parts if part]


def word_count_tokens(texts: Sequence[str]) -> list[int]:
    """A tokenizer-free counter (words), for tests and as a fallback."""
    return [len(text.split()) for text in texts]


@dataclass(frozen=True)
class Chunker:
    """Cuts each section into windows of at most ``max_tokens`` with ``overlap_tokens`` of overlap."""

    count_tokens: TokenCounter
    max_tokens: int = 200
    overlap_tokens: int = 40

    def _pieces(self, section: Section) -> list[tuple[str, int]]:
        """Sentences with their token counts; a sentence longer than a window is cut by words."""
        sentences = split_sentences(section.text)
        counts = self.count_tokens(sentences) if sentences else []
        pieces: list[tuple[str, int]] = []
        for sentence, count in zip(sentences, counts, strict=True):
            if count <= self.max_tokens:
                pieces.append((sentence, count))
                continue
            words = sentence.split()
            step = max(1, int(len(words) * self.max_tokens / count * 0.9))
            slices = [" ".join(words[i : i + step]) for i in range(0, len(words), step)]
            pieces.extend(zip(slices, self.count_tokens(slices), strict=True))
        return pieces

    def _windows(self, section: Section) -> list[str]:
        pieces = self._pieces(section)
        windows: list[str] = []
        start = 0
        while start < len(pieces):
            end, total = start, 0
            while end < len(pieces) and (end == start or total + pieces[end][1] <= self.max_tokens):
                total += pieces[end][1]
                end += 1
            windows.append(" ".join(text for text, _ in pieces[start:end]))
            if end >= len(pieces):
                break
            # Step back over whole sentences worth at most overlap_tokens, always moving forward.
            back, overlap = end, 0
            while back - 1 > start and overlap + pieces[back - 1][1] <= self.overlap_tokens:
                back -= 1
                overlap += pieces[back][1]
            start = back
        return windows

    def chunk(self, document: Document) -> list[Chunk]:
        """All chunks of one document, with ids derived from its content hash."""
        doc_id = document.doc_id
        drafts: list[tuple[Section, str]] = [
            (section, window) for section in document.sections for window in self._windows(section)
        ]
        return [
            Chunk(
                chunk_id=f"{doc_id}-{position:04d}",
                doc_id=doc_id,
                source_key=document.source_key,
                position=position,
                n_chunks=len(drafts),
                text=window,
                title=document.title,
                heading_path=" > ".join(section.headings),
                source=document.source,
                organisation=document.organisation,
                url=document.url,
                license=document.license,
                page=section.page,
                section=document.section_label or " > ".join(section.headings),
                answer_id=document.answer_id,
                topic=document.topic,
                question_type=document.question_type,
                audience=document.audience,
            )
            for position, (section, window) in enumerate(drafts)
        ]
