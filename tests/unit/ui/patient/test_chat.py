"""The chat's conversation state: redacted history, the privacy notice once, the banner kept."""

from __future__ import annotations

from collections.abc import Iterator

from careguide.guardrails import GuardDecision
from careguide.rag import Answer, GuardedAnswer
from careguide.ui.patient.chat import Conversation, ask_handler, converse, new_conversation
from careguide.ui.patient.render import draft_html, user_html
from careguide.ui.patient.service import Extract, Failure, Final, Redacted, Token

NOTICE = (
    "To protect your privacy, I removed personal details (<NAME>) before doing anything with your message."
)
EMERGENCY = "This could be a medical emergency. Call 911 now."


def turn(
    redacted: str, answer: str, action: str = "allow", notice: str = "", message: str = ""
) -> GuardedAnswer:
    decision = GuardDecision(action=action, redacted=redacted, notice=notice, message=message)  # type: ignore[arg-type]
    text = f"{answer}\n\n{notice}" if notice else answer
    blocked = action in ("refuse", "escalate")
    return GuardedAnswer(Answer(redacted, text, (), blocked), decision, None)


def test_history_holds_redacted_questions_and_privacy_notice_shows_once() -> None:
    conv = new_conversation()
    conv.say("user", user_html("I'm <NAME>. What is acromegaly?"))
    conv.say("assistant", draft_html("Acro"))
    conv.record(turn("I'm <NAME>. What is acromegaly?", "A hormone disorder.", "redact", NOTICE), True)
    assert conv.history == ["I'm <NAME>. What is acromegaly?"] and conv.last_question == conv.history[0]
    assert "protect your privacy" in conv.privacy
    assert len(conv.messages) == 2 and "cg-draft" not in conv.messages[-1]["content"]
    first_notice = conv.privacy

    conv.say("user", user_html("I'm <NAME> again"))
    conv.record(turn("I'm <NAME> again", "Another answer.", "redact", NOTICE), True)
    assert conv.privacy == first_notice and conv.history[-1] == "I'm <NAME> again"


def test_escalation_sets_the_banner_and_disables_explain_more_simply() -> None:
    conv = new_conversation()
    conv.record(turn("chest pain", EMERGENCY, "escalate", message=EMERGENCY), True)
    assert 'role="alert"' in conv.banner and "911" in conv.banner and not conv.can_simplify
    conv.record(turn("what is asthma?", "Asthma is a lung disease."), True)
    assert "911" in conv.banner  # the banner stays for the rest of the conversation


def test_explain_more_simply_does_not_repeat_the_question_in_history() -> None:
    conv = Conversation()
    conv.record(turn("what is asthma?", "Asthma is a lung disease."), True)
    conv.record(turn("what is asthma?", "Asthma makes breathing hard."), False)
    assert conv.history == ["what is asthma?"] and conv.turn == 2
    assert conv.last_answer == "Asthma makes breathing hard."


def test_each_session_gets_its_own_conversation() -> None:
    assert new_conversation().id != new_conversation().id


class StreamedServices:
    """The stream of one hybrid answer: the extract, two draft tokens, the final answer."""

    def __init__(self, extract: GuardedAnswer, final: GuardedAnswer) -> None:
        self.events = [Redacted(final.input.redacted), Extract(extract), Token("Zebra "), Token("words"),
                       Final(final)]  # fmt: skip

    def stream(self, message, history, level, conversation_id):  # type: ignore[no-untyped-def]
        yield from self.events


def test_the_extract_is_shown_at_once_and_the_draft_is_not_drawn_over_it() -> None:
    conv = new_conversation()
    extract = turn("What causes gout?", "Gout is caused by uric acid [1].")
    final = turn("What causes gout?", "Uric acid crystals cause gout [1].")
    shown = [
        view[0][-1]["content"]
        for view in converse(StreamedServices(extract, final), conv, "q", [], "standard", True)
    ]  # type: ignore[arg-type]
    assert "cg-extract" in shown[1] and "Gout is caused by uric acid" in shown[1]
    assert not any("Zebra" in s for s in shown)
    assert "Uric acid crystals cause gout" in shown[-1] and "cg-extract" not in shown[-1]
    assert [m["role"] for m in conv.messages] == ["user", "assistant"]
    assert "What causes gout?" in conv.messages[0]["content"]  # shown back as the guardrails redacted it


class Asked:
    """Services that record the messages the chat passes on (and fail them)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def stream(self, message: str, history: object, level: str, conversation_id: str) -> Iterator[object]:
        self.messages.append(message)
        yield Failure("The answer service cannot be reached right now.")


def test_the_chat_s_size_limit_is_the_one_it_is_given() -> None:
    question = "What is asthma? " * 312  # 4,992 characters
    for limit, passed in ((4_000, False), (6_000, True)):
        services, conv = Asked(), new_conversation()
        list(ask_handler(lambda s=services: s, limit)(question, "standard", conv))  # type: ignore[misc]
        assert bool(services.messages) is passed
        if not passed:
            assert "(4,991 characters)" in conv.messages[-1]["content"]
            assert "under 4,000 characters" in conv.messages[-1]["content"]
