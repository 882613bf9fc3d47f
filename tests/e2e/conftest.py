"""Browser tests: Debian's chromium driven by Python Playwright against the real app, served by
uvicorn in a background thread (real index, guardrails, review database and 0.5B model)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from careguide.ui import create_app
from tests.integration.ui.harness import Knowledge, build_knowledge, llama_server, serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass
class LiveApp:
    url: str
    knowledge: Knowledge


def launch(playwright: object) -> Browser:
    """Chromium from Debian's package; a missing browser is an error, never a skip."""
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium is missing at {CHROMIUM}; run `make browser` to install it.")
    browser: Browser = playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
    )
    return browser


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One browser for the e2e package, closed when its last test is done: sync Playwright keeps an
    event loop running in the main thread while it is open, which later async tests cannot share."""
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    root = tmp_path_factory.mktemp("e2e")
    with llama_server(root / "llm.log") as server:
        knowledge = build_knowledge(root, server.base_url)
        app = create_app(knowledge.settings, knowledge.retriever, guard=knowledge.guard)
        with serve(app) as url:
            yield LiveApp(url, knowledge)


@pytest.fixture
def page(browser: Browser, live_app: LiveApp) -> Iterator[Page]:
    """A fresh browser context (a new conversation) at desktop size, opened on the chat."""
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(live_app.url)
    yield page
    context.close()


@pytest.fixture
def phone(browser: Browser, live_app: LiveApp) -> Iterator[Page]:
    """The chat on a phone-sized touch screen (390 × 844)."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(live_app.url)
    yield page
    context.close()
