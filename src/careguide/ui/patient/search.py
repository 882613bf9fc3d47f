"""The knowledge-base search page (``/search``): plain HTML from ``templates/search.html``, no
scripts. Its JSON twin, ``GET /v1/search``, is part of the REST API (``api.search_router``)."""

# No ``from __future__ import annotations``: a route's parameter types hold its app's question size
# limit, so they are evaluated where the route is defined.

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from careguide.ingest import MEDQUAD_CITATION, Chunk
from careguide.rag import Retriever
from careguide.ui.patient.templating import render


def found(question: str, retriever: Retriever) -> list[Chunk] | None:
    """The chunks of the passages found for ``question``, or None for no question."""
    if not question:
        return None
    return [passage.chunk for passage in retriever.search(question, where={}).passages]


def search_page_router(retriever: Callable[[], Retriever], max_chars: int) -> APIRouter:
    """``/search``: the page, for questions of at most ``max_chars`` characters."""
    router = APIRouter()

    @router.get("/search", response_class=HTMLResponse)
    def page(q: Annotated[str, Query(max_length=max_chars)] = "") -> str:
        """The search page: passages for a question, with their sources."""
        return render(
            "search.html",
            question=q,
            hits=found(q.strip(), retriever()),
            citation=MEDQUAD_CITATION,
            max_chars=max_chars,
        )

    return router
