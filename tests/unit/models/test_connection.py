"""The reconnecting model: a failed start retried on the next question, one attempt at a time
(no model needed)."""

from __future__ import annotations

import threading
import time
from typing import cast

import pytest

from careguide.config import load_settings
from careguide.models import UNAVAILABLE, Backend, ModelConnection, ModelError
from careguide.models.server import LlamaServer
from careguide.rag import LLMError


class Opener:
    """Fails the first ``failures`` times, then returns a backend at a fixed URL."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self, settings: object) -> Backend:
        self.calls += 1
        if self.calls <= self.failures:
            raise ModelError(
                "Cannot reach the LLM server at http://127.0.0.1:9/v1; start it or fix llm.base_url."
            )
        return Backend("llamacpp", "local", "http://127.0.0.1:9/v1")


def test_a_failed_start_is_retried_on_the_next_question() -> None:
    opener = Opener(failures=2)
    model = ModelConnection(load_settings(), opener)
    assert not model.open() and "Cannot reach" in model.problem  # start-up: logged, not raised
    with pytest.raises(LLMError, match="not available right now"):
        model.connected()  # first question: one more try
    assert model.connected().model == "local" and model.ready  # next question: it works
    assert opener.calls == 3
    model.connected()
    assert opener.calls == 3  # opened once, kept


class Supervised:
    """Stands in for a supervised model server that can die and be restarted."""

    def __init__(self) -> None:
        self.running = True

    def alive(self) -> bool:
        return self.running

    def ensure_running(self) -> str:
        self.running = True
        return "http://127.0.0.1:9/v1"

    def stop(self) -> None:
        self.running = False


def test_a_dead_model_server_is_not_ready_until_the_next_question_restarts_it() -> None:
    server = Supervised()
    backend = Backend("llamacpp", "local", server=cast(LlamaServer, server))
    model = ModelConnection(load_settings(), lambda settings: backend)
    assert model.open() and model.ready
    server.running = False  # killed, e.g. for memory
    assert not model.ready  # /healthz says "unavailable"
    assert backend.base_url() == "http://127.0.0.1:9/v1" and model.ready  # a question restarts it


def test_questions_during_an_attempt_share_its_outcome() -> None:
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow_failure(settings: object) -> Backend:
        calls.append(1)
        started.set()
        release.wait(10)
        raise ModelError("no model")

    model = ModelConnection(load_settings(), slow_failure)
    errors: list[str] = []

    def ask() -> None:
        try:
            model.connected()
        except LLMError as exc:
            errors.append(str(exc))

    first = threading.Thread(target=ask)
    first.start()
    started.wait(10)
    second = threading.Thread(target=ask)
    second.start()
    time.sleep(0.3)  # the second question arrives while the first attempt is still running
    release.set()
    first.join(10)
    second.join(10)
    assert errors == [UNAVAILABLE, UNAVAILABLE] and len(calls) == 1


def test_the_connection_is_the_chat_model_and_says_one_sentence_when_down() -> None:
    model = ModelConnection(load_settings(), Opener(failures=5))
    with pytest.raises(LLMError, match="not available right now"):
        model.stream([{"role": "user", "content": "q"}], 10)
