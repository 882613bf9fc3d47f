"""The workspace's templates: lines joined as documented, values escaped like ``html.escape``."""

from __future__ import annotations

import html

from markupsafe import Markup

from careguide.ui.workspace.templating import environment, joined_lines


def test_lines_are_trimmed_and_joined_with_a_space_only_between_words():
    source = '<p>\n  <a href="x"\n     class="y">two\n  words</a>\n  {% if on %}\n  on{% endif %}\n</p>\n'
    assert joined_lines(source) == '<p><a href="x" class="y">two words</a>{% if on %}on{% endif %}</p>'


def test_values_are_escaped_with_quotes_as_html_escape_does_and_markup_is_kept():
    template = environment.from_string('<a title="{{ value }}">{{ value }}{{ kept }}</a>')
    value = '<b>"it\'s" & more</b>'
    escaped = html.escape(value, quote=True)
    assert template.render(value=value, kept=Markup("<i>x</i>")) == (
        f'<a title="{escaped}">{escaped}<i>x</i></a>'
    )


def test_every_html_template_loads():
    names = [n for n in environment.list_templates() if n.endswith(".html")]
    assert "layout.html" in names and len(names) >= 10
    for name in names:
        environment.get_template(name)
