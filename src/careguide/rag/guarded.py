"""The path of one question with the guardrails on both sides of the Assistant.

check_input first (PHI redacted, once: the redacted message is handed to the caller to show;
emergencies, refusals and redirects answered with fixed text and no model call), the Assistant on
the redacted question, then check_output on the answer (Presidio only on what the model wrote).
The output half, :func:`check_answer`, is also how handout drafting checks each answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from careguide.guardrails import GuardDecision, Guardrails
from careguide.rag.assistant import Answer, Assistant


class AnswerGuard(Protocol):
    """What checking an answer needs of :class:`careguide.guardrails.Guardrails`."""

    def check_output(
        self, answer: str, passages: Sequence[str], conversation_id: str = "", phi: bool = True
    ) -> GuardDecision: ...


@dataclass(frozen=True)
class GuardedAnswer:
    answer: Answer
    input: GuardDecision
    output: GuardDecision | None

    def to_json(self) -> dict[str, object]:
        record = self.answer.to_json()
        record["guard"] = {
            "input": {"action": self.input.action, "category": self.input.category,
                      "reasons": list(self.input.reasons)},
            "output": None if self.output is None else {
                "action": self.output.action, "category": self.output.category,
                "reasons": list(self.output.reasons),
            },
        }  # fmt: skip
        return record


def answer_safely(
    assistant: Assistant,
    guard: Guardrails,
    message: str,
    conversation_id: str = "",
    history: Sequence[str] = (),
    reading_level: str | None = None,
    on_token: Callable[[str], None] | None = None,
    on_extract: Callable[[GuardedAnswer], None] | None = None,
    mode: str | None = None,
    on_input: Callable[[GuardDecision], None] | None = None,
) -> GuardedAnswer:
    """One patient message through input checks, the Assistant and output checks.

    ``history`` holds the patient's earlier messages as redacted by earlier calls
    (``GuardedAnswer.input.redacted``), oldest first; raw text never reaches the model.
    ``on_extract`` receives the extractive answer, through the same output checks, before the
    model's first token (hybrid mode). ``on_input`` receives the input decision as soon as it is
    made: its ``redacted`` text is the message to show back (no one redacts it a second time).
    """
    decision = guard.check_input(message, conversation_id=conversation_id)
    if on_input is not None:
        on_input(decision)
    if decision.blocks_model:
        fixed = Answer(decision.redacted, decision.message, (), True, (), {})
        return GuardedAnswer(fixed, decision, None)

    def extracted(answer: Answer) -> None:
        if on_extract is not None:
            on_extract(_checked(answer, decision, guard, conversation_id))

    answer = assistant.ask(
        decision.redacted, on_token, history, reading_level, on_extract=extracted, mode=mode
    )
    return _checked(answer, decision, guard, conversation_id)


def check_answer(
    answer: Answer, guard: AnswerGuard, conversation_id: str = "", phi: bool | None = None
) -> tuple[Answer, GuardDecision | None]:
    """The output checks on an answer: the answer to show and the decision (None for an abstention,
    which is not checked). A rewritten or redacted answer shows the checked text; a refused one
    becomes an abstention with the refusal's message and no citations. No notice is appended.

    ``phi``: run Presidio on the answer; by default only on what the model wrote (an extract quotes
    the passages)."""
    if answer.abstained:
        return answer, None
    passages = [c.passage.chunk.text for c in answer.citations]
    if phi is None:
        phi = not answer.mode.startswith("extractive")
    checked = guard.check_output(answer.answer, passages, conversation_id=conversation_id, phi=phi)
    if checked.action in ("rewrite", "redact"):
        answer = replace(answer, answer=checked.redacted)
    elif checked.action == "refuse":
        answer = replace(answer, answer=checked.message, citations=(), abstained=True)
    return answer, checked


def _checked(
    answer: Answer, decision: GuardDecision, guard: Guardrails, conversation_id: str
) -> GuardedAnswer:
    """The output checks on an answer, and the notices of both checks appended."""
    answer, checked = check_answer(answer, guard, conversation_id)
    notices = " ".join(n for n in (decision.notice, checked.notice if checked else "") if n)
    if notices:
        answer = replace(answer, answer=f"{answer.answer}\n\n{notices}")
    return GuardedAnswer(answer, decision, checked)
