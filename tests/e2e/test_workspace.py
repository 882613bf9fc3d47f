"""A clinician using the workspace in a real browser (Debian's chromium, Python Playwright): signs
in with the keyboard, drafts a handout from the knowledge base with the real 0.5B model, edits it,
approves it (published into the index), exports Markdown, HTML and PDF, annotates the review queue,
signs out; the workspace refuses every page without a session. Works at phone width too.

Screenshots of each screen are saved to ``$WORKSPACE_SCREENSHOTS`` (docs/screenshots to refresh
the committed ones), else to a temporary folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.workspace_support import DRAFT_TIMEOUT_S, PASSWORD, Kit, open_kit, serve

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TOP = {"x": 0, "y": 0, "width": 1280, "height": 2200}
"""Long pages are shot down to here (the screenshots stay small)."""
CLINIC_SENTENCE = "Our clinic runs a pituitary support group every Tuesday evening in room 4."


@dataclass
class Live:
    url: str
    kit: Kit


@pytest.fixture(scope="module")
def chromium(request: pytest.FixtureRequest) -> Iterator[Browser]:
    """The e2e suite's shared browser when there is one, else our own (one Playwright per process)."""
    try:
        shared: Browser = request.getfixturevalue("browser")
    except pytest.FixtureLookupError:
        pass
    else:
        yield shared
        return
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium is missing at {CHROMIUM}; run `make browser` to install it.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with open_kit(tmp_path_factory.mktemp("workspace-e2e")) as kit:
        app, _ = kit.app()
        with serve(app) as url:
            yield Live(url, kit)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("WORKSPACE_SCREENSHOTS") or tmp_path_factory.mktemp("workspace-shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(browser: Browser, url: str, viewport: dict[str, int] = DESKTOP, mobile: bool = False) -> Page:
    context = browser.new_context(
        viewport=viewport, is_mobile=mobile, has_touch=mobile, accept_downloads=True
    )  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    return page


def sign_in_with_keyboard(page: Page, username: str = "alice", password: str = PASSWORD) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_focused()  # autofocus: type straight away
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(password)
    page.keyboard.press("Enter")


def fits_the_screen(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_the_workspace_refuses_access_without_signing_in(chromium: Browser, live: Live) -> None:
    page = open_page(chromium, f"{live.url}/workspace/materials/1")
    try:
        expect(page).to_have_url(re.compile(r"/workspace/login\?next=/workspace/materials/1$"))
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        for path in ("/workspace", "/workspace/queue", "/workspace/new", "/workspace/users"):
            page.goto(f"{live.url}{path}")
            expect(page).to_have_url(re.compile(r"/workspace/login"))
        api = page.context.request.get(f"{live.url}/workspace/api/materials")
        assert api.status == 401 and api.json() == {"message": "Sign in to the workspace first."}
        export = page.context.request.get(f"{live.url}/workspace/queue/annotations.jsonl", max_redirects=0)
        assert export.status == 303
        sign_in_with_keyboard(page, password="not the password")
        expect(page.get_by_role("alert")).to_contain_text("Wrong username or password.")
    finally:
        page.context.close()


def test_clinician_drafts_edits_approves_and_exports(chromium: Browser, live: Live, shots: Path) -> None:
    kit = live.kit
    page = open_page(chromium, f"{live.url}/workspace")
    try:
        expect(page).to_have_url(re.compile(r"/workspace/login"))
        page.screenshot(path=str(shots / "workspace-login.png"))
        sign_in_with_keyboard(page)
        expect(page.get_by_role("heading", name="Education material")).to_be_visible()
        expect(page.get_by_text("alice (clinician)")).to_be_visible()
        page.keyboard.press("Tab")  # the first stop is the skip link
        assert page.evaluate("document.activeElement.className") == "skip"

        page.get_by_role("link", name="Write new material").first.click()
        page.get_by_label("Topic").fill("acromegaly")
        page.get_by_label("Audience").select_option("patients")
        page.get_by_label("Standard (US grade 6 to 8)").check()
        page.get_by_label("Handout").check()
        page.screenshot(path=str(shots / "workspace-new.png"), full_page=True)
        page.get_by_role("button", name="Write the draft").click()

        # Progress: the questions as steps, a live status line and the model's text as it streams.
        expect(page.get_by_role("heading", name="Draft: acromegaly")).to_be_visible()
        expect(page.locator("#job-steps li")).to_have_count(4)
        expect(page.locator("#job-partial")).not_to_be_empty(timeout=DRAFT_TIMEOUT_S * 1000)
        page.screenshot(path=str(shots / "workspace-progress.png"), full_page=True)
        page.wait_for_url(re.compile(r"/workspace/materials/\d+$"), timeout=DRAFT_TIMEOUT_S * 1000)
        material_id = int(page.url.rsplit("/", 1)[1])

        # Review: the text, the grade, each sentence with its source and the quote that supports it.
        expect(page.get_by_role("heading", name="Each sentence and its source")).to_be_visible()
        expect(page.get_by_text("Reading grade (Flesch-Kincaid)")).to_be_visible()
        expect(page.locator(".sentences mark").first).to_be_visible()
        expect(page.locator("ol.sources li").first).to_contain_text("National Institute of Diabetes")
        page.locator("a.cite").first.click()
        expect(page).to_have_url(re.compile(r"#source-\d+$"))
        page.screenshot(path=str(shots / "workspace-review.png"), full_page=True, clip=TOP)

        body = page.get_by_role("textbox", name="Text (Markdown)")
        body.fill(body.input_value().rstrip() + f"\n\n## At our clinic\n\n{CLINIC_SENTENCE}\n")
        page.get_by_label("What changed and why").fill("Added our support group.")
        page.get_by_role("button", name="Save as version 2").click()
        expect(page.get_by_role("status").filter(has_text="Saved version 2.")).to_be_visible()
        expect(page.get_by_role("alert").filter(has_text="Sentences to check: 1")).to_be_visible()
        expect(page.locator(".check.warning").first).to_contain_text("no source is cited for it")

        page.get_by_label("Comment").fill("Checked against the sources; the clinic sentence is ours.")
        page.get_by_label("I have checked the sentences with warnings").check()
        page.get_by_role("button", name="Approve and publish").click()
        expect(page.get_by_role("heading", name=re.compile("acromegaly Approved"))).to_be_visible()
        expect(page.locator("#job-state")).to_contain_text("Published", timeout=300_000)
        page.screenshot(path=str(shots / "workspace-approved.png"), full_page=True, clip=TOP)

        for label, suffix, magic in (
            ("PDF", "pdf", b"%PDF"),
            ("Markdown", "md", b"# Acromegaly"),
            ("HTML", "html", b"<!DOCTYPE html>"),
        ):
            with page.expect_download() as info:
                page.get_by_role("link", name=f"Download {label}").click()
            download = info.value
            assert download.suggested_filename == f"acromegaly-v2.{suffix}"
            content = Path(download.path()).read_bytes()
            assert content.startswith(magic)
            if suffix == "md":
                assert CLINIC_SENTENCE.encode() in content and b"Example Clinic" in content

        # Published: the app's retriever finds the clinic's text (no restart).
        hits = kit.retriever.search("pituitary support group on Tuesday evening", k=3).passages
        assert hits and hits[0].chunk.source == "clinic" and CLINIC_SENTENCE in hits[0].chunk.text

        page.get_by_role("link", name="History").click()
        expect(page.get_by_text("Approved version 2 by alice")).to_be_visible()
        page.get_by_text("Changes from version 1").click()
        expect(page.locator(".diff .add").filter(has_text="pituitary support group")).to_be_visible()
        page.screenshot(path=str(shots / "workspace-history.png"), full_page=True)

        # The review queue: a patient's negative rating, annotated into the eval set.
        kit.store.add_feedback(
            "conv-e2e", "What causes acromegaly?", "Eating too much sugar.", -1, "This is wrong."
        )
        page.get_by_role("link", name="Review queue").click()
        page.get_by_role("link", name="What causes acromegaly?").click()
        page.get_by_label("Verdict").select_option("incorrect")
        page.get_by_label("What is wrong or right with the answer").fill(
            "Acromegaly comes from too much growth hormone."
        )
        page.get_by_label("What a good answer would say (optional)").fill(
            "Usually a benign pituitary tumour."
        )
        page.screenshot(path=str(shots / "workspace-queue.png"), full_page=True)
        page.get_by_role("button", name="Save annotation").click()
        expect(page.get_by_role("status").filter(has_text="Annotated queue item")).to_be_visible()
        with page.expect_download() as info:
            page.get_by_role("link", name="Download annotations (JSONL)").click()
        assert b'"label": "incorrect"' in Path(info.value.path()).read_bytes()

        # A phone-sized screen: everything fits the width.
        phone = open_page(chromium, f"{live.url}/workspace/materials/{material_id}", PHONE, mobile=True)
        try:
            sign_in_with_keyboard(phone)
            expect(phone).to_have_url(re.compile(rf"/workspace/materials/{material_id}$"))
            expect(phone.get_by_role("heading", name="Each sentence and its source")).to_be_visible()
            assert fits_the_screen(phone)
            phone.screenshot(path=str(shots / "workspace-review-phone.png"))
        finally:
            phone.context.close()

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status").filter(has_text="You have signed out.")).to_be_visible()
        page.goto(f"{live.url}/workspace/materials/{material_id}")
        expect(page).to_have_url(re.compile(r"/workspace/login"))
    finally:
        page.context.close()
