"""The general harm head: reason categories, sentence-max scoring, thresholds by health word, config."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest
from pydantic import ValidationError

from careguide.guardrails import GENERAL_HARM_WEIGHTS, HARM_CATEGORIES, CheckContext, HarmHead, load_policy
from careguide.guardrails.harm_classifier import (
    CRISIS_CATEGORIES,
    harm_gate,
    harm_head_layers,
    reason_id,
    sentences,
)
from careguide.guardrails.settings import HarmHeadLayer

# Three dimensions: harm signal, "weapon" cue, "self-harm" cue.
CUES = {
    "plainly harmful": (3.0, 1.0, 0.0),
    "somewhat harmful": (0.5, 1.0, 0.0),
    "hurt myself": (3.0, 0.0, 1.0),
}


class CueEmbedder:
    """A vector per text from the cue words it contains (the first cue found wins); in a text of
    more than eight words the harm signal is diluted in proportion, as in a real embedding."""

    name = "cues"
    dimension = 3

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = []
        for text in texts:
            harm, *rest = next((v for cue, v in CUES.items() if cue in text.lower()), (-3.0, 0.0, 0.0))
            rows.append((harm * min(1.0, 8 / len(text.split() or [""])), *rest))
        return np.asarray(rows, dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]


def head(threshold: float = 0.8, outside_scope: float = 0.95, **kwargs: object) -> HarmHead:
    """p = sigmoid(2 * harm): plainly harmful 0.998, somewhat harmful 0.73, anything else 0.0025."""
    return HarmHead(
        weights=np.array([2.0, 0.0, 0.0], dtype=np.float32),
        bias=0.0,
        categories=("weapons", "self_harm"),
        category_weights=np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32),
        category_bias=np.zeros(2, dtype=np.float32),
        embedder=CueEmbedder(),
        threshold=threshold,
        outside_scope=outside_scope,
        refusal="REFUSAL",
        crisis="CRISIS 988",
        about_health=lambda text: "doctor" in text.lower(),
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("category", "reason"),
    [
        ("weapons", "harmful_request.weapons"),
        ("fraud_scams", "harmful_request.fraud_scams"),
        ("child_safety", "harmful_request.child_safety"),
        ("self_harm", "self_harm.request"),
        ("eating_disorder", "self_harm.eating_disorder"),
    ],
)
def test_each_category_has_its_reason_id(category, reason):
    assert reason_id(category) == reason


def test_the_categories_are_thirteen_and_the_crisis_ones_among_them():
    assert len(HARM_CATEGORIES) == len(set(HARM_CATEGORIES)) == 13
    assert set(CRISIS_CATEGORIES) <= set(HARM_CATEGORIES)


def test_the_committed_weights_know_every_category():
    record = json.loads(GENERAL_HARM_WEIGHTS.read_text(encoding="utf-8"))
    assert sorted(record["categories"]) == sorted(HARM_CATEGORIES)
    assert len(record["category_weights"]) == len(record["categories"])
    assert len(record["weights"]) == len(record["category_weights"][0]) == 384


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One sentence only", ["One sentence only"]),
        ("First one here. Second one there! Third?", ["First one here.", "Second one there! Third?"]),
        ("Hi. Ok. Then the real question comes", ["Hi. Ok. Then the real question comes"]),
        ("Line one has words\nline two has words", ["Line one has words", "line two has words"]),
        (
            'He said "stop it now." Then it was quiet here',
            ['He said "stop it now."', "Then it was quiet here"],
        ),
    ],
)
def test_sentences_join_short_fragments_to_the_next(text, expected):
    assert sentences(text) == expected


def test_sentences_beyond_the_limit_are_scored_together():
    text = " ".join(f"This is sentence number {i}." for i in range(20))
    parts = sentences(text, limit=5)
    assert len(parts) == 5
    assert parts[-1].startswith("This is sentence number 4.") and parts[-1].endswith("number 19.")


def test_a_harmful_sentence_inside_a_long_message_decides():
    check = head()
    text = (
        "I have been reading a lot about history lately. The library near me is great. "
        "Tell me something plainly harmful about building things. Thanks for your time today."
    )
    assert float(check.probabilities(check.embedder.embed([text]))[0]) < 0.95  # diluted whole
    score = check.score(text)
    assert score.sentence == 3 and score.probability > 0.99
    decision = check.check(text, CheckContext())
    assert decision.action == "refuse" and "sentence 3" in decision.reasons[0]


def test_a_single_sentence_is_embedded_once():
    check = head()
    check.score("a plain question about the weather")
    assert check.embedder.calls == [["a plain question about the weather"]]  # type: ignore[attr-defined]


def test_the_threshold_depends_on_a_health_word():
    check = head(threshold=0.7, outside_scope=0.95)
    with_health = check.check("ask my doctor something somewhat harmful", CheckContext())
    without = check.check("something somewhat harmful", CheckContext())
    assert with_health.action == "refuse" and "threshold 0.70" in with_health.reasons[0]
    assert without.action == "allow"


def test_a_weapon_request_is_refused_with_its_category():
    decision = head().check("plainly harmful request", CheckContext())
    assert decision.action == "refuse"
    assert decision.category == "harmful_request.weapons"
    assert decision.message == "REFUSAL" and decision.checks == ("harm_general",)


def test_a_self_harm_request_gets_the_crisis_reply():
    decision = head().check("how do I hurt myself", CheckContext())
    assert decision.action == "escalate"
    assert decision.category == "self_harm.request"
    assert "988" in decision.message


def test_a_self_harm_category_needs_the_crisis_classifier_when_gated():
    gated = head(crisis_gate=lambda text: 0.1, crisis_gate_threshold=0.3)
    assert gated.check("how do I hurt myself", CheckContext()).action == "allow"
    agreed = head(crisis_gate=lambda text: 0.9, crisis_gate_threshold=0.3)
    assert agreed.check("how do I hurt myself", CheckContext()).action == "escalate"


def test_the_crisis_gate_leaves_other_categories_alone():
    gated = head(crisis_gate=lambda text: 0.0, crisis_gate_threshold=0.3)
    assert gated.check("plainly harmful", CheckContext()).action == "refuse"


@pytest.mark.parametrize("text", ["", "   ", "a harmless question"])
def test_empty_and_harmless_messages_are_allowed(text):
    assert head().check(text, CheckContext()).action == "allow"


def test_unknown_categories_in_the_weights_are_refused(tmp_path):
    path = tmp_path / "weights.json"
    path.write_text(
        json.dumps(
            {
                "weights": [0.0] * 3,
                "bias": 0.0,
                "categories": ["weapons", "astrology"],
                "category_weights": [[0.0] * 3, [0.0] * 3],
                "category_bias": [0.0, 0.0],
            }
        )
    )
    with pytest.raises(ValueError, match="astrology"):
        HarmHead.load(path, CueEmbedder(), "", "", 0.8, 0.95)


def test_the_policy_has_both_thresholds():
    layer = load_policy().semantic.harm_general
    assert 0.5 < layer.threshold < layer.outside_scope < 1.0
    assert layer.max_sentences >= 1


def test_the_policy_thresholds_are_the_ones_chosen_with_the_committed_weights():
    # Retraining the head moves its probabilities: thresholds chosen for other weights would spend
    # a different false-refusal budget than the one configs/guardrails.yaml states.
    record = json.loads(GENERAL_HARM_WEIGHTS.read_text(encoding="utf-8"))
    layer = load_policy().semantic.harm_general
    assert (layer.threshold, layer.outside_scope) == (record["threshold"], record["outside_scope"])


def test_the_harmful_exemplar_layer_needs_at_least_even_odds_from_the_head():
    # Below even odds the nearest harmful exemplar alone decided, and look-alikes were refused.
    assert load_policy().semantic.harmful.gate >= 0.5


@pytest.mark.parametrize(
    "values",
    [{"threshold": 1.2}, {"outside_scope": -0.1}, {"max_sentences": 0}, {"margin": 0.1}],
)
def test_the_harm_head_settings_are_validated(values):
    with pytest.raises(ValidationError):
        HarmHeadLayer(**values)


def test_the_layer_follows_the_policy_switch(tmp_path):
    policy = load_policy()
    embedder = CueEmbedder()
    assert [c.name for _, c in harm_head_layers(policy, embedder, lambda t: True)] == ["harm_general"]
    off = policy.model_copy(update={"checks": policy.checks.model_copy(update={"harm_general": False})})
    assert harm_head_layers(off, embedder, lambda t: True) == []
    assert harm_head_layers(policy, embedder, lambda t: True, path=tmp_path / "missing.json") == []


def test_the_layer_reads_its_thresholds_from_the_policy():
    policy = load_policy()
    layer = policy.semantic.harm_general.model_copy(update={"threshold": 0.61, "outside_scope": 0.97})
    semantic = policy.semantic.model_copy(update={"harm_general": layer})
    custom = policy.model_copy(update={"semantic": semantic})
    (_, check), *_ = harm_head_layers(custom, CueEmbedder(), lambda t: True)
    assert isinstance(check, HarmHead)
    assert (check.threshold, check.outside_scope) == (0.61, 0.97)
    assert "988" in check.crisis


def test_the_harmful_exemplar_layer_is_gated_by_the_head_and_the_score_is_reused():
    check = head()
    gate = harm_gate([(True, check)])
    assert gate is not None and gate("plainly harmful request") > 0.99
    calls = len(check.embedder.calls)  # type: ignore[attr-defined]
    check.check("plainly harmful request", CheckContext())
    assert len(check.embedder.calls) == calls  # type: ignore[attr-defined]
    assert harm_gate([]) is None


def test_sentences_count_only_when_the_whole_message_reaches_the_floor():
    text = (
        "I have been reading a lot about history lately. The library near me is great. "
        "Tell me something plainly harmful about building things. Thanks for your time today."
    )
    assert head(sentence_floor=0.5).score(text).sentence == 3
    assert head(sentence_floor=0.95).score(text).sentence == 0
