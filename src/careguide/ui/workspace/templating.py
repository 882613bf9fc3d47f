"""The Jinja2 environment of the workspace's pages (templates in ``templates/``).

Autoescaping is on for every ``.html`` template (``select_autoescape``): whatever a template shows
from a user, a model, a document or the database is escaped, with the standard library's
``html.escape`` (quotes included), as the pages always were. HTML made in Python (a rendered
Markdown preview, a link, a diff) reaches a template as :class:`markupsafe.Markup` only.

Template layout is not page layout: in an ``.html`` template each line is trimmed and the lines
are joined without a break, or with one space where a word or attribute continues on the next
line (neither side a tag or a template tag). So templates can be indented for reading while pages
stay compact; ``{{ "\\n" }}`` writes a line break. ``.css`` and ``.js`` templates are kept as
written (and are not escaped: they hold no data).
"""

from __future__ import annotations

import html
from typing import Any

from jinja2 import Environment, PackageLoader, pass_eval_context, select_autoescape
from jinja2.ext import Extension
from jinja2.nodes import EvalContext
from markupsafe import Markup


def joined_lines(source: str) -> str:
    """Template source with its lines trimmed and joined (see the module docstring)."""
    lines = [line.strip() for line in source.splitlines()]
    out = ""
    for line in lines:
        if not line:
            continue
        if out and out[-1] not in ">}" and line[0] not in "<{":
            out += " "
        out += line
    return out


class JoinedLines(Extension):
    """Applies :func:`joined_lines` to every ``.html`` template when it is loaded."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return joined_lines(source) if name is not None and name.endswith(".html") else source


@pass_eval_context
def _escaped(context: EvalContext, value: Any) -> Any:
    """What ``{{ value }}`` writes: in an autoescaped template, ``html.escape`` of its text."""
    if context.autoescape and not hasattr(value, "__html__"):
        return Markup(html.escape(str(value), quote=True))
    return value


environment = Environment(
    loader=PackageLoader("careguide.ui.workspace", "templates"),
    autoescape=select_autoescape(),
    extensions=[JoinedLines],
    finalize=_escaped,
    keep_trailing_newline=True,
    auto_reload=False,
)


def render(template: str, **values: Any) -> str:
    """The page (or part) ``template`` with ``values``."""
    return environment.get_template(template).render(**values)
