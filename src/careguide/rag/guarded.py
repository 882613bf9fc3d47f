"""The path of one question with the guardrails on both sides of the Assistant.

check_input first (PHI redacted, once: the redacted message is handed to the caller to show;
emergencies, refusals and redirects answered with fixed text and no model call), the Assistant on
the redacted question, then check_output on the answer (Presidio only on what the model wrote).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from careguide.guardrails import GuardDecision, Guardrails
from careguide.rag.assistant import Answer, Assistant


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


def _checked(
    answer: Answer, decision: GuardDecision, guard: Guardrails, conversation_id: str
) -> GuardedAnswer:
    """The output checks on an answer, and the notices appended."""
    if answer.abstained:
        checked = None
    else:
        passages = [c.passage.chunk.text for c in answer.citations]
        written = not answer.mode.startswith("extractive")  # an extract quotes the passages
        checked = guard.check_output(answer.answer, passages, conversation_id=conversation_id, phi=written)
        if checked.action in ("rewrite", "redact"):
            answer = replace(answer, answer=checked.redacted)
        elif checked.action == "refuse":
            answer = replace(answer, answer=checked.message, citations=(), abstained=True)
    notices = " ".join(n for n in (decision.notice, checked.notice if checked else "") if n)
    if notices:
        answer = replace(answer, answer=f"{answer.answer}\n\n{notices}")
    return GuardedAnswer(answer, decision, checked)
