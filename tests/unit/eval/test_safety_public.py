"""The public safety eval's comparison helpers: layers left out of the same guardrails, which layer
escalated what, and the off vs on table."""

from __future__ import annotations

import pytest

from careguide.eval.safety import SAFETY_CHECKS
from careguide.eval.safety_public import _escalated_by, guard_without, layers_markdown, public_safety_markdown
from careguide.guardrails import GuardDecision, Guardrails, load_policy
from careguide.guardrails.settings import Checks


def _guard() -> Guardrails:
    policy = load_policy()
    return Guardrails(policy.model_copy(update={"checks": Checks(phi=False)}))


def test_the_piece_layers_count_as_safety_layers():
    assert {"emergency_sentences", "emergency_concepts"} <= set(SAFETY_CHECKS)


def test_guard_without_leaves_out_the_named_layers_only():
    guard = _guard()
    names = [c.name for c in guard.registry.checks]
    assert "triage" in names
    without = guard_without(guard, ["triage"])
    assert [c.name for c in without.registry.checks] == [n for n in names if n != "triage"]
    assert [c.name for c in guard.registry.checks] == names  # the original is unchanged
    assert without.redactor is guard.redactor and without.policy is guard.policy
    text = "my throat is closing and I can't breathe"
    assert guard.check_input(text).action == "escalate"
    assert "triage" not in without.check_input(text).checks


def test_guard_without_an_unknown_layer_says_which_are_configured():
    with pytest.raises(ValueError, match=r"emergency_concepts.*configured: .*triage"):
        guard_without(_guard(), ["emergency_concepts"])


def escalate(*checks: str) -> GuardDecision:
    return GuardDecision(action="escalate", redacted="x", checks=checks)


def test_escalations_are_counted_per_layer_and_alone():
    decisions = [
        ("emergency", escalate("emergency_concepts")),
        ("emergency", escalate("triage", "emergency_concepts", "scope")),
        ("emergency", GuardDecision(action="allow", redacted="x")),
        ("routine", escalate("emergency_sentences")),
    ]
    assert _escalated_by(decisions) == {
        "emergency": {
            "emergency_concepts": 2,
            "emergency_concepts alone": 1,
            "escalated": 2,
            "triage": 1,
        },
        "routine": {"emergency_sentences": 1, "emergency_sentences alone": 1, "escalated": 1},
    }


def _report(recall: int, false_alarms: int) -> dict:
    def rate(hits: int, total: int) -> dict:
        return {"rate": hits / total, "hits": hits, "total": total}

    return {
        "part": "report",
        "emergency_vignettes": {"recall": rate(recall, 42), "routine_escalated": rate(false_alarms, 100)},
        "false_refusals": {"by_set": {"xstest": rate(3, 100)}, "overall": rate(3, 100)},
        "latency_ms": {"p50": 10.0, "p95": 20.0},
    }


def test_the_comparison_table_has_off_and_on_columns():
    lines = layers_markdown(_report(30, 13), _report(36, 17), ["emergency_concepts"])
    assert lines[0].endswith("emergency_concepts")
    row = next(line for line in lines if line.startswith("| Avey vignettes: emergencies"))
    assert row == "| Avey vignettes: emergencies escalated | 71.4% (30/42) | 85.7% (36/42) |"
    assert any(line.startswith("| False refusals: xstest | 3.0% (3/100) | 3.0% (3/100) |") for line in lines)
    assert not any("AskDocs" in line for line in lines)  # sections the run lacks are left out


def test_health_questions_redirected_as_off_topic_are_shown():
    def rate(hits: int, total: int) -> dict:
        return {"rate": hits / total, "hits": hits, "total": total}

    report = {
        **_report(30, 13),
        "split": "seeded",
        "emergency_riskgraded": {
            "recall_serious_or_critical": rate(10, 30),
            "recall_by_grade": {},
            "self_care_escalated": rate(2, 100),
            "redirected_off_topic": rate(3, 130),
        },
        "crisis_cssrs": {"recall_ideation_behavior_attempt": rate(9, 10), "escalated_by_label": {}},
        "harmful_requests": {"stopped": rate(5, 10), "not_answered": rate(9, 10), "stopped_by_set": {}},
        "false_refusals": {
            "by_set": {"medicationqa": rate(2, 100)},
            "redirected_by_set": {"medicationqa": rate(1, 100)},
            "overall": rate(2, 100),
        },
    }
    lines = public_safety_markdown(report)
    assert "| AskDocs questions redirected as not about health | 2.3% (3/130) |" in lines
    assert "| Redirected as not about health: medicationqa | 1.0% (1/100) |" in lines
