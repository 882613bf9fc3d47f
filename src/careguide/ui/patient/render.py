"""HTML for the patient chat: answers with clickable citations, the source panel, banners, notices.

Everything a patient, a model or a document wrote is escaped here and only here; the helpers
return markup that the chat shows as it is. Answer markup is one line wrapped in a ``<div>``: the
chat renders Markdown, and a one-line HTML block is left alone by Markdown, so an asterisk or an
underscore in an answer is shown, not turned into emphasis.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from careguide.ingest import MEDQUAD_CITATION, MEDQUAD_LICENSE
from careguide.rag import Citation, GuardedAnswer, cite_once
from careguide.ui.web_security import link_html

_MARKER = re.compile(r"\[(\d+)\]")
_PHONE = re.compile(r"(?<![\w-])\d(?:[\d-]|\s(?=\d))*\d(?![\w-])")
DISCLAIMER = "careguide gives general health education, not medical advice."


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def source_id(turn: int, n: int) -> str:
    """The element id of one source in the panel; citation links point at it."""
    return f"cg-source-{turn}-{n}"


def license_text(citation: Citation) -> str:
    """MedQuAD passages carry the dataset's license (CC BY 4.0); other sources their own."""
    chunk = citation.passage.chunk
    if chunk.answer_id:
        return f"MedQuAD, {MEDQUAD_LICENSE}"
    return chunk.license or "License not stated"


def highlighted(text: str, quote: str) -> str:
    """The passage, escaped, with the sentence that supports the answer marked.

    The quote is looked up in the raw text before escaping, so markup in either one can neither
    break the highlight nor reach the page.
    """
    start = text.find(quote) if quote else -1
    if start < 0:
        return esc(text)
    end = start + len(quote)
    return f"{esc(text[:start])}<mark>{esc(quote)}</mark>{esc(text[end:])}"


def link_citations(text: str, cited: dict[int, str], turn: int) -> str:
    """Escaped text in which every known marker [n] is a link that opens source n.

    ``cited`` maps each citation number to the source title (the link's tooltip); a marker with
    no citation stays plain text.
    """
    parts: list[str] = []
    last = 0
    for match in _MARKER.finditer(text):
        parts.append(esc(text[last : match.start()]))
        n = int(match.group(1))
        if n in cited:
            parts.append(
                f'<a href="#{source_id(turn, n)}" class="cg-cite" title="Show source {n}: {esc(cited[n])}">'
                f'[{n}]<span class="cg-sr"> show source {n}</span></a>'
            )
        else:
            parts.append(esc(match.group(0)))
        last = match.end()
    parts.append(esc(text[last:]))
    return "".join(parts)


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


_ITEM = re.compile(r"^\s*[-•*]\s+")


def block_html(paragraph: str, cited: dict[int, str], turn: int) -> str:
    """One paragraph: its text lines as a paragraph, its "- item" lines as a real list; a sentence
    cites each source once ("[1][1]" is one link)."""
    paragraph = cite_once(paragraph)
    out: list[str] = []
    prose: list[str] = []
    items: list[str] = []
    for line in paragraph.split("\n"):
        if _ITEM.match(line):
            if prose:
                out.append(f"<p>{link_citations(' '.join(prose), cited, turn)}</p>")
                prose = []
            items.append(f"<li>{link_citations(_ITEM.sub('', line).strip(), cited, turn)}</li>")
            continue
        if items:
            out.append(f"<ul>{''.join(items)}</ul>")
            items = []
        if line.strip():
            prose.append(line.strip())
    if prose:
        out.append(f"<p>{link_citations(' '.join(prose), cited, turn)}</p>")
    if items:
        out.append(f"<ul>{''.join(items)}</ul>")
    return "".join(out)


def answer_html(text: str, citations: Sequence[Citation], turn: int, note: str = "") -> str:
    """The verified answer: paragraphs and lists with linked citations, then an optional note."""
    cited = {c.n: c.passage.chunk.title for c in citations}
    body = "".join(block_html(p, cited, turn) for p in paragraphs(text))
    if note:
        body += f'<p class="cg-note">{esc(note)}</p>'
    return f'<div class="cg-answer">{body}</div>'


def extract_html(text: str, citations: Sequence[Citation], turn: int) -> str:
    """The extractive answer, shown at once while the model writes: already checked and cited."""
    cited = {c.n: c.passage.chunk.title for c in citations}
    body = "".join(block_html(p, cited, turn) for p in paragraphs(text))
    return (
        '<div class="cg-answer cg-extract"><p class="cg-draft-label">From the sources (a shorter answer '
        f"may follow)…</p>{body}</div>"
    )


def draft_html(text: str) -> str:
    """The model's draft while it streams; it is replaced by the checked answer."""
    shown = esc(text.strip()) or "…"
    return (
        '<div class="cg-draft"><p class="cg-draft-label">Draft: checking it against the sources…</p>'
        f"<p>{shown}</p></div>"
    )


def message_html(text: str, kind: str = "info") -> str:
    """A fixed reply (a refusal, a redirect, an error) as plain escaped paragraphs."""
    body = "".join(f"<p>{esc(p)}</p>" for p in paragraphs(text))
    return f'<div class="cg-message cg-{kind}">{body}</div>'


def user_html(text: str) -> str:
    """The patient's message as shown in the chat (already redacted)."""
    body = "".join(f"<p>{esc(p)}</p>" for p in paragraphs(text)) or "<p></p>"
    return f'<div class="cg-user">{body}</div>'


def phone_links(escaped: str) -> str:
    """Phone numbers in already escaped text become tel: links (one tap on a phone)."""

    def link(match: re.Match[str]) -> str:
        number = match.group(0)
        return f'<a href="tel:{re.sub(r"[^0-9]", "", number)}">{number}</a>'

    return _PHONE.sub(link, escaped)


def emergency_banner(message: str) -> str:
    """The escalation text as an alert banner; the reviewed message carries the numbers to call."""
    return (
        '<div class="cg-alert" role="alert"><p class="cg-alert-title">Get help now</p>'
        f"<p>{phone_links(esc(message))}</p></div>"
    )


def privacy_notice(text: str) -> str:
    return f'<div class="cg-privacy" role="status"><p>{esc(text)}</p></div>'


def header_html(emergency_number: str) -> str:
    """The title and the notice that stays on screen for the whole conversation."""
    return (
        '<header class="cg-header"><h1>careguide</h1>'
        f'<p class="cg-disclaimer" role="note"><strong>{esc(DISCLAIMER)}</strong> '
        f"In an emergency, call {phone_links(esc(emergency_number))} or your local emergency number."
        "</p></header>"
    )


def footer_html() -> str:
    return (
        '<footer class="cg-footer"><p>Answers come from trusted patient-education sources, mostly '
        f"MedQuAD ({esc(MEDQUAD_CITATION)}; {MEDQUAD_LICENSE}), whose text comes from NIH and CDC "
        'pages. You can also <a href="/search">search the sources directly</a>.</p></footer>'
    )


def source_html(turn: int, citation: Citation) -> str:
    """One source: title, organisation, link, license and the passage with its quote marked."""
    chunk = citation.passage.chunk
    organisation = chunk.organisation or chunk.source
    link = link_html(chunk.url, new_tab=True)
    return (
        f'<details class="cg-source" id="{source_id(turn, citation.n)}">'
        f"<summary>[{citation.n}] {esc(chunk.title)}</summary>"
        f'<dl class="cg-source-meta"><dt>From</dt><dd>{esc(organisation)}</dd>'
        f"<dt>Link</dt><dd>{link}</dd>"
        f"<dt>License</dt><dd>{esc(license_text(citation))}</dd></dl>"
        f'<blockquote class="cg-passage">{highlighted(chunk.text, citation.quote)}</blockquote>'
        "</details>"
    )


@dataclass(frozen=True)
class SourceGroup:
    """The sources of one answer, rendered once and kept in the conversation state."""

    turn: int
    question: str
    html: str


def source_group(turn: int, question: str, citations: Sequence[Citation]) -> SourceGroup:
    items = "".join(source_html(turn, c) for c in citations)
    return SourceGroup(turn, question, items)


def sources_panel(groups: Sequence[SourceGroup]) -> str:
    """The panel beside the chat: the sources of each answer, newest first."""
    if not groups:
        body = '<p class="cg-hint">Select a number such as [1] in an answer to read its source here.</p>'
    else:
        body = "".join(
            f'<section class="cg-group" aria-label="Sources for: {esc(g.question)}">'
            f'<h3 class="cg-group-title">Sources for “{esc(g.question)}”</h3>{g.html}</section>'
            for g in reversed(groups)
        )
    return (
        '<aside class="cg-sources" id="cg-source-panel" aria-labelledby="cg-sources-title" tabindex="-1">'
        f'<h2 id="cg-sources-title">Sources</h2>{body}</aside>'
    )


@dataclass(frozen=True)
class Presented:
    """What the chat shows for one guarded answer."""

    reply: str
    banner: str
    privacy: str
    sources: SourceGroup | None


def split_notices(guarded: GuardedAnswer) -> tuple[str, str, str]:
    """The answer text without the notices ``answer_safely`` appends, the privacy notice, and the
    output notice: the chat shows the privacy notice once per conversation instead of in every
    answer."""
    privacy = guarded.input.notice
    note = guarded.output.notice if guarded.output is not None else ""
    text = guarded.answer.answer
    appended = " ".join(n for n in (privacy, note) if n)
    if appended and text.endswith(f"\n\n{appended}"):
        text = text[: -len(appended) - 2]
    return text, privacy, note


def present(guarded: GuardedAnswer, turn: int) -> Presented:
    """The reply bubble, the emergency banner, the privacy notice and the sources of one answer."""
    text, privacy, note = split_notices(guarded)
    answer = guarded.answer
    banner = emergency_banner(guarded.input.message or text) if guarded.input.action == "escalate" else ""
    if guarded.input.blocks_model:
        reply = message_html(text, "urgent" if banner else "info")
    else:
        reply = answer_html(text, answer.citations, turn, note)
    group = source_group(turn, answer.question, answer.citations) if answer.citations else None
    return Presented(reply, banner, privacy_notice(privacy) if privacy else "", group)
