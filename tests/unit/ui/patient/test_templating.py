"""The patient side's templates: everything shown is escaped the way ``html.escape`` escapes it,
and only web addresses become links."""

from __future__ import annotations

from careguide.ingest import Chunk
from careguide.ui.patient.templating import render


def chunk(url: str, title: str = "Acro <megaly>") -> Chunk:
    return Chunk("c1", "d1", "k1", 0, 1, "Text & 'more'", title, "", "medquad", "NIDDK", url, "CC BY 4.0")


def test_the_search_page_escapes_what_it_shows_and_links_only_web_addresses() -> None:
    page = render("search.html", question='"><script>', hits=None, citation="A & B", max_chars=4000)
    assert 'value="&quot;&gt;&lt;script&gt;"' in page and "<script>" not in page
    assert "</form>\n\n<footer>Sources: MedQuAD (A &amp; B)" in page and not page.endswith("\n")
    hits = [chunk("https://example.org/a"), chunk("javascript:alert(1)")]
    page = render("search.html", question="q", hits=hits, citation="", max_chars=6000)
    assert 'maxlength="6000"' in page
    assert "<strong>1. Acro &lt;megaly&gt;</strong>" in page and "<p>Text &amp; &#x27;more&#x27;</p>" in page
    assert page.count('<div class="hit">') == 2 and '</div>\n<div class="hit">' in page
    assert '<a href="https://example.org/a"' in page and 'href="javascript' not in page
    empty = render("search.html", question="q", hits=[], citation="", max_chars=4000)
    assert "</form>\n<p>No passages found." in empty
