"""The one rule for links on every page."""

from __future__ import annotations

from careguide.ui.web_security import link_html, safe_url


def test_only_web_addresses_become_links() -> None:
    assert safe_url("https://medlineplus.gov/asthma.html") == "https://medlineplus.gov/asthma.html"
    for bad in ("javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,x",
                "file:///srv/data/approved/3.md", "//evil.example/x", "https:///nohost", "vbscript:x", ""):  # fmt: skip
        assert safe_url(bad) is None, bad
    assert 'href="https://a.example/?q=&quot;x&quot;"' in link_html('https://a.example/?q="x"')
    assert "<a" not in link_html("javascript:alert(1)") and "javascript:alert(1)" in link_html(
        "javascript:alert(1)"
    )
    assert link_html("file:///srv/data/approved/3.md") == "no link"
