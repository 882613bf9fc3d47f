"""The configured model as one reconnecting chat model, for an app that must serve without it.

The backend may fail to start (no model file, a server that does not answer): the app still
serves, fixed replies (emergencies, refusals) still work, and the next question that needs the
model tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from careguide.config import Settings
from careguide.models.backends import Backend, open_backend
from careguide.rag import ChatClient, LLMError, client_for

log = logging.getLogger("careguide.ui")

UNAVAILABLE = "The answer service is not available right now; please try again in a moment."

BackendOpener = Callable[[Settings], Backend]


class ModelConnection:
    """The configured LLM backend, opened at start-up and again on demand after a failed start;
    a chat model (``careguide.rag.ChatModel``) that reaches it at each request, so the Assistant
    can be built before (or without) a running model.

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

    def stream(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float = 0.0,
        *,
        deadline_s: float | None = None,
    ) -> Iterator[str]:
        """Tokens of one answer from the backend, opened first if needed (raises LLMError)."""
        return self.connected().stream(messages, max_tokens, temperature, deadline_s=deadline_s)

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
        self.backend = None
        self.client = None
