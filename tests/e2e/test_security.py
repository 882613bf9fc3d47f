"""The patient pages in a real browser under their Content-Security-Policy: a document whose URL
is ``javascript:`` never becomes a link, the chat still works (Gradio's scripts carry the page
nonce, the chat's own script loads from the app) and the browser reports no blocked script.

The knowledge base here holds hostile addresses and answers abstain (nothing relevant is found),
so no model is needed; the real guardrails check every message.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from careguide.config import load_settings
from careguide.guardrails import open_guardrails
from careguide.ui import create_app
from tests.e2e.conftest import DESKTOP
from tests.integration.ui.harness import serve
from tests.integration.ui.test_web_security import Passages, no_model

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def hostile_app() -> Iterator[str]:
    guard = open_guardrails(load_settings(), audit=False)
    app = create_app(load_settings(), Passages(), guard=guard, opener=no_model)  # type: ignore[arg-type]
    with serve(app) as url:
        yield url


@pytest.fixture
def watched(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A page, and every console error or CSP violation it reports."""
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(60_000)
    problems: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(message.text)

    page.on("console", seen)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page, problems
    context.close()


def test_a_javascript_url_in_a_document_is_not_a_link(
    watched: tuple[Page, list[str]], hostile_app: str
) -> None:
    page, problems = watched
    page.goto(f"{hostile_app}/search?q=acromegaly")
    expect(page.get_by_text("javascript:fetch", exact=False).first).to_be_visible()
    assert page.locator('a[href^="javascript" i]').count() == 0
    assert page.locator('a[href^="file:" i]').count() == 0
    expect(page.locator('a[href="https://www.niddk.nih.gov/acromegaly"]').first).to_be_visible()
    page.get_by_text("javascript:fetch", exact=False).first.click()
    assert page.url.startswith(f"{hostile_app}/search")  # nothing ran, nowhere to go
    assert problems == []


def test_the_chat_works_under_its_content_security_policy(
    watched: tuple[Page, list[str]], hostile_app: str
) -> None:
    page, problems = watched
    response = page.goto(hostile_app)
    assert response is not None and "'nonce-" in response.headers["content-security-policy"]
    box = page.get_by_label("Your question")
    box.fill("What are the symptoms of acromegaly?")
    box.press("Enter")
    reply = page.locator("#cg-chat .cg-answer, #cg-chat .cg-message").last
    expect(reply).to_be_visible(timeout=120_000)
    expect(page.locator("#cg-chat .cg-user").last).to_contain_text("acromegaly")
    assert page.evaluate("window.careguideChat === true")  # the chat's own script ran
    expect(page.locator(".cg-disclaimer")).to_contain_text("not medical advice")  # HTML components render
    expect(page.locator("#cg-source-panel")).to_be_visible()
    injected = page.evaluate(
        """() => { const s = document.createElement('script'); s.textContent = 'window.cgInjected = 1';
        document.body.appendChild(s); return window.cgInjected === 1; }"""
    )
    assert injected is False  # an inline script without the nonce does not run
    problems[:] = [p for p in problems if "cgInjected" not in p and "inline script" not in p]
    assert page.locator('#cg-chat a[href^="javascript" i]').count() == 0
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == []
