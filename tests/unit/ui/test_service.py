"""The size limit and the model connection's retry rule (no model needed)."""

from __future__ import annotations

import threading
import time
from typing import cast

import pytest

from careguide.config import load_settings
from careguide.models import Backend, ModelError
from careguide.models.server import LlamaServer
from careguide.rag import MAX_QUESTION_CHARS, LLMError
from careguide.ui.service import UNAVAILABLE, ModelConnection, Services, Token, too_long


def test_too_long_is_one_polite_sentence() -> None:
    assert too_long("a" * MAX_QUESTION_CHARS) is None
    assert too_long("  short  ") is None
    refusal = too_long("a" * 50_000)
    assert refusal is not None and "50,000" in refusal and "4,000" in refusal
    assert refusal.count(".") == 1 and refusal.endswith(".")


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


class ScriptedServices(Services):
    """The streaming bridge around a scripted answer: tokens with pauses, then an error."""

    def __init__(self, pause_s: float, tokens: int) -> None:
        super().__init__(load_settings(), None, None, None, ModelConnection(load_settings()))  # type: ignore[arg-type]
        self.pause_s = pause_s
        self.tokens = tokens
        self.sent = 0

    def answer(
        self,
        message,
        history=(),
        reading_level="standard",
        conversation_id="",
        on_token=None,
        on_extract=None,
    ):  # type: ignore[no-untyped-def]
        time.sleep(self.pause_s)
        for _ in range(self.tokens):
            on_token("word ")
            self.sent += 1
            time.sleep(0.01)
        raise LLMError("The answer service cannot be reached right now; please try again in a moment.")


def test_stream_reports_waiting_then_tokens_then_one_failure() -> None:
    events = list(ScriptedServices(pause_s=0.35, tokens=2).stream("q", idle_s=0.1))
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "Waiting" and kinds[-3:] == ["Token", "Token", "Failure"]
    assert set(kinds[:-3]) == {"Waiting"}


def test_a_reader_that_leaves_stops_the_answer() -> None:
    services = ScriptedServices(pause_s=0.0, tokens=200)
    stream = services.stream("q")
    assert isinstance(next(stream), Token)
    stream.close()
    time.sleep(0.5)
    assert services.sent < 200
