"""A patient using the chat in a real browser: cited answers and their sources, the emergency
banner, the privacy notice, feedback, a phone-sized screen and the keyboard alone."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import PHONE, LiveApp
from tests.integration.ui.harness import feedback_rows

pytestmark = pytest.mark.integration

ANSWER_MS = 600_000
"""A streamed answer from the 0.5B model on 2 busy cores (a wait limit, not a speed check)."""
ACROMEGALY = "What are the symptoms of acromegaly?"
AARSKOG = "What is Aarskog-Scott syndrome?"
EMERGENCY = "my throat is closing after eating peanuts"
RECORD_DRAFTS = """
window.cgDrafts = [];
new MutationObserver(() => {
  document.querySelectorAll('.cg-draft p:not(.cg-draft-label), .cg-extract').forEach((p) => {
    const text = p.textContent.trim();
    if (text && text !== '…' && !window.cgDrafts.includes(text)) window.cgDrafts.push(text);
  });
}).observe(document, { subtree: true, childList: true, characterData: true });
"""
"""Records what the chat shows before the checked answer: the extract from the sources (hybrid
mode) or the model's draft."""


def ask(page: Page, question: str) -> None:
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")


def next_answer(page: Page, before: int = 0) -> Locator:
    """The checked answer that replaces the extract or draft (the ``before + 1``-th of the page)."""
    answers = page.locator("#cg-chat .cg-answer:not(.cg-extract)")
    expect(answers).to_have_count(before + 1, timeout=ANSWER_MS)
    return answers.last


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_cited_answer_streams_and_opens_its_source(page: Page, live_app: LiveApp) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.add_init_script(RECORD_DRAFTS)
    page.reload()
    expect(page.get_by_role("note")).to_contain_text(
        "careguide gives general health education, not medical advice"
    )

    ask(page, ACROMEGALY)
    answer = next_answer(page)
    assert page.evaluate("window.cgDrafts.length") > 0, "nothing was shown while the model wrote"
    expect(page.locator("#cg-chat .cg-draft, #cg-chat .cg-extract")).to_have_count(0)

    link = answer.locator("a.cg-cite").first
    expect(link).to_be_visible()
    target = str(link.get_attribute("href")).lstrip("#")
    link.focus()
    page.keyboard.press("Enter")  # a citation opens from the keyboard too
    source = page.locator(f"details#{target}")
    expect(source).to_have_attribute("open", "")
    expect(source).to_be_visible()
    expect(source.locator("mark")).not_to_be_empty()
    expect(source).to_contain_text("MedQuAD, CC BY 4.0")
    expect(source).to_contain_text("National Institute of Diabetes and Digestive and Kidney Diseases")
    assert "niddk.nih.gov" in str(source.locator("dd a").first.get_attribute("href"))

    origin = urlsplit(live_app.url).netloc
    assert {urlsplit(url).netloc for url in requests if url.startswith("http")} == {origin}


def test_emergency_shows_the_alert_banner_using_the_keyboard_only(page: Page) -> None:
    for _ in range(40):  # Tab from the top of the page to the question box
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('#cg-question')"):
            break
    else:
        pytest.fail("The question box cannot be reached with the Tab key.")
    page.keyboard.type(EMERGENCY)
    page.keyboard.press("Enter")

    banner = page.locator("#cg-banner [role=alert]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Call 911 now")
    expect(banner.locator('a[href="tel:911"]')).to_be_visible()
    assert banner.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(176, 0, 32)"
    expect(page.locator("#cg-chat .cg-urgent")).to_contain_text("911")

    page.get_by_label("Your question").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "cg-send"  # focus order: question, then Send


def test_a_50_kb_message_is_refused_politely_and_never_checked(page: Page, live_app: LiveApp) -> None:
    audit = live_app.knowledge.audit
    before = audit.read_text() if audit.exists() else ""
    page.get_by_label("Your question").fill("I'm John Smith. " + "a" * 50_000)
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#cg-chat")).to_contain_text(
        "Your message is too long for me to read (50,016 characters)"
    )
    expect(page.locator("#cg-chat")).to_contain_text("(A message of 50,016 characters)")
    expect(page.locator("#cg-chat")).not_to_contain_text("John")
    assert (audit.read_text() if audit.exists() else "") == before  # the guardrails never saw it


def test_privacy_notice_is_shown_once_per_conversation(page: Page) -> None:
    ask(page, "I'm Maria Lopez. What are the symptoms of acromegaly?")
    answer = next_answer(page)
    notice = page.locator("#cg-privacy .cg-privacy")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("To protect your privacy")
    expect(notice).to_contain_text("<NAME>")
    expect(answer).not_to_contain_text("protect your privacy")
    expect(page.locator("#cg-chat")).to_contain_text("I'm <NAME>.")
    expect(page.locator("#cg-chat")).not_to_contain_text("Maria")

    ask(page, "I'm John Smith and my throat is closing after eating peanuts")
    expect(page.locator("#cg-banner [role=alert]")).to_be_visible()
    expect(page.locator(".cg-privacy")).to_have_count(1)
    expect(page.locator("#cg-chat")).not_to_contain_text("John")


def test_feedback_is_stored_with_the_comment_redacted(page: Page, live_app: LiveApp) -> None:
    before = len(feedback_rows(live_app.knowledge.settings))
    ask(page, "What is Holmes-Adie syndrome?")
    next_answer(page)
    page.get_by_label("Was this answer helpful? Add a comment (optional)").fill(
        "Too hard to read. I'm John Smith, call me on 617-555-0199."
    )
    page.get_by_role("button", name="Not helpful").click()
    expect(page.locator("#cg-feedback-status")).to_contain_text("your feedback was saved")

    rows = feedback_rows(live_app.knowledge.settings)
    assert len(rows) == before + 1
    row = rows[-1]
    assert row["rating"] == -1 and row["conversation_id"]
    assert "Holmes-Adie" in str(row["question"]) and row["answer"]
    comment = str(row["comment"])
    assert "Too hard to read" in comment and "John" not in comment and "617-555-0199" not in comment


def test_phone_width_chat_is_usable(phone: Page) -> None:
    assert no_horizontal_scroll(phone)
    for name in ("Your question",):
        box = phone.get_by_label(name).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # A question not asked before in this session: llama.cpp's prompt cache makes a repeated prompt's
    # draft differ slightly, and a draft that fails the support check is an abstention.
    phone.get_by_label("Your question").fill(AARSKOG)
    phone.get_by_role("button", name="Send").tap()
    answer = next_answer(phone)

    link = answer.locator("a.cg-cite").first
    assert link.count() == 1, f"the answer has no citation: {answer.inner_text()}"
    link.tap()
    source = phone.locator(f"details#{str(link.get_attribute('href')).lstrip('#')}")
    expect(source).to_have_attribute("open", "")
    expect(source.locator("summary")).to_be_in_viewport()

    phone.get_by_role("button", name="Explain more simply").tap()
    next_answer(phone, before=1)
    expect(phone.locator("#cg-chat")).to_contain_text("Please explain that more simply.")
    assert no_horizontal_scroll(phone)
