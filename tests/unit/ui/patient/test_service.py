"""The size limit and the streaming bridge (no model needed)."""

from __future__ import annotations

import time

from careguide.config import load_settings
from careguide.models import ModelConnection
from careguide.rag import LLMError
from careguide.ui.patient.service import Services, Token, too_long


def test_too_long_is_one_polite_sentence_naming_the_limit() -> None:
    assert too_long("a" * 4_000, 4_000) is None
    assert too_long("  short  ", 4_000) is None
    refusal = too_long("a" * 50_000, 4_000)
    assert refusal is not None and "50,000" in refusal and "4,000" in refusal
    assert refusal.count(".") == 1 and refusal.endswith(".")
    assert too_long("a" * 5_000, 6_000) is None
    assert "6,000" in (too_long("a" * 7_000, 6_000) or "")


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
        on_input=None,
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
