"""The output half of the guarded path (check_answer), with a fake guard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from careguide.guardrails import Action, GuardDecision
from careguide.ingest import Chunk
from careguide.rag import ABSTENTION, Answer, Citation, Passage, check_answer

CHUNK = Chunk(
    chunk_id="flu-0",
    doc_id="flu",
    source_key="/kb/flu.xml",
    position=0,
    n_chunks=1,
    text="Flu spreads easily.",
    title="Flu",
    heading_path="",
    source="CDC",
    organisation="CDC",
    url="https://www.cdc.gov/flu",
    license="public domain",
)
ANSWER = Answer(
    "Is flu contagious?", "Flu spreads easily [1].", (Citation(1, Passage(CHUNK, 1.0), ""),), False
)


class Guard:
    def __init__(self, action: Action, redacted: str = "") -> None:
        self.decision = GuardDecision(action=action, redacted=redacted, message="FIXED", notice="NOTICE")
        self.calls: list[tuple[str, Sequence[str], str, bool]] = []

    def check_output(
        self, answer: str, passages: Sequence[str], conversation_id: str = "", phi: bool = True
    ) -> GuardDecision:
        self.calls.append((answer, passages, conversation_id, phi))
        return self.decision


def test_a_rewritten_answer_shows_the_checked_text_without_a_notice():
    guard = Guard("rewrite", "Flu spreads [1].")
    shown, decision = check_answer(replace(ANSWER, mode="model"), guard, "conv-1")
    assert shown.answer == "Flu spreads [1]." and shown.citations == ANSWER.citations
    assert decision is guard.decision
    assert guard.calls == [("Flu spreads easily [1].", ["Flu spreads easily."], "conv-1", True)]


def test_a_refused_answer_becomes_an_abstention_with_the_fixed_reply():
    shown, _ = check_answer(ANSWER, Guard("refuse"))
    assert shown.answer == "FIXED" and shown.abstained and shown.citations == ()


def test_an_allowed_answer_is_kept_and_an_abstention_is_not_checked():
    guard = Guard("allow", "ignored")
    assert check_answer(ANSWER, guard)[0] == ANSWER
    none = Answer("Is flu contagious?", ABSTENTION, (), True)
    assert check_answer(none, guard) == (none, None) and len(guard.calls) == 1


@pytest.mark.parametrize(
    ("mode", "phi", "expected"),
    [("model", None, True), ("extractive", None, False), ("extractive (model too slow)", None, False),
     ("extractive", True, True), ("model", False, False)],
)  # fmt: skip
def test_presidio_reads_what_the_model_wrote_unless_told(mode, phi, expected):
    guard = Guard("allow")
    check_answer(replace(ANSWER, mode=mode), guard, phi=phi)
    assert guard.calls[0][3] is expected
