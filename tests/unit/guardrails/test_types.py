"""Merged decisions name the layer that decided."""

from careguide.guardrails.types import GuardDecision, merge


def test_the_most_severe_layer_is_named_in_decided_by():
    phi = GuardDecision(action="redact", redacted="x", checks=("phi",))
    crisis = GuardDecision(
        action="escalate", redacted="x", checks=("semantic_crisis",), category="self_harm.x"
    )
    harm = GuardDecision(action="refuse", redacted="x", checks=("harm_general",))
    decision = merge([phi, harm, crisis], "x")
    assert decision.decided_by == "semantic_crisis"
    assert decision.to_json()["decided_by"] == "semantic_crisis"
    assert decision.checks == ("phi", "harm_general", "semantic_crisis")


def test_an_allowed_message_names_no_layer():
    assert merge([], "hello").to_json()["decided_by"] == ""
