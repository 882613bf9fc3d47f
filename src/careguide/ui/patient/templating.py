"""The Jinja2 environment of the patient side's pages (templates in ``templates/``).

As for the workspace's pages (``ui/workspace/templating.py``): autoescaping is on for every
``.html`` template, and ``{{ value }}`` writes ``html.escape`` of its text (quotes included), as
the pages always were; HTML made in Python (a source link) reaches a template as
:class:`markupsafe.Markup` only, through the ``link`` filter. Unlike the workspace's, these
templates are served as written, line for line (a template's last line break is dropped).
"""

from __future__ import annotations

import html
from typing import Any

from jinja2 import Environment, PackageLoader, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from markupsafe import Markup

from careguide.ui.web_security import link_html


@pass_eval_context
def _escaped(context: EvalContext, value: Any) -> Any:
    """What ``{{ value }}`` writes: in an autoescaped template, ``html.escape`` of its text."""
    if context.autoescape and not hasattr(value, "__html__"):
        return Markup(html.escape(str(value), quote=True))
    return value


def _link(url: str) -> Markup:
    """A source's address as a link when it is a web address, else as text (``link_html``)."""
    return Markup(link_html(url))


environment = Environment(
    loader=PackageLoader("careguide.ui.patient", "templates"),
    autoescape=select_autoescape(),
    finalize=_escaped,
    auto_reload=False,
)
environment.filters["link"] = _link


def render(template: str, **values: Any) -> str:
    """The page ``template`` with ``values``."""
    return environment.get_template(template).render(**values)
