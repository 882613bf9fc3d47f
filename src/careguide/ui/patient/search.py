"""The knowledge-base search page (``/search``): plain HTML, no scripts. Its JSON twin,
``GET /v1/search``, is part of the REST API (``api.search_router``)."""

# No ``from __future__ import annotations``: a route's parameter types hold its app's question size
# limit, so they are evaluated where the route is defined.

import html
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from careguide.ingest import MEDQUAD_CITATION
from careguide.rag import Retriever
from careguide.ui.web_security import link_html

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>careguide — search the knowledge base</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 1rem auto; padding: 0 1rem;
       line-height: 1.5; }}
form {{ display: flex; gap: .5rem; }} input {{ flex: 1; padding: .5rem; font-size: 1rem; min-width: 0; }}
button {{ padding: .5rem 1rem; font-size: 1rem; }}
.notice {{ background: #fff4d6; padding: .5rem .75rem; border-radius: .25rem; }}
.hit {{ border-bottom: 1px solid #ddd; padding: .5rem 0; overflow-wrap: anywhere; }}
.meta {{ color: #555; font-size: .9rem; }}
footer {{ color: #555; font-size: .85rem; margin-top: 2rem; }}
.visually-hidden {{ position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }}
</style></head><body>
<h1>careguide</h1>
<p class="notice" role="note">General health education from trusted sources, not medical advice.
In an emergency call 911 or your local emergency number. <a href="/">Ask a question in the chat</a>.</p>
<form method="get" action="/search" role="search">
<label for="q" class="visually-hidden">Search the knowledge base</label>
<input id="q" name="q" value="{question}" placeholder="Ask about a condition, e.g. symptoms of acromegaly"
 maxlength="{max_chars}" autofocus>
<button type="submit">Search</button></form>
{results}
<footer>Sources: MedQuAD ({citation}), CC BY 4.0; the text of each passage comes from the NIH or CDC
page linked under it.</footer>
</body></html>"""


def render_results(question: str, retriever: Retriever, where: dict[str, str]) -> str:
    if not question:
        return ""
    passages = retriever.search(question, where=where).passages
    if not passages:
        return "<p>No passages found. Is the knowledge base indexed? Run <code>careguide ingest</code>.</p>"
    parts = []
    for rank, passage in enumerate(passages, start=1):
        c = passage.chunk
        parts.append(
            f'<div class="hit"><strong>{rank}. {html.escape(c.title)}</strong>'
            f'<div class="meta">{html.escape(c.organisation)} · {html.escape(c.license)} · '
            f"{link_html(c.url)}</div>"
            f"<p>{html.escape(c.text)}</p></div>"
        )
    return "\n".join(parts)


def search_page_router(retriever: Callable[[], Retriever], max_chars: int) -> APIRouter:
    """``/search``: the page, for questions of at most ``max_chars`` characters."""
    router = APIRouter()

    @router.get("/search", response_class=HTMLResponse)
    def page(q: Annotated[str, Query(max_length=max_chars)] = "") -> str:
        """The search page: passages for a question, with their sources."""
        return _PAGE.format(
            question=html.escape(q),
            results=render_results(q.strip(), retriever(), {}),
            citation=html.escape(MEDQUAD_CITATION),
            max_chars=max_chars,
        )

    return router
