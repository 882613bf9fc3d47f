"""The Assistant's flow with small fakes for the retriever and the model (the real ones are in
tests/integration/rag/test_assistant.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import yaml

from careguide.config import load_settings
from careguide.guardrails.settings import DEFAULT_POLICY
from careguide.ingest import Chunk
from careguide.rag import (
    ABSTENTION,
    Assistant,
    ChatClient,
    LLMError,
    ModelTooSlow,
    Passage,
    SearchResult,
    max_question_chars,
    open_assistant,
)
from careguide.rag.assistant import build_messages

PASSAGE = Passage(
    Chunk(
        "c1", "d1", "k1", 0, 1,
        "Asthma in children is treated with inhalers. A quick-relief inhaler opens the airways.",
        "Asthma", "", "medquad", "NHLBI", "https://example.org/asthma", "CC BY 4.0",
    ),
    0.8,
)  # fmt: skip


class FakeRetriever:
    def __init__(self, score: float = 0.8) -> None:
        self.score = score
        self.queries: list[str] = []

    def search(self, query: str, k: int) -> SearchResult:
        self.queries.append(query)
        return SearchResult([PASSAGE], self.score)


class FakeModel(ChatClient):
    def __init__(self, reply: str) -> None:
        super().__init__(lambda: "http://unused/v1")
        self.reply = reply
        self.messages: list[list[dict[str, str]]] = []

    def stream(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float = 0.0,
        *,
        deadline_s: float | None = None,
    ) -> Iterator[str]:
        self.messages.append(messages)
        yield from re.findall(r"\S+\s*", self.reply)


def assistant(reply: str, score: float = 0.8) -> tuple[Assistant, FakeRetriever, FakeModel]:
    retriever, model = FakeRetriever(score), FakeModel(reply)
    return Assistant(retriever, model), retriever, model  # type: ignore[arg-type]


def test_follow_up_is_searched_with_the_earlier_topic_and_told_to_the_model():
    bot, retriever, model = assistant("Asthma in children is treated with inhalers [1].")
    answer = bot.ask("what about for children?", history=["How is asthma treated?"])
    assert retriever.queries == ["How is asthma treated? what about for children?"]
    assert "Earlier question: How is asthma treated?" in model.messages[0][1]["content"]
    assert answer.search_query == retriever.queries[0] and not answer.abstained


def test_reading_level_changes_the_instructions():
    bot, _, model = assistant("Asthma in children is treated with inhalers [1].")
    bot.ask("How is asthma treated?", reading_level="simpler")
    simpler = model.messages[-1][0]["content"]
    bot.ask("How is asthma treated?")
    assert "9-year-old" in simpler and "grade 6 to 8" in model.messages[-1][0]["content"]
    with pytest.raises(ValueError, match="Unknown reading level"):
        bot.ask("How is asthma treated?", reading_level="expert")


def test_low_similarity_abstains_without_calling_the_model():
    bot, _, model = assistant("anything", score=0.1)
    answer = bot.ask("How do I fix my bicycle?")
    assert answer.abstained and answer.answer == ABSTENTION and not model.messages


def test_invented_dose_never_reaches_the_patient():
    bot, _, _ = assistant("Give your child 500 mg of prednisone twice a day [1].")
    answer = bot.ask("How is asthma treated?", mode="model")
    assert answer.abstained and "500" not in answer.answer and answer.dropped_sentences


def test_a_draft_that_fails_verification_falls_back_to_the_extract():
    bot, _, _ = assistant("Give your child 500 mg of prednisone twice a day [1].")
    shown: list[str] = []
    answer = bot.ask("How is asthma treated?", on_extract=lambda a: shown.append(a.answer))
    assert not answer.abstained and "500" not in answer.answer
    assert answer.mode == "extractive (model draft not verified)" and answer.dropped_sentences
    assert shown == [answer.answer] and "treated with inhalers [1]" in answer.answer
    assert answer.citations[0].quote in PASSAGE.chunk.text


def test_a_verified_draft_replaces_the_extract():
    bot, _, _ = assistant("A quick-relief inhaler opens the airways [1].")
    answer = bot.ask("How is asthma treated?")
    assert answer.mode == "model" and answer.answer == "A quick-relief inhaler opens the airways [1]."


class DownModel(FakeModel):
    def stream(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float = 0.0,
        *,
        deadline_s: float | None = None,
    ) -> Iterator[str]:
        raise LLMError("The answer service cannot be reached right now; please try again in a moment.")
        yield ""


def test_the_extract_answers_when_the_model_is_down_and_needs_no_model_in_extractive_mode():
    retriever = FakeRetriever()
    bot = Assistant(retriever, DownModel(""))  # type: ignore[arg-type]
    answer = bot.ask("How is asthma treated?")
    assert answer.mode == "extractive (model unavailable)" and "[1]" in answer.answer
    assert bot.ask("How is asthma treated?", mode="extractive").mode == "extractive"
    with pytest.raises(LLMError):
        bot.ask("How is asthma treated?", mode="model")


def test_a_slow_model_is_cut_off_at_the_deadline():
    bot, _, _ = assistant("A quick-relief inhaler opens the airways [1]. " * 5)
    bot.model_deadline_s = 0.0
    answer = bot.ask("How is asthma treated?")
    assert answer.mode == "extractive (model too slow)"


class PrefillingModel(FakeModel):
    """Sends nothing before the deadline it is given (a long prompt on a slow CPU)."""

    def __init__(self) -> None:
        super().__init__("A quick-relief inhaler opens the airways [1].")
        self.deadlines: list[float | None] = []

    def stream(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float = 0.0,
        *,
        deadline_s: float | None = None,
    ) -> Iterator[str]:
        self.deadlines.append(deadline_s)
        if deadline_s is not None:
            raise ModelTooSlow(f"The model did not answer within {deadline_s:g} s.")
        yield from super().stream(messages, max_tokens, temperature)


def test_the_deadline_reaches_the_model_only_when_an_extract_is_there_to_keep():
    model = PrefillingModel()
    bot = Assistant(FakeRetriever(), model, model_deadline_s=5.0)  # type: ignore[arg-type]
    answer = bot.ask("How is asthma treated?")
    assert answer.mode == "extractive (model too slow)" and "[1]" in answer.answer
    assert model.deadlines[0] is not None and 0 < model.deadlines[0] <= 5.0
    # No deadline in model mode: the model's answer is all there is.
    assert bot.ask("How is asthma treated?", mode="model").mode == "model" and model.deadlines[1] is None


def test_long_questions_are_refused():
    bot, _, _ = assistant("x")
    with pytest.raises(ValueError, match="4000 characters"):
        bot.ask("a" * 50_000)
    bot.max_question_chars = 6000
    bot.ask("a" * 5_000)
    with pytest.raises(ValueError, match="6000 characters"):
        bot.ask("a" * 7_000)


def test_the_size_limit_is_the_guardrails_policy_s(tmp_path):
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8")) | {"max_message_chars": 6000}
    path = tmp_path / "guardrails.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    settings = load_settings().model_copy(update={"guardrails": path})
    assert max_question_chars(settings) == 6000
    assert open_assistant(settings, FakeRetriever(), DownModel("")).max_question_chars == 6000  # type: ignore[arg-type]
    assert open_assistant(load_settings(), FakeRetriever(), DownModel("")).max_question_chars == 4000  # type: ignore[arg-type]


def test_prompt_starts_with_a_fixed_system_message():
    first = build_messages("q1", [PASSAGE], 50)
    second = build_messages("another question", [PASSAGE], 50)
    assert first[0] == second[0] and first[0]["role"] == "system"
