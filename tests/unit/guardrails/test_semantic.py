"""The semantic layer's decision rule (threshold and margin over benign exemplars), with a small
fake embedder; the real model and bank are exercised in tests/integration/guardrails/test_semantic.py."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from careguide.guardrails.semantic import DEFAULT_BANK, FAMILIES, ExemplarBank, SemanticCheck
from careguide.guardrails.types import CheckContext

AXES = ("fever", "kill", "bomb", "weather")


class WordEmbedder:
    """One axis per key word: texts sharing key words are similar."""

    name = "fake-words"
    dimension = len(AXES)

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        return np.array([[float(a in t) + 0.01 for a in AXES] for t in texts], dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]


@pytest.fixture
def bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ExemplarBank:
    monkeypatch.setenv("CAREGUIDE_CACHE_DIR", str(tmp_path))
    return ExemplarBank(
        WordEmbedder(),
        [("emergency", "meningitis"), ("harmful", "weapons"), ("benign", "")],
        ["fever", "bomb", "weather"],
    )


def layer(bank: ExemplarBank, family: str, threshold: float, margin: float) -> SemanticCheck:
    return SemanticCheck(
        f"semantic_{family}", family, bank, threshold, margin, "escalate", lambda c: f"WHY {c}"
    )


def test_a_message_near_a_family_exemplar_is_escalated_with_the_reason(bank):
    decision = layer(bank, "emergency", 0.9, 0.1).check("fever", CheckContext())
    assert decision.action == "escalate" and decision.message == "WHY meningitis"
    assert decision.checks == ("semantic_emergency",) and "meningitis" in decision.reasons[0]


@pytest.mark.parametrize(
    ("text", "threshold", "margin", "action"),
    [
        ("weather", 0.5, 0.0, "allow"),  # nearest exemplar is benign
        ("fever weather", 0.5, 0.1, "allow"),  # as close to benign as to the emergency: no margin
        ("fever weather", 0.5, 0.0, "escalate"),
        ("fever bomb", 0.9, 0.0, "allow"),  # 0.71 similar: below the threshold
    ],
)
def test_threshold_and_margin_decide(bank, text, threshold, margin, action):
    assert layer(bank, "emergency", threshold, margin).check(text, CheckContext()).action == action


def test_the_message_is_embedded_once_for_every_layer(bank):
    embedder = bank.embedder
    assert isinstance(embedder, WordEmbedder)
    _ = bank.vectors
    before = embedder.calls
    for family in ("emergency", "harmful"):
        layer(bank, family, 0.5, 0.0).check("bomb", CheckContext())
    assert embedder.calls == before + 1


def test_bank_vectors_are_cached_on_disk(bank, tmp_path):
    _ = bank.vectors
    assert list((tmp_path / "exemplars").glob("*.npy"))


def test_the_shipped_bank_has_every_family_and_benign_contrasts():
    loaded = ExemplarBank.load(WordEmbedder(), DEFAULT_BANK)
    families = {f for f, _ in loaded.labels}
    assert set(FAMILIES) | {"benign"} == families
    assert sum(f == "benign" for f, _ in loaded.labels) >= 50
    assert len(set(loaded.texts)) == len(loaded.texts)


@pytest.mark.parametrize(
    ("text", "general"),
    [
        ("What are the symptoms of a heart attack?", True),
        ("how is meningitis treated", True),
        ("what should I do, my son is floppy and hard to wake", False),
        ("my dad has crushing chest pain", False),
    ],
)
def test_questions_that_name_no_one_are_education(text, general):
    from careguide.guardrails.semantic import general_question

    assert general_question(text) is general


@pytest.mark.parametrize(("probability", "action"), [(0.1, "allow"), (0.3, "escalate")])
def test_a_gated_layer_needs_its_classifier_to_agree(bank, probability, action):
    gated = SemanticCheck(
        "semantic_emergency",
        "emergency",
        bank,
        0.5,
        0.0,
        "escalate",
        lambda c: f"WHY {c}",
        gate=lambda text: probability,
        gate_threshold=0.2,
    )
    decision = gated.check("fever", CheckContext())
    assert decision.action == action
    if action == "escalate":
        assert f"classifier p={probability:.2f}" in decision.reasons[0]
