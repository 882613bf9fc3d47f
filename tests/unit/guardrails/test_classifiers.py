"""The calibrated classifier layer's decision rule with a small fake embedder; the real model and
the committed weights are exercised in tests/integration/guardrails/test_classifiers.py."""

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from careguide.config import ConfigError
from careguide.guardrails.classifiers import ClassifierCheck, LinearModel
from careguide.guardrails.semantic import ExemplarBank
from careguide.guardrails.types import CheckContext

AXES = ("fever", "neck", "weather")


class WordEmbedder:
    name = "fake-words"
    dimension = len(AXES)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([[float(a in t) + 0.01 for a in AXES] for t in texts], dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]


@pytest.fixture
def bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ExemplarBank:
    monkeypatch.setenv("CAREGUIDE_CACHE_DIR", str(tmp_path))
    return ExemplarBank(
        WordEmbedder(), [("emergency", "meningitis"), ("benign", "")], ["fever neck", "weather"]
    )


def model(weights: list[float], bias: float) -> LinearModel:
    return LinearModel(np.asarray(weights, dtype=np.float32), bias, "fake-words", {})


def layer(bank: ExemplarBank, threshold: float, skip: bool = False) -> ClassifierCheck:
    return ClassifierCheck(
        "emergency_model",
        "emergency",
        model([4.0, 4.0, -4.0], -2.0),
        threshold,
        "escalate",
        lambda category: f"WHY {category}",
        bank,
        category_prefix="emergency.",
        default_category="symptoms",
        skip_general_questions=skip,
    )


@pytest.mark.parametrize(
    ("text", "threshold", "action"),
    [
        ("fever and a stiff neck", 0.5, "escalate"),  # p = sigmoid(4*0.71 + 4*0.71 - 2) ~ 0.98
        ("fever and a stiff neck", 0.99, "allow"),  # below a stricter threshold
        ("the weather today", 0.5, "allow"),
        ("fever", 0.5, "escalate"),  # one red flag alone is enough at this threshold
        ("fever", 0.9, "allow"),
    ],
)
def test_the_layer_decides_at_its_threshold(bank, text, threshold, action):
    assert layer(bank, threshold).check(text, CheckContext()).action == action


def test_a_decision_names_the_layer_the_probability_and_the_nearest_category(bank):
    decision = layer(bank, 0.5).check("my son has a fever and a sore neck", CheckContext())
    assert decision.checks == ("emergency_model",)
    assert decision.category == "emergency.meningitis" and decision.message == "WHY meningitis"
    assert "p=0.9" in decision.reasons[0] and "threshold 0.50" in decision.reasons[0]


def test_a_general_question_that_names_no_one_is_left_to_education(bank):
    assert (
        layer(bank, 0.5, skip=True).check("what causes fever and a stiff neck?", CheckContext()).action
        == "allow"
    )
    assert (
        layer(bank, 0.5, skip=True).check("why does my fever come with a stiff neck?", CheckContext()).action
        == "escalate"
    )


def test_probabilities_for_many_texts_match_one_at_a_time(bank):
    check = layer(bank, 0.5)
    texts = ["fever", "weather", "fever neck"]
    together = check.probability(texts)
    alone = [float(check.probability([t])[0]) for t in texts]
    assert np.allclose(together, alone, atol=1e-5)


def test_weights_round_trip_through_json(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"weights": [0.5, -1.0], "bias": 0.25, "embedding_model": "x"}))
    loaded = LinearModel.load(path)
    assert loaded.bias == 0.25 and loaded.weights.tolist() == [0.5, -1.0]
    assert LinearModel.load(path).to_json()["weights"] == [0.5, -1.0]


def test_unreadable_weights_name_the_file_and_the_fix(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=r"broken\.json.*switch its check off"):
        LinearModel.load(path)
