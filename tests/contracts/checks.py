"""The contract of ``guardrails.Check``: text in, one ``GuardDecision`` out."""

from __future__ import annotations

from typing import get_args

import pytest

from careguide.guardrails import Action, Check, CheckContext, GuardDecision

ACTIONS = frozenset(get_args(Action))


class CheckContract:
    """Subclass with ``make_check`` and a ``trigger`` message the check acts on (``trigger_action``).

    A check that only adds a notice (action ``allow``) sets ``trigger_action = "allow"``.
    """

    benign = "What are the symptoms of asthma?"
    trigger: str
    trigger_action: Action

    def make_check(self) -> Check:
        raise NotImplementedError

    @pytest.fixture
    def check(self) -> Check:
        return self.make_check()

    def test_has_a_stable_name(self, check: Check) -> None:
        assert isinstance(check.name, str) and check.name.strip()
        assert check.name == check.name == self.make_check().name

    def test_a_benign_message_is_allowed_unchanged(self, check: Check) -> None:
        decision = check.check(self.benign, CheckContext())
        assert isinstance(decision, GuardDecision)
        assert decision.action == "allow" and decision.redacted == self.benign
        assert not decision.message and not decision.blocks_model

    def test_an_empty_message_is_allowed(self, check: Check) -> None:
        decision = check.check("", CheckContext())
        assert decision.action == "allow" and decision.redacted == ""

    def test_the_trigger_is_acted_on_and_explained(self, check: Check) -> None:
        decision = check.check(self.trigger, CheckContext())
        assert decision.action in ACTIONS and decision.action == self.trigger_action
        if decision.action == "allow":
            assert decision.notice, "a check that allows its trigger must add a notice"
            return
        assert check.name in decision.checks
        assert decision.reasons and all(isinstance(r, str) and r for r in decision.reasons)
        assert decision.category
        if decision.blocks_model:
            assert decision.message.strip(), "a refusal or escalation carries its fixed reply"

    def test_reasons_and_spans_never_hold_the_message(self, check: Check) -> None:
        decision = check.check(self.trigger, CheckContext())
        assert self.trigger not in " ".join((*decision.reasons, decision.category))
        for span in decision.spans:
            assert 0 <= span.start <= span.end <= len(self.trigger) and 0.0 <= span.score <= 1.0

    def test_decisions_are_deterministic(self, check: Check) -> None:
        for text in (self.benign, self.trigger):
            assert check.check(text, CheckContext()) == check.check(text, CheckContext())

    def test_the_context_is_optional_data(self, check: Check) -> None:
        context = CheckContext(history=("How is asthma treated?",), passages=("Asthma is treated.",))
        decision = check.check(self.trigger, context)
        assert isinstance(decision, GuardDecision) and decision.action in ACTIONS
        assert context == CheckContext(history=("How is asthma treated?",), passages=("Asthma is treated.",))
