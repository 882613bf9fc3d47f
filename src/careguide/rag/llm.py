"""The one way careguide speaks to a language model: OpenAI chat completions, streamed.

Every backend (the embedded llama.cpp server, vLLM, any OpenAI-compatible service) is reached
through :class:`ChatClient`; only how the server is started or found differs
(``careguide.models.open_backend``). The Assistant asks for no more than :class:`ChatModel`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from careguide.errors import UserError

Message = dict[str, str]


class LLMError(UserError):
    """The model server is unreachable or failed; the message is one sentence for the user."""


class ModelTooSlow(LLMError):
    """The model sent nothing more before the caller's deadline (the caller keeps what it has)."""


class ChatModel(Protocol):
    """What the Assistant needs of a language model: the tokens of one answer, streamed."""

    def stream(
        self, messages: list[Message], max_tokens: int, *, deadline_s: float | None = None
    ) -> Iterator[str]:
        """Tokens of one answer; raises :class:`LLMError` with a sentence for the user, and
        :class:`ModelTooSlow` when ``deadline_s`` seconds pass before the next token arrives."""
        ...


@dataclass
class ChatClient:
    """A streamed chat-completions client.

    ``base_url`` is a callable so that a supervised local server can be restarted (and its URL
    confirmed) right before each request.
    """

    base_url: Callable[[], str]
    model: str = "local"
    api_key: str | None = None
    timeout: float = 300.0
    extra_body: dict[str, Any] = field(default_factory=dict)
    """Backend-specific request fields (e.g. vLLM's structured-output options)."""
    retries: int = 1
    """A connection that fails before the first token is retried this many times."""

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def stream(
        self,
        messages: list[Message],
        max_tokens: int,
        temperature: float = 0.0,
        *,
        deadline_s: float | None = None,
    ) -> Iterator[str]:
        """Tokens of one answer; raises :class:`LLMError` with a sentence for the user.

        ``deadline_s``: stop waiting that many seconds from now (:class:`ModelTooSlow`), even while
        the server is still reading the prompt; the connection is closed, which stops the server's
        generation."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
            **self.extra_body,
        }
        until = None if deadline_s is None else time.monotonic() + deadline_s
        for attempt in range(self.retries + 1):
            started = False
            try:
                for token in self._stream_once(body, until):
                    started = True
                    yield token
                return
            except httpx.HTTPError as exc:
                if (
                    until is not None
                    and isinstance(exc, httpx.TimeoutException)
                    and time.monotonic() >= until
                ):
                    raise ModelTooSlow(f"The model did not answer within {deadline_s:g} s.") from None
                if started or attempt == self.retries:
                    raise LLMError(
                        "The answer service cannot be reached right now; please try again in a moment."
                    ) from None

    def _stream_once(self, body: dict[str, Any], until: float | None = None) -> Iterator[str]:
        try:
            base = self.base_url()
        except Exception as exc:  # a supervised server that cannot be (re)started
            raise LLMError(f"The answer service is not available: {exc}") from None
        url = f"{base.rstrip('/')}/chat/completions"
        timeout = (
            httpx.Timeout(self.timeout)
            if until is None
            else httpx.Timeout(self.timeout, read=max(0.001, min(self.timeout, until - time.monotonic())))
        )
        with httpx.stream("POST", url, json=body, headers=self.headers(), timeout=timeout) as response:
            if response.status_code in (401, 403):
                raise LLMError(
                    "The answer service refused careguide's API key; check the key in the environment "
                    "variable named by llm.api_key_env."
                )
            if response.status_code != 200:
                response.read()
                raise LLMError(
                    f"The answer service returned an error ({response.status_code}); "
                    "please try again in a moment."
                )
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                payload = line[5:].strip()
                if payload == "[DONE]":
                    return
                try:
                    choices = json.loads(payload).get("choices") or [{}]
                except json.JSONDecodeError:
                    raise LLMError("The answer service sent a malformed reply; please try again.") from None
                content = (choices[0].get("delta") or {}).get("content")
                if content:
                    yield content

    def complete(self, messages: list[Message], max_tokens: int) -> str:
        return "".join(self.stream(messages, max_tokens))


class Endpoint(Protocol):
    """Where a model answers: what ``careguide.models.open_backend`` hands to the Assistant."""

    name: str
    served_model: str
    extra_body: dict[str, Any]

    def base_url(self) -> str: ...

    def api_key(self) -> str | None: ...


def client_for(endpoint: Endpoint, timeout: float = 300.0) -> ChatClient:
    return ChatClient(
        endpoint.base_url,
        endpoint.served_model,
        endpoint.api_key(),
        timeout,
        dict(endpoint.extra_body),
    )
