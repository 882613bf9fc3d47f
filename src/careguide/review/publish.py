"""Approved material into the knowledge base, so patients' answers can cite the clinic's own text.

Publishing writes the approved Markdown to ``<index_dir>/../approved/<id>.md`` and indexes that one
file with the ordinary ingest pipeline (same store, embedder and chunker as ``careguide ingest``).
Re-publishing an edited material replaces its old chunks, because the file path (the document's
``source_key``) stays the same; ``unpublish`` removes them when an approval is withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from careguide.review.database import database_url
from careguide.review.export import require_approved
from careguide.review.store import ReviewStore, open_review_store
from careguide.review.types import Material, ReviewError

if TYPE_CHECKING:
    from careguide.config import Settings
    from careguide.ingest import Document, KnowledgeBase

CLINIC_SOURCE = "clinic"
CLINIC_LICENSE = "clinic-approved"
DEFAULT_CLINIC_NAME = "Our clinic"


@dataclass(frozen=True)
class Published:
    """Where an approved material was written and how many chunks it became."""

    material_id: int
    path: Path
    chunks_indexed: int


def clinic_name(settings: object) -> str:
    """The organisation named on approved material (``review.clinic_name``)."""
    return str(getattr(getattr(settings, "review", None), "clinic_name", DEFAULT_CLINIC_NAME))


def approved_path(settings: Settings, material_id: int) -> Path:
    return settings.index_dir.parent / "approved" / f"{material_id}.md"


def published_markdown(material: Material) -> str:
    """The text that goes into the index: title and body only.

    The source list and approval footer of the printed export would become chunks of their own
    that match many questions and answer none.
    """
    body = material.body.strip()
    first = next((line for line in body.splitlines() if line.strip()), "")
    titled = first.startswith("# ")
    return (body if titled else f"# {material.topic}\n\n{body}") + "\n"


def material_document(material: Material, clinic_name: str, path: Path | None = None) -> Document:
    """The knowledge-base document of an approved material (one section per Markdown heading).

    ``path``, when given, is the published file; it becomes the document's link.
    """
    from careguide.ingest import Document, Section

    require_approved(material)
    sections: list[Section] = []
    headings: list[tuple[int, str]] = []
    lines: list[str] = []

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            sections.append(Section(text=text, headings=tuple(h for _, h in headings)))
        lines.clear()

    for line in material.body.splitlines():
        stripped = line.lstrip()
        level = len(stripped) - len(stripped.lstrip("#"))
        if 1 <= level <= 6 and stripped[level : level + 1] == " ":
            flush()
            heading = stripped[level:].strip().rstrip("#").strip()
            headings = [(lvl, h) for lvl, h in headings if lvl < level] + [(level, heading)]
        else:
            lines.append(line)
    flush()
    return Document(
        source_key=f"review:material:{material.id}",
        title=material.topic,
        sections=tuple(sections),
        source=CLINIC_SOURCE,
        organisation=clinic_name,
        url=path.resolve().as_uri() if path is not None else "",
        license=CLINIC_LICENSE,
        topic=material.topic,
        audience=material.audience,
    )


def _knowledge(settings: Settings, knowledge: KnowledgeBase | None) -> KnowledgeBase:
    from careguide.ingest import KnowledgeBase

    return knowledge if knowledge is not None else KnowledgeBase.open(settings)


def publish(
    material_id: int,
    settings: Settings,
    store: ReviewStore | None = None,
    knowledge: KnowledgeBase | None = None,
) -> Published:
    """Index an approved material into the knowledge base (replacing an earlier version), by the
    ingest pipeline's write path: whoever follows ``knowledge`` sees the material when this returns.

    ``store`` defaults to the review database named by the settings, ``knowledge`` to the
    configured collection.
    """
    from careguide.ingest import Chunker, SourceInfo, ingest, load_embedder

    review = store or open_review_store(database_url(settings))
    try:
        material = review.get(material_id)
    finally:
        if store is None:
            review.close()
    require_approved(material)
    organisation = clinic_name(settings)
    path = approved_path(settings, material_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".md.tmp")
    temporary.write_text(published_markdown(material), encoding="utf-8")
    temporary.replace(path)  # a reader never sees half a file

    knowledge = _knowledge(settings, knowledge)
    embedder = load_embedder(settings.embedding)
    chunker = Chunker(embedder.count_tokens, settings.chunking.max_tokens, settings.chunking.overlap_tokens)
    info = SourceInfo(
        source=CLINIC_SOURCE, organisation=organisation, license=CLINIC_LICENSE, audience=material.audience
    )
    report = ingest([path], knowledge, embedder, chunker, info)
    if report.failures:
        raise ReviewError(f"Material {material_id} could not be indexed: {report.failures[0]}.")
    return Published(material_id=material_id, path=path, chunks_indexed=report.chunks_indexed)


def unpublish(material_id: int, settings: Settings, knowledge: KnowledgeBase | None = None) -> int:
    """Remove a published material from the knowledge base; returns how many documents were removed."""
    path = approved_path(settings, material_id)
    removed = _knowledge(settings, knowledge).delete_source(str(path.resolve()))
    path.unlink(missing_ok=True)
    return removed
