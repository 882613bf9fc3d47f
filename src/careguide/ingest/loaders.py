"""File loaders: PDF, HTML, Markdown and plain text (MedQuAD XML lives in medquad.py).

Each loader turns one file into Documents made of Sections that keep headings and pages.
Problems a user can cause (empty, binary, non-UTF-8, corrupt or encrypted files) raise
:class:`LoadError` with one sentence naming the file and the problem.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from careguide.ingest.documents import Document, Section
from careguide.ingest.errors import LoadError
from careguide.ingest.medquad import load_medquad


@dataclass(frozen=True)
class SourceInfo:
    """What the user says about a set of files: who published them and under which license."""

    source: str = "local"
    organisation: str = ""
    license: str = ""
    audience: str = "patients"


def read_text_file(path: Path) -> str:
    """Read a text file as UTF-8, refusing empty, binary and other encodings clearly."""
    data = path.read_bytes()
    if not data.strip():
        raise LoadError(path, "is empty; add content or remove the file")
    if b"\x00" in data[:8192]:
        raise LoadError(path, "looks binary, not text; convert it to a supported format")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(path, f"is not UTF-8 text (byte {exc.start}); re-save it as UTF-8") from None


def _document(path: Path, title: str, sections: list[Section], info: SourceInfo) -> Document:
    kept = tuple(s for s in sections if s.text.strip())
    if not kept:
        raise LoadError(path, "has no text to index")
    return Document(
        source_key=str(path.resolve()),
        title=title.strip() or path.stem,
        sections=kept,
        source=info.source,
        organisation=info.organisation or info.source,
        url=path.resolve().as_uri(),
        license=info.license,
        audience=info.audience,
    )


def load_text(path: Path, info: SourceInfo) -> list[Document]:
    text = read_text_file(path)
    return [_document(path, path.stem.replace("_", " "), [Section(text=text)], info)]


_ATX_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def markdown_sections(text: str) -> tuple[str, list[Section]]:
    """Split Markdown on ATX headings, keeping each section's heading path (code fences respected)."""
    title = ""
    path: list[tuple[int, str]] = []
    sections: list[Section] = []
    lines: list[str] = []
    in_fence = False

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            sections.append(Section(text=body, headings=tuple(h for _, h in path)))
        lines.clear()

    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _ATX_HEADING.match(line)
        if match is None:
            lines.append(line)
            continue
        flush()
        level, heading = len(match.group(1)), match.group(2).strip()
        if level == 1 and not title:
            title = heading
        path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, heading)]
    flush()
    return title, sections


def load_markdown(path: Path, info: SourceInfo) -> list[Document]:
    title, sections = markdown_sections(read_text_file(path))
    return [_document(path, title or path.stem, sections, info)]


_HTML_NOISE = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe")
_HTML_BLOCKS = ("p", "li", "td", "th", "pre", "blockquote", "dd", "dt", "figcaption")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def html_sections(markup: str) -> tuple[str, list[Section]]:
    """Main text of an HTML page by heading, without menus, headers, footers or scripts."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup.find_all(_HTML_NOISE):
        tag.decompose()
    for tag in soup.select('[role="navigation"], [role="banner"], [role="contentinfo"]'):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    path: list[tuple[int, str]] = []
    sections: list[Section] = []
    paragraphs: list[str] = []

    def flush() -> None:
        if paragraphs:
            sections.append(Section(text="\n\n".join(paragraphs), headings=tuple(h for _, h in path)))
            paragraphs.clear()

    for element in root.find_all([*_HEADINGS, *_HTML_BLOCKS]):
        if element.name in _HEADINGS:
            flush()
            level, heading = int(element.name[1]), element.get_text(" ", strip=True)
            if level == 1 and not title:
                title = heading
            path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, heading)]
        elif element.find_parent(_HTML_BLOCKS) is None:
            text = " ".join(element.get_text(" ", strip=True).split())
            if text:
                paragraphs.append(text)
    flush()
    return title, sections


def load_html(path: Path, info: SourceInfo) -> list[Document]:
    title, sections = html_sections(read_text_file(path))
    return [_document(path, title or path.stem, sections, info)]


def load_pdf(path: Path, info: SourceInfo) -> list[Document]:
    """One section per page, page numbers (1-based) kept."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # our LoadError says it once, clearly
    if path.stat().st_size == 0:
        raise LoadError(path, "is empty; add content or remove the file")
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(path, "is an encrypted PDF; save an unencrypted copy to index it")
        sections = [
            Section(text=(page.extract_text() or "").strip(), page=number)
            for number, page in enumerate(reader.pages, start=1)
        ]
        meta_title = reader.metadata.title if reader.metadata else None
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(path, f"is not a readable PDF ({exc}); re-export or replace it") from None
    if not any(s.text for s in sections):
        raise LoadError(path, "has no extractable text (a scanned PDF needs OCR first)")
    return [_document(path, str(meta_title or path.stem), sections, info)]


def _load_xml(path: Path, info: SourceInfo) -> list[Document]:
    return load_medquad(path, audience=info.audience)


Loader = Callable[[Path, SourceInfo], list[Document]]

LOADERS: dict[str, Loader] = {
    ".xml": _load_xml,
    ".pdf": load_pdf,
    ".html": load_html,
    ".htm": load_html,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
}


def loader_for(path: Path) -> Loader | None:
    """The loader for a file's suffix, or None when careguide does not read that kind of file."""
    return LOADERS.get(path.suffix.lower())


def iter_source_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every file under the given paths, in a stable order, hidden files and folders skipped."""
    for root in paths:
        if not root.exists():
            raise FileNotFoundError(f"{root} does not exist; check the path")
        if root.is_file():
            yield root
            continue
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                yield path
