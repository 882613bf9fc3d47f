"""The semantic layer's decision rule (threshold and margin over benign exemplars), with a small
fake embedder; the real model and bank are exercised in tests/integration/guardrails/test_semantic.py."""

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from careguide.guardrails.semantic import (
    DEFAULT_BANK,
    FAMILIES,
    ExemplarBank,
    LastMessageEmbedder,
    SemanticCheck,
    cached_unit_vectors,
)
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


class TextEmbedder:
    """A vector that names its text (its length on one axis), so another message's vector shows."""

    name = "fake-lengths"
    dimension = 2

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [1 for _ in texts]


class Interleaved:
    """A memo slot where another question, answered on another thread, stores its own message's
    vector just before the ``at``-th read: the worst moment a parallel question can pick."""

    def __init__(self, attribute: str, at: int, other: Callable[[object], object]) -> None:
        self.attribute, self.at, self.other, self.reads = attribute, at, other, 0

    def __get__(self, owner: object, kind: type | None = None) -> object:
        if owner is None:
            return self
        self.reads += 1
        if self.reads == self.at:
            thread = threading.Thread(target=self.other, args=(owner,))
            thread.start()
            thread.join()
        return owner.__dict__.get(self.attribute)

    def __set__(self, owner: object, value: object) -> None:
        owner.__dict__[self.attribute] = value


@pytest.mark.parametrize("at", [1, 2, 3])
@pytest.mark.parametrize("cached", [False, True])
def test_a_parallel_question_never_gets_another_message_vector(at, cached):
    class Embedder(LastMessageEmbedder):
        _last = Interleaved("_slot", at, lambda embedder: embedder.embed(["another message"]))  # type: ignore[arg-type]

    embedder = Embedder(TextEmbedder())
    if cached:
        embedder.embed(["mine"])
    Embedder._last.reads = 0  # type: ignore[attr-defined]
    assert embedder.embed(["mine"])[0][0] == len("mine")


@pytest.mark.parametrize("at", [1, 2, 3])
@pytest.mark.parametrize("cached", [False, True])
def test_the_bank_memo_never_gives_a_parallel_question_another_message_vector(
    at, cached, tmp_path, monkeypatch
):
    monkeypatch.setenv("CAREGUIDE_CACHE_DIR", str(tmp_path))

    class Bank(ExemplarBank):
        _memo = Interleaved("_slot", at, lambda bank: bank.embed("another message"))  # type: ignore[arg-type,assignment]

    bank = Bank(TextEmbedder(), [("benign", "")], ["x"])
    if cached:
        bank.embed("mine")
    Bank._memo.reads = 0  # type: ignore[attr-defined]
    expected = len("mine") / np.hypot(len("mine"), 1.0)
    assert np.isclose(bank.embed("mine")[0], expected)


class CountingEmbedder(TextEmbedder):
    """``TextEmbedder`` that records every call's texts."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return super().embed(texts)


def test_the_pieces_layers_name_are_embedded_in_one_call_with_the_message():
    inner = CountingEmbedder()
    embedder = LastMessageEmbedder(inner)
    embedder.add_pieces(lambda text: text.split(". "))
    embedder.add_pieces(lambda text: [text.upper()])
    message = "fever. stiff neck"
    assert embedder.embed([message])[0][0] == len(message)
    assert inner.calls == [[message], ["fever", "stiff neck", message.upper()]]
    # later requests for any of them, alone or together, are answered from that call
    pieces = embedder.embed(["stiff neck", message.upper(), "fever"])
    assert pieces[:, 0].tolist() == [len("stiff neck"), len(message), len("fever")]
    assert len(inner.calls) == 2
    # texts outside them go to the model; a new message is embedded anew, each piece once
    embedder.embed(["cough", "rash"])
    embedder.embed(["cough"])
    assert inner.calls[2:] == [["cough", "rash"], ["cough"], ["COUGH"]]


def test_a_piece_reader_added_twice_is_read_once():
    inner = CountingEmbedder()
    embedder = LastMessageEmbedder(inner)

    def split(text: str) -> list[str]:
        return [f"{text}!"]

    embedder.add_pieces(split)
    embedder.add_pieces(split)
    embedder.embed(["a"])
    assert inner.calls == [["a"], ["a!"]]


def test_a_bank_is_embedded_once_and_again_only_when_its_text_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREGUIDE_CACHE_DIR", str(tmp_path))
    inner = CountingEmbedder()
    first = cached_unit_vectors(inner, ["fever", "rash"], prefix="bank-")
    again = cached_unit_vectors(inner, ["fever", "rash"], prefix="bank-")
    assert inner.calls == [["fever", "rash"]] and np.array_equal(first, again)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0)
    cached_unit_vectors(inner, ["fever", "cough"], prefix="bank-")
    assert inner.calls[-1] == ["fever", "cough"]
    assert {p.name.split("-")[0] for p in (tmp_path / "exemplars").iterdir()} == {"bank"}
