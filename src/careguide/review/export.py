"""Approved material as Markdown, self-contained HTML and PDF, for printing or a patient portal.

Only approved material leaves the workspace: exporting a draft or a rejected version is refused.
The HTML carries its own styles and nothing else (no fonts, scripts or images from elsewhere), so it
opens offline and leaks no visit to a third party; everything from the body and the citations is
escaped. The PDF uses a core font (no font files to ship), which only knows Latin-1: other
characters are replaced by their closest Latin-1 spelling.
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import urlparse

from careguide.review.types import Material, MaterialCitation, ReviewError

_TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$")


def require_approved(material: Material) -> None:
    if material.status != "approved":
        raise ReviewError(
            f"Material {material.id} is {material.status}, not approved; a clinician must approve it "
            f"before it is exported or published."
        )


def _has_title(body: str) -> bool:
    first = next((line for line in body.splitlines() if line.strip()), "")
    return _TITLE.match(first) is not None


def _safe_url(url: str) -> str:
    """Only web links are linked; anything else (javascript:, data:) is shown as text, not followed."""
    return url if urlparse(url).scheme in ("http", "https") else ""


def _organisation(citation: MaterialCitation) -> str:
    return citation.organisation or citation.source


def to_markdown(material: Material, clinic_name: str = "") -> str:
    """The approved text with a title (unless the body has one) and a numbered source list."""
    require_approved(material)
    parts = [] if _has_title(material.body) else [f"# {material.topic}", ""]
    parts.append(material.body.strip())
    if material.citations:
        parts += ["", "## Sources", ""]
        for c in sorted(material.citations, key=lambda c: c.n):
            org = f" — {_organisation(c)}" if _organisation(c) else ""
            title = c.title or "Source"
            link = f"[{title}](<{c.url}>)" if _safe_url(c.url) else title
            parts.append(f"{c.n}. {link}{org}")
    footer = f"Reviewed and approved by {clinic_name}" if clinic_name else "Reviewed and approved"
    parts += ["", f"_{footer} (version {material.version}, {material.updated_at:%Y-%m-%d})._", ""]
    return "\n".join(parts)


_STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 42rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.55; color: #1b1b1b; }
h1, h2, h3 { font-family: Arial, Helvetica, sans-serif; line-height: 1.25; }
.sources { font-size: 0.92rem; border-top: 1px solid #bbb; margin-top: 2rem; padding-top: 0.5rem; }
.footer { color: #555; font-size: 0.85rem; }
@media print { a { color: inherit; } }
"""


def _body_html(body: str) -> str:
    from markdown_it import MarkdownIt

    # html=False: raw HTML in the body is shown escaped, never rendered.
    rendered: str = MarkdownIt("commonmark", {"html": False}).enable("table").render(body)
    return rendered


def to_html(material: Material, clinic_name: str = "") -> str:
    """One self-contained HTML page (inline styles only, no external resources)."""
    require_approved(material)
    title = html.escape(material.topic)
    heading = "" if _has_title(material.body) else f"<h1>{title}</h1>\n"
    sources = ""
    if material.citations:
        items = []
        for c in sorted(material.citations, key=lambda c: c.n):
            name = html.escape(c.title or "Source")
            url = _safe_url(c.url)
            link = f'<a href="{html.escape(url, quote=True)}">{name}</a>' if url else name
            org = f" — {html.escape(_organisation(c))}" if _organisation(c) else ""
            shown_url = f"<br><small>{html.escape(c.url)}</small>" if c.url else ""
            items.append(f'<li value="{c.n}">{link}{org}{shown_url}</li>')
        sources = (
            '<section class="sources"><h2>Sources</h2>\n<ol>\n' + "\n".join(items) + "\n</ol></section>\n"
        )
    who = html.escape(clinic_name) if clinic_name else "a clinician"
    footer = (
        f'<p class="footer">Reviewed and approved by {who} (version {material.version}, '
        f"{material.updated_at:%Y-%m-%d}).</p>\n"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"{heading}{_body_html(material.body)}{sources}{footer}</main>\n</body>\n</html>\n"
    )


_LATIN1_SPELLINGS = {
    "\u2018": "'", "\u2019": "'", "\u201a": ",", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": " - ", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2026": "...", "\u2022": "-", "\u2023": "-", "\u25cf": "-", "\u00a0": " ", "\u2009": " ",
    "\u2264": "<=", "\u2265": ">=", "\u2260": "!=", "\u2248": "~", "\u2192": "->", "\u2190": "<-",
    "\u2122": "(TM)", "\u20ac": "EUR", "\u2030": " per mille", "\u2032": "'", "\u2033": '"',
    "\u03bc": "\u00b5", "\u0141": "L", "\u0142": "l", "\u0152": "OE", "\u0153": "oe", "\u0110": "D",
    "\u0111": "d", "\u0131": "i",
}  # fmt: skip


def latin1(text: str) -> str:
    """``text`` in Latin-1: typographic marks spelled out, accents kept where Latin-1 has them,
    other letters stripped of their accents, anything else shown as '?'."""
    out: list[str] = []
    for char in text:
        if char in _LATIN1_SPELLINGS:
            out.append(_LATIN1_SPELLINGS[char])
        elif ord(char) < 256:
            out.append(char)
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            plain = "".join(c for c in decomposed if not unicodedata.combining(c))
            out.append(plain if plain and all(ord(c) < 256 for c in plain) else "?")
    return "".join(out)


_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: alt text
    (re.compile(r"\[([^\]]+)\]\(<?([^)>]+)>?\)"), r"\1 (\2)"),  # links: text (url)
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])[*_](\S(?:.*?\S)?)[*_](?![\w*])"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
)


def _plain(text: str) -> str:
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return latin1(text)


_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|(\d+)[.)])\s+(.*)$")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def to_pdf(material: Material, clinic_name: str = "") -> bytes:
    """A printable A4 PDF: headings, paragraphs and lists of the Markdown body, then the sources."""
    require_approved(material)
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_title(latin1(material.topic))
    pdf.set_creator("careguide")
    pdf.add_page()

    def paragraph(text: str, size: float = 11, style: str = "", indent: float = 0, gap: float = 2) -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(pdf.epw - indent, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    if not _has_title(material.body):
        paragraph(latin1(material.topic), size=18, style="B", gap=4)
    lines: list[str] = []

    def flush() -> None:
        if lines:
            paragraph(_plain(" ".join(line.strip() for line in lines)))
            lines.clear()

    for line in material.body.splitlines():
        heading = _HEADING.match(line)
        item = _LIST_ITEM.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            paragraph(_plain(heading.group(2)), size=max(18 - 2 * level, 11), style="B", gap=3)
        elif item:
            flush()
            marker = f"{item.group(1)}." if item.group(1) else "-"
            paragraph(f"{marker} {_plain(item.group(2))}", indent=5, gap=1)
        elif not line.strip():
            flush()
        else:
            lines.append(line)
    flush()

    if material.citations:
        pdf.ln(3)
        paragraph("Sources", size=13, style="B", gap=2)
        for c in sorted(material.citations, key=lambda c: c.n):
            org = f" - {_organisation(c)}" if _organisation(c) else ""
            paragraph(latin1(f"{c.n}. {c.title or 'Source'}{org}"), size=10, gap=0)
            if c.url:
                paragraph(latin1(c.url), size=9, indent=5, gap=2)
    who = clinic_name or "a clinician"
    footer = f"Reviewed and approved by {who} (version {material.version}, {material.updated_at:%Y-%m-%d})."
    pdf.ln(3)
    paragraph(latin1(footer), size=9, style="I")
    return bytes(pdf.output())
