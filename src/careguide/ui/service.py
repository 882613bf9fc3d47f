"""What the chat and the REST API share: the opened components and the path of one message.

The retriever, guardrails, feedback store and LLM backend are opened once per app. The backend may
fail to start (no model file, a server that does not answer): the app still serves, fixed replies
(emergencies, refusals) still work, and the next question that needs the model tries again.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from careguide.config import Settings
from careguide.guardrails import Guardrails
from careguide.models import Backend, open_backend
from careguide.rag import (
    MAX_QUESTION_CHARS,
    Assistant,
    ChatClient,
    GuardedAnswer,
    LLMError,
    Retriever,
    answer_safely,
    client_for,
    open_assistant,
)
from careguide.ui.feedback import FeedbackSink

log = logging.getLogger("careguide.ui")

UNAVAILABLE = "The answer service is not available right now; please try again in a moment."
FAILED = "Something went wrong while answering; please try again."


def too_long(message: str) -> str | None:
    """The polite refusal for a message over the limit, or None; checked before anything else
    sees the message (the guardrails, the audit log, the model)."""
    size = len(message.strip())
    if size <= MAX_QUESTION_CHARS:
        return None
    return (
        f"Your message is too long for me to read ({size:,} characters); please ask one question "
        f"in under {MAX_QUESTION_CHARS:,} characters."
    )


BackendOpener = Callable[[Settings], Backend]


class ModelConnection:
    """The configured LLM backend, opened at start-up and again on demand after a failed start.

    Only one attempt runs at a time; questions arriving during an attempt share its outcome
    instead of starting servers of their own.
    """

    def __init__(self, settings: Settings, opener: BackendOpener | None = None) -> None:
        self.settings = settings
        self.opener = opener or open_backend
        self.backend: Backend | None = None
        self.client: ChatClient | None = None
        self.problem = ""
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Opened, and its supervised server (if any) still running."""
        return self.client is not None and self.backend is not None and self.backend.alive()

    def open(self) -> bool:
        """Try to open the backend; a failure is logged, never raised."""
        try:
            backend = self.opener(self.settings)
        except Exception as exc:  # a model that cannot start must not take the app down
            self.problem = str(exc) or type(exc).__name__
            log.warning("The language model is not available (%s); the next question retries.", self.problem)
            return False
        self.backend = backend
        self.client = client_for(backend, self.settings.llm.request_timeout_s)
        self.problem = ""
        return True

    def connected(self) -> ChatClient:
        """The client, opening the backend first if needed; raises LLMError with one sentence."""
        if self.client is not None:
            return self.client
        if self._lock.acquire(blocking=False):
            try:
                if self.client is None:
                    self.open()
            finally:
                self._lock.release()
        else:
            with self._lock:  # another question is starting it: wait for that attempt
                pass
        if self.client is None:
            raise LLMError(UNAVAILABLE)
        return self.client

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
        self.backend = None
        self.client = None


class LazyClient(ChatClient):
    """A chat client that reaches the model through a :class:`ModelConnection` at each request,
    so the Assistant can be built before (or without) a running model."""

    def __init__(self, connection: ModelConnection) -> None:
        super().__init__(base_url=self._no_url)
        self.connection = connection

    @staticmethod
    def _no_url() -> str:
        raise LLMError(UNAVAILABLE)

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, temperature: float = 0.0
    ) -> Iterator[str]:
        return self.connection.connected().stream(messages, max_tokens, temperature)


@dataclass
class _Placeholder:
    """Stands in for a backend while the Assistant is configured; never asked for a URL."""

    name: str = "pending"
    served_model: str = "local"
    extra_body: dict[str, object] = field(default_factory=dict)

    def base_url(self) -> str:
        raise LLMError(UNAVAILABLE)

    def api_key(self) -> str | None:
        return None


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


Event = Token | Extract | Final | Failure | Waiting


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
        assistant = open_assistant(self.settings, self.retriever, _Placeholder())
        assistant.llm = LazyClient(self.model)
        self.assistant = assistant

    def answer(
        self,
        message: str,
        history: Sequence[str] = (),
        reading_level: str = "standard",
        conversation_id: str = "",
        on_token: Callable[[str], None] | None = None,
        on_extract: Callable[[GuardedAnswer], None] | None = None,
    ) -> GuardedAnswer:
        """One message through the guarded path; raises LLMError (one sentence) if the model fails
        and no extract can stand in for its answer."""
        return answer_safely(
            self.assistant, self.guard, message, conversation_id, history, reading_level, on_token, on_extract
        )

    def stream(
        self,
        message: str,
        history: Sequence[str] = (),
        reading_level: str = "standard",
        conversation_id: str = "",
        idle_s: float | None = None,
    ) -> Iterator[Event]:
        """The extractive answer at once (:class:`Extract`), draft tokens as the model writes them,
        then the checked answer (or one failure); with
        ``idle_s``, a :class:`Waiting` event after each quiet ``idle_s`` seconds.

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

        def work() -> None:
            try:
                answer = self.answer(message, history, reading_level, conversation_id, on_token, on_extract)
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
