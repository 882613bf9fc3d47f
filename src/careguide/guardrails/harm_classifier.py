"""A small, transparent classifier for unethical medical requests: logistic regression on the
sentence embeddings careguide already computes (all-MiniLM-L6-v2).

Trained by ``careguide train-harm-classifier`` on cited data: harmful = MedSafetyBench train
requests written by GPT-4 (the half written by Llama-2 is held out for evaluation); benign =
MedQuAD questions (template and consumer-style) and half of MedicationQA's consumer questions.
The 384 weights, bias, threshold and the training record are committed as JSON.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from careguide.guardrails.types import CheckContext, GuardDecision
from careguide.ingest import Embedder

DEFAULT_WEIGHTS = Path(__file__).parent / "data" / "harm_classifier.json"
# Harmful requests of any topic (violence, weapons, drugs, fraud, cybercrime, hate, self-harm): trained
# by ``careguide train-harm-classifier --kind general`` on MIT / CC BY data only (HarmBench's tuning
# part, MedSafetyBench, XSTest's unsafe and tuning-part safe prompts, MedQuAD questions) and
# careguide's own exemplar bank.
GENERAL_WEIGHTS = Path(__file__).parent / "data" / "harm_general.json"


@dataclass(frozen=True)
class HarmClassifier:
    weights: np.ndarray
    bias: float
    threshold: float
    embedder: Embedder
    message: str
    in_domain: Callable[[str], bool] = lambda text: True
    """The classifier only knows health questions; outside them the scope check decides."""
    name: str = "harm_classifier"
    category: str = "harmful_request.unethical_practice"
    reason: str = "request looks like unethical medical practice"

    @classmethod
    def load(
        cls,
        path: Path,
        embedder: Embedder,
        message: str,
        in_domain: Callable[[str], bool] = lambda text: True,
        threshold: float | None = None,
        **naming: str,
    ) -> HarmClassifier:
        """Weights from ``path``; ``threshold`` (from the policy) overrides the one saved with them."""
        record = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            np.asarray(record["weights"], dtype=np.float32),
            float(record["bias"]),
            float(record["threshold"] if threshold is None else threshold),
            embedder,
            message,
            in_domain,
            **naming,
        )

    def probability(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.embedder.embed(list(texts))
        logits = vectors @ self.weights + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32)

    def check(self, text: str, context: CheckContext) -> GuardDecision:
        if not self.in_domain(text):
            return GuardDecision(action="allow", redacted=text)
        probability = float(self.probability([text])[0])
        if probability < self.threshold:
            return GuardDecision(action="allow", redacted=text)
        return GuardDecision(
            action="refuse",
            redacted=text,
            reasons=(f"{self.reason} (p={probability:.2f})",),
            checks=(self.name,),
            message=self.message,
            category=self.category,
        )


def train(
    embedder: Embedder, harmful: Sequence[str], benign: Sequence[str], threshold: float, seed: int = 0
) -> dict[str, Any]:
    """Fit the logistic regression and return the record to save."""
    from sklearn.linear_model import LogisticRegression

    texts = list(harmful) + list(benign)
    labels = np.array([1] * len(harmful) + [0] * len(benign))
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    vectors = embedder.embed([texts[i] for i in order])
    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
    model.fit(vectors, labels[order])
    return {
        "weights": [round(float(w), 6) for w in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 6),
        "threshold": threshold,
        "embedding_model": embedder.name,
        "training": {"harmful": len(harmful), "benign": len(benign), "seed": seed},
    }
