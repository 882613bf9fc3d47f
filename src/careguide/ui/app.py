"""The web app on FastAPI: for now a knowledge-base search page and the REST search endpoint.

The Gradio patient chat and clinician workspace mount on this same app later.
"""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse

from careguide.config import Settings
from careguide.ingest import MEDQUAD_CITATION
from careguide.rag import FilterError, Retriever, open_retriever, parse_filter

MAX_QUESTION_CHARS = 4000

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>careguide — search the knowledge base</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 1rem auto; padding: 0 1rem;
       line-height: 1.5; }}
form {{ display: flex; gap: .5rem; }} input {{ flex: 1; padding: .5rem; font-size: 1rem; }}
button {{ padding: .5rem 1rem; font-size: 1rem; }}
.notice {{ background: #fff4d6; padding: .5rem .75rem; border-radius: .25rem; }}
.hit {{ border-bottom: 1px solid #ddd; padding: .5rem 0; }} .meta {{ color: #555; font-size: .9rem; }}
footer {{ color: #555; font-size: .85rem; margin-top: 2rem; }}
</style></head><body>
<h1>careguide</h1>
<p class="notice" role="note">General health education from trusted sources, not medical advice.
In an emergency call 911 or your local emergency number.</p>
<form method="get" action="/" role="search">
<label for="q" class="visually-hidden" hidden>Question</label>
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
    passages = retriever.search(question, where=where)
    if not passages:
        return "<p>No passages found. Is the knowledge base indexed? Run <code>careguide ingest</code>.</p>"
    parts = []
    for rank, passage in enumerate(passages, start=1):
        c = passage.chunk
        parts.append(
            f'<div class="hit"><strong>{rank}. {html.escape(c.title)}</strong>'
            f'<div class="meta">{html.escape(c.organisation)} · {html.escape(c.license)} · '
            f'<a href="{html.escape(c.url)}">{html.escape(c.url)}</a></div>'
            f"<p>{html.escape(c.text)}</p></div>"
        )
    return "\n".join(parts)


def create_app(settings: Settings, retriever: Retriever | None = None) -> FastAPI:
    """The FastAPI app; the retriever (and its models) is loaded once, at start-up."""
    app = FastAPI(title="careguide", version="0.1.0")
    state: dict[str, Retriever] = {}

    def get_retriever() -> Retriever:
        if "retriever" not in state:
            state["retriever"] = retriever or open_retriever(settings)
        return state["retriever"]

    @app.get("/", response_class=HTMLResponse)
    def page(q: Annotated[str, Query(max_length=MAX_QUESTION_CHARS)] = "") -> str:
        results = render_results(q.strip(), get_retriever(), {})
        return _PAGE.format(
            question=html.escape(q),
            results=results,
            citation=html.escape(MEDQUAD_CITATION),
            max_chars=MAX_QUESTION_CHARS,
        )

    @app.get("/v1/search")
    def search(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION_CHARS)],
        k: Annotated[int, Query(ge=1, le=100)] = 5,
        where: Annotated[list[str] | None, Query()] = None,
    ) -> list[dict[str, object]]:
        """Passages for a question, in the same JSON shape as `careguide search --json`."""
        try:
            filters = parse_filter(where or [])
        except FilterError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        return [p.to_json() for p in get_retriever().search(q, k, filters)]

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
