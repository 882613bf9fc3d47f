"""The chat's HTML helpers: citation links, highlighted quotes, banners, notices; all escaped."""

from __future__ import annotations

from careguide.guardrails import GuardDecision
from careguide.ingest import Chunk
from careguide.rag import Answer, Citation, GuardedAnswer, Passage
from careguide.ui.patient import render

TEXT = (
    "Acromegaly is a hormonal disorder. It develops when the pituitary gland makes too much growth hormone."
)


def citation(
    n: int = 1, text: str = TEXT, quote: str = "", answer_id: str = "NIDDK_0000001_Sec1"
) -> Citation:
    chunk = Chunk(
        f"c{n}", "d1", "k1", 0, 1, text, "What is acromegaly?", "", "NIDDK",
        "National Institute of Diabetes and Digestive and Kidney Diseases",
        "https://www.niddk.nih.gov/acromegaly", "CC BY 4.0", answer_id=answer_id,
    )  # fmt: skip
    return Citation(n, Passage(chunk, 0.9), quote or text.split(". ")[1])


def guarded(answer: str, action: str = "allow", message: str = "", notice: str = "") -> GuardedAnswer:
    decision = GuardDecision(action=action, redacted="q", message=message, notice=notice)  # type: ignore[arg-type]
    cites = (citation(),) if action in ("allow", "redact") else ()
    return GuardedAnswer(Answer("q", answer, cites, not cites), decision, None)


def test_citation_markers_become_links_to_their_source() -> None:
    html = render.answer_html("It is a hormone disorder [1]. Growth slows [2].", [citation()], turn=3)
    assert '<a href="#cg-source-3-1" class="cg-cite"' in html
    assert "[2]" in html and "cg-source-3-2" not in html  # no citation 2: plain text
    assert "\n" not in html and html.startswith('<div class="cg-answer">')


def test_a_repeated_marker_is_one_link() -> None:
    html = render.answer_html("It is a hormone disorder [1][1][1].", [citation()], turn=2)
    assert html.count('class="cg-cite"') == 1 and "[1]</span>" not in html
    extract = render.extract_html("It is a hormone disorder [1] [1].", [citation()], turn=2)
    assert extract.count('class="cg-cite"') == 1


def test_answer_text_is_escaped_and_not_markdown() -> None:
    html = render.answer_html("<script>alert(1)</script> *bold* [1]", [citation()], turn=1)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "*bold*" in html  # shown as written: the one-line HTML block is not Markdown


def test_tooltip_escapes_the_title() -> None:
    c = citation()
    chunk = c.passage.chunk
    evil = Citation(
        1, Passage(Chunk(**{**chunk.__dict__, "title": '"><img src=x onerror=alert(1)>'}), 1.0), c.quote
    )
    html = render.answer_html("Text [1].", [evil], turn=1)
    assert "<img" not in html and "&quot;&gt;&lt;img" in html


def test_quote_is_highlighted_inside_the_escaped_passage() -> None:
    text = "Use <b>care</b>. Take 5 mg & rest. Then sleep."
    marked = render.highlighted(text, "Take 5 mg & rest.")
    assert marked == "Use &lt;b&gt;care&lt;/b&gt;. <mark>Take 5 mg &amp; rest.</mark> Then sleep."


def test_missing_quote_leaves_the_passage_unmarked() -> None:
    assert render.highlighted("a <i>b</i>", "zzz") == "a &lt;i&gt;b&lt;/i&gt;"
    assert render.highlighted("plain", "") == "plain"


def test_source_shows_title_organisation_link_license_and_quote() -> None:
    html = render.source_html(2, citation())
    assert 'id="cg-source-2-1"' in html and "What is acromegaly?" in html
    assert "National Institute of Diabetes" in html and 'href="https://www.niddk.nih.gov/acromegaly"' in html
    assert "MedQuAD, CC BY 4.0" in html
    assert "<mark>It develops when the pituitary gland makes too much growth hormone.</mark>" in html


def test_license_of_a_clinic_handout_is_its_own() -> None:
    c = citation(answer_id="")
    chunk = Chunk(**{**c.passage.chunk.__dict__, "license": "internal"})
    assert render.license_text(Citation(1, Passage(chunk, 1.0), c.quote)) == "internal"


def test_emergency_banner_is_an_alert_with_callable_numbers() -> None:
    html = render.emergency_banner("Call 911 now, or 1-800-222-1222 (Poison Control). <b>x</b>")
    assert 'role="alert"' in html and 'class="cg-alert"' in html
    assert '<a href="tel:911">911</a>' in html
    assert '<a href="tel:18002221222">1-800-222-1222</a>' in html
    assert "<b>" not in html


def test_present_escalation_shows_banner_and_no_sources() -> None:
    message = "This could be a medical emergency. Call 911 now."
    shown = render.present(guarded(message, "escalate", message), turn=1)
    assert "911" in shown.banner and 'role="alert"' in shown.banner
    assert shown.sources is None and "cg-message" in shown.reply


def test_privacy_notice_is_split_from_the_answer() -> None:
    notice = "To protect your privacy, I removed personal details (<NAME>) before doing anything."
    shown = render.present(guarded(f"Acromegaly is rare [1].\n\n{notice}", "redact", notice=notice), turn=1)
    assert "protect your privacy" not in shown.reply
    assert "protect your privacy" in shown.privacy and "&lt;NAME&gt;" in shown.privacy
    assert shown.sources is not None and "cg-source-1-1" in shown.sources.html


def test_sources_panel_lists_newest_answer_first() -> None:
    first = render.source_group(1, "first question", [citation()])
    second = render.source_group(2, "second <question>", [citation()])
    html = render.sources_panel([first, second])
    assert html.index("cg-source-2-1") < html.index("cg-source-1-1")
    assert "second &lt;question&gt;" in html
    assert "Select a number" in render.sources_panel([])


def test_header_keeps_the_disclaimer() -> None:
    html = render.header_html("911")
    assert "careguide gives general health education, not medical advice" in html and 'role="note"' in html


def test_list_items_are_a_real_list_with_linked_citations() -> None:
    text = "Signs include [1]:\n- joint aches\n- <b>oily</b> skin [1]\n\nIt is rare [1]."
    html = render.answer_html(text, [citation()], turn=2)
    assert (
        "<p>Signs include <a" in html
        and "<ul><li>joint aches</li><li>&lt;b&gt;oily&lt;/b&gt; skin <a" in html
    )
    assert html.endswith("</a>.</p></div>") and "\n" not in html and " - joint" not in html


def test_the_extract_is_labelled_while_the_model_writes() -> None:
    html = render.extract_html("It is rare [1].", [citation()], turn=4)
    assert "cg-extract" in html and 'href="#cg-source-4-1"' in html
