"""What the chat and the REST API share: the opened components and the path of one message.

The retriever, guardrails, feedback store and LLM backend are opened once per app. The backend may
fail to start (``careguide.models.ModelConnection``): the app still serves, fixed replies
(emergencies, refusals) still work, and the next question that needs the model tries again.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from careguide.config import Settings
from careguide.guardrails import GuardDecision, Guardrails
from careguide.models import ModelConnection
from careguide.rag import (
    Assistant,
    GuardedAnswer,
    LLMError,
    Retriever,
    answer_safely,
    open_assistant,
    warm_parser,
)
from careguide.ui.patient.feedback import FeedbackSink

log = logging.getLogger("careguide.ui")

FAILED = "Something went wrong while answering; please try again."


def too_long(message: str, max_chars: int) -> str | None:
    """The polite refusal for a message over ``max_chars`` (``rag.max_question_chars``), or None;
    checked before anything else sees the message (the guardrails, the audit log, the model)."""
    size = len(message.strip())
    if size <= max_chars:
        return None
    return (
        f"Your message is too long for me to read ({size:,} characters); please ask one question "
        f"in under {max_chars:,} characters."
    )


@dataclass(frozen=True)
class Redacted:
    """The patient's message as the input checks redacted it: what the chat shows back."""

    text: str


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Extract:
    """The extractive answer (checked, cited), ready before the model's first token."""

    guarded: GuardedAnswer


@dataclass(frozen=True)
class Final:
    guarded: GuardedAnswer


@dataclass(frozen=True)
class Failure:
    message: str


@dataclass(frozen=True)
class Waiting:
    """Nothing new for a while (the model server is busy with other answers)."""


Event = Redacted | Token | Extract | Final | Failure | Waiting


class _Cancelled(Exception):
    """The reader went away (a closed tab, a dropped connection): stop generating."""


@dataclass
class Services:
    """The components one app opens once and every request shares."""

    settings: Settings
    retriever: Retriever
    guard: Guardrails
    feedback: FeedbackSink
    model: ModelConnection
    assistant: Assistant = field(init=False)
    closers: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.assistant = open_assistant(self.settings, self.retriever, self.model)
        warm_parser()  # the answer checks' parser: the PHI redactor's, loaded with the guardrails

    def answer(
        self,
        message: str,
        history: Sequence[str] = (),
        reading_level: str = "standard",
        conversation_id: str = "",
        on_token: Callable[[str], None] | None = None,
        on_extract: Callable[[GuardedAnswer], None] | None = None,
        on_input: Callable[[GuardDecision], None] | None = None,
    ) -> GuardedAnswer:
        """One message through the guarded path; raises LLMError (one sentence) if the model fails
        and no extract can stand in for its answer."""
        return answer_safely(
            self.assistant,
            self.guard,
            message,
            conversation_id,
            history,
            reading_level,
            on_token,
            on_extract,
            on_input=on_input,
        )

    def stream(
        self,
        message: str,
        history: Sequence[str] = (),
        reading_level: str = "standard",
        conversation_id: str = "",
        idle_s: float | None = None,
    ) -> Iterator[Event]:
        """The message as redacted (:class:`Redacted`), the extractive answer at once
        (:class:`Extract`), draft tokens as the model writes them, then the checked answer (or one
        failure); with ``idle_s``, a :class:`Waiting` event after each quiet ``idle_s`` seconds.

        The answer is computed in a worker thread; when the reader stops early, the worker stops
        at its next token, which closes the model request.
        """
        events: queue.Queue[Event] = queue.Queue()
        stop = threading.Event()

        def on_token(text: str) -> None:
            if stop.is_set():
                raise _Cancelled
            events.put(Token(text))

        def on_extract(guarded: GuardedAnswer) -> None:
            if stop.is_set():
                raise _Cancelled
            events.put(Extract(guarded))

        def on_input(decision: GuardDecision) -> None:
            if stop.is_set():
                raise _Cancelled
            events.put(Redacted(decision.redacted))

        def work() -> None:
            try:
                answer = self.answer(
                    message, history, reading_level, conversation_id, on_token, on_extract, on_input
                )
                events.put(Final(answer))
            except _Cancelled:
                pass
            except LLMError as exc:
                events.put(Failure(str(exc)))
            except Exception:
                log.exception("Answering failed")
                events.put(Failure(FAILED))

        threading.Thread(target=work, name="careguide-answer", daemon=True).start()
        try:
            while True:
                try:
                    event = events.get(timeout=idle_s)
                except queue.Empty:
                    yield Waiting()
                    continue
                yield event
                if isinstance(event, (Final, Failure)):
                    return
        finally:
            stop.set()

    def close(self) -> None:
        self.model.close()
        for close in reversed(self.closers):
            try:
                close()
            except Exception:
                log.exception("Closing a component failed")
