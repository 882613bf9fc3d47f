"""Calibrated classifiers over the sentence embedding careguide already computes, one per family.

Each is a logistic regression (384 weights and a bias in ``data/<family>_model.json``) fitted on
data whose licence allows shipping what is learnt from it (see docs/guardrails.md), with the
probability at which it decides chosen on the tuning parts of the public sets for a stated false
alarm budget (``semantic.<family>_model.threshold`` in configs/guardrails.yaml). The exemplar bank
still names the category, so an emergency reply says why ("A fever with a stiff neck ...").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from careguide.config import ConfigError
from careguide.guardrails.semantic import ExemplarBank, general_question, unit_vectors
from careguide.guardrails.types import Action, CheckContext, GuardDecision, allow

DATA = Path(__file__).parent / "data"
MODEL_FILES = {"emergency": DATA / "emergency_model.json", "crisis": DATA / "crisis_model.json"}
SCOPE_MODEL = DATA / "scope_model.json"
"""Is a message about health at all (``checks.scope_model``; eval/scope_train.py)."""


@dataclass(frozen=True)
class LinearModel:
    """Logistic regression on L2-normalised sentence embeddings."""

    weights: np.ndarray
    bias: float
    embedding_model: str
    record: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            weights = np.asarray(record["weights"], dtype=np.float32)
            bias = float(record["bias"])
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(
                f"The classifier weights at {path} cannot be read ({exc}); restore the file from the "
                f"repository or switch its check off in configs/guardrails.yaml."
            ) from None
        return cls(weights, bias, str(record.get("embedding_model", "")), record)

    def probability(self, vectors: np.ndarray) -> np.ndarray:
        logits = np.asarray(vectors, dtype=np.float32) @ self.weights + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32)

    def to_json(self) -> dict[str, Any]:
        return {**self.record, "weights": [round(float(w), 6) for w in self.weights], "bias": self.bias}


@dataclass(frozen=True)
class ClassifierCheck:
    """A family's classifier as a guardrail layer: decide at ``threshold`` probability."""

    name: str
    family: str
    model: LinearModel
    threshold: float
    action: Action
    reply: Callable[[str], str]
    """The fixed reply for a category (emergencies say why)."""
    bank: ExemplarBank
    category_prefix: str
    default_category: str
    skip_general_questions: bool = False
    """Emergencies happen to someone: a question that names no one is education."""

    def probability(self, texts: Sequence[str]) -> np.ndarray:
        """The family's probability per text (one text reuses the bank's memo of its vector)."""
        if len(texts) == 1:
            return self.model.probability(self.bank.embed(texts[0])[None, :])
        return self.model.probability(unit_vectors(np.asarray(self.bank.embedder.embed(list(texts)))))

    def check(self, text: str, context: CheckContext) -> GuardDecision:
        if not text.strip() or (self.skip_general_questions and general_question(text)):
            return allow(text)
        return self.decide(text, float(self.probability([text])[0]), lambda: self.bank.embed(text))

    def decide(
        self, text: str, probability: float, vector: Callable[[], np.ndarray], where: str = ""
    ) -> GuardDecision:
        """Allow below the threshold; otherwise act, with the category of the exemplar nearest to
        ``vector()`` (the vector of what the probability was read on, ``where`` in the reason)."""
        if probability < self.threshold:
            return allow(text)
        _, category, _ = self.bank.nearest(vector(), self.family)
        category = category or self.default_category
        return GuardDecision(
            action=self.action,
            redacted=text,
            reasons=(
                f"{self.name}: {self.family} classifier p={probability:.2f}{where} "
                f"(threshold {self.threshold:.2f}; nearest: {category.replace('_', ' ')})",
            ),
            checks=(self.name,),
            message=self.reply(category),
            category=f"{self.category_prefix}{category}",
        )
