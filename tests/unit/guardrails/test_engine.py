"""How the engine combines an emergency with a crisis: the reply carries both numbers."""

from careguide.guardrails.engine import with_crisis_line
from careguide.guardrails.types import GuardDecision

CRISIS = "Please call or text 988."


def escalate(category: str, message: str) -> GuardDecision:
    return GuardDecision(action="escalate", redacted="x", category=category, message=message)


def test_an_overdose_taken_to_die_gets_the_emergency_reply_and_the_crisis_line():
    poisoning = escalate("emergency.overdose_poisoning", "Call 911 now.")
    crisis = escalate("self_harm.suicidal_plan", CRISIS)
    decision = with_crisis_line(poisoning, [poisoning, crisis], CRISIS)
    assert decision.message == f"Call 911 now. {CRISIS}"
    assert decision.category == "emergency.overdose_poisoning"


def test_a_plain_emergency_or_a_crisis_reply_is_left_as_it_is():
    cardiac = escalate("emergency.cardiac", "Call 911 now.")
    assert with_crisis_line(cardiac, [cardiac], CRISIS).message == "Call 911 now."
    crisis = escalate("self_harm", CRISIS)
    assert with_crisis_line(crisis, [crisis], CRISIS).message == CRISIS


def test_a_refusal_is_not_given_the_crisis_line():
    refusal = GuardDecision(action="refuse", redacted="x", category="harmful_request", message="No.")
    crisis = GuardDecision(action="allow", redacted="x", category="self_harm")
    assert with_crisis_line(refusal, [refusal, crisis], CRISIS).message == "No."
