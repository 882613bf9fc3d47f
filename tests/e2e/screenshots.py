"""``make screenshots``: PNGs of the main patient screens, taken from the real app in chromium.

Run as ``python -m tests.e2e.screenshots docs/screenshots``. The app is the one the browser tests
use (a few real MedQuAD files, the 0.5B model), so the answers are real but short.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

from careguide.ui import create_app
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE
from tests.integration.ui.harness import build_knowledge, llama_server, serve

ANSWER_MS = 240_000


def open_chat(browser: Browser, url: str, viewport: dict[str, int], mobile: bool = False) -> Page:
    context = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    return page


def ask(
    page: Page, question: str, answers: int = 1, selector: str = "#cg-chat .cg-answer:not(.cg-extract)"
) -> None:
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    expect(page.locator(selector)).to_have_count(answers, timeout=ANSWER_MS)
    page.wait_for_timeout(500)


def open_first_source(page: Page) -> None:
    page.locator("#cg-chat a.cg-cite").first.click()
    page.wait_for_timeout(800)


def take(browser: Browser, url: str, out: Path) -> list[Path]:
    shots: list[Path] = []

    def save(page: Page, name: str, full: bool = False) -> None:
        path = out / name
        page.screenshot(path=str(path), full_page=full)
        shots.append(path)

    desktop = open_chat(browser, url, DESKTOP)
    ask(desktop, "What are the symptoms of acromegaly?")
    open_first_source(desktop)
    save(desktop, "chat-answer-sources-desktop.png", full=True)

    emergency = open_chat(browser, url, DESKTOP)
    ask(emergency, "my throat is closing after eating peanuts", selector="#cg-banner [role=alert]")
    save(emergency, "chat-emergency-desktop.png")

    phone = open_chat(browser, url, PHONE, mobile=True)
    save(phone, "chat-start-phone.png")
    ask(phone, "I'm Maria Lopez. What is Holmes-Adie syndrome?")
    save(phone, "chat-privacy-answer-phone.png")
    open_first_source(phone)
    save(phone, "chat-source-phone.png")
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.screenshots", description=__doc__)
    parser.add_argument("out", type=Path, nargs="?", default=Path("docs/screenshots"))
    args = parser.parse_args()
    if not CHROMIUM.is_file():
        raise SystemExit(f"Chromium is missing at {CHROMIUM}; run `make browser` to install it.")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="careguide-shots-") as tmp:
        root = Path(tmp)
        with llama_server(root / "llm.log") as server:
            knowledge = build_knowledge(root, server.base_url)
            app = create_app(knowledge.settings, knowledge.retriever, guard=knowledge.guard)
            with serve(app) as url, sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    shots = take(browser, url, args.out)
                finally:
                    browser.close()
    for path in shots:
        print(path)


if __name__ == "__main__":
    main()
