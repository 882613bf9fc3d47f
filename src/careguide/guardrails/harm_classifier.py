"""A small, transparent classifier for unethical medical requests: logistic regression on the
sentence embeddings careguide already computes (all-MiniLM-L6-v2).

Trained by ``careguide train-harm-classifier`` on cited data: harmful = MedSafetyBench train
requests written by GPT-4 (the half written by Llama-2 is held out for evaluation); benign =
MedQuAD questions (template and consumer-style) and the tuning part of MedicationQA's consumer
questions (its report part is reported).
The 384 weights, bias, threshold and the training record are committed as JSON.

``HarmHead`` is the general harmful-request layer (``harm_general``): a harm probability and a
category head (which kind of harm) over the same embedding, scored per sentence with the highest
sentence deciding, so one harmful sentence inside a long message is not diluted by the rest.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from careguide.guardrails.settings import GuardrailsPolicy
from careguide.guardrails.types import Check, CheckContext, GuardDecision
from careguide.ingest import Embedder

DEFAULT_WEIGHTS = Path(__file__).parent / "data" / "harm_classifier.json"
# Harmful requests of any topic, with their category: trained by ``python -m careguide.eval.safety_train
# --family harm`` on the sources listed in src/careguide/eval/datasets/harm_requests.yaml (MIT / CC BY
# sets, tuning parts only, and careguide's own exemplar bank).
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


# The reasons a harmful request is refused, one category each (``harmful_request.<category>``); the
# self-harm ones get the crisis reply instead (``self_harm.request``, ``self_harm.eating_disorder``).
HARM_CATEGORIES = (
    "violence",
    "weapons",
    "drugs",
    "fraud_scams",
    "cybercrime",
    "child_safety",
    "hate_harassment",
    "sexual_content",
    "privacy",
    "misinformation",
    "dangerous_medical",
    "self_harm",
    "eating_disorder",
)
CRISIS_CATEGORIES = {"self_harm": "self_harm.request", "eating_disorder": "self_harm.eating_disorder"}


def reason_id(category: str) -> str:
    """The decision's category for a harm category: a crisis id for self-harm, else a refusal id."""
    return CRISIS_CATEGORIES.get(category, f"harmful_request.{category}")


_SENTENCE_END = re.compile(r"(?<=[.!?][\"')\]])\s+|(?<=[.!?])\s+|\s*\n+\s*")
_WORD = re.compile(r"\w+")


def sentences(text: str, limit: int = 12, min_words: int = 3) -> list[str]:
    """The message's sentences (a fragment under ``min_words`` words joins the next one), at most
    ``limit``: beyond it the rest is kept together as the last one."""
    parts = [p.strip() for p in _SENTENCE_END.split(text) if p and p.strip()]
    merged: list[str] = []
    carry = ""
    for part in parts:
        joined = f"{carry} {part}".strip()
        if len(_WORD.findall(joined)) < min_words:
            carry = joined
            continue
        merged.append(joined)
        carry = ""
    if carry:
        if merged:
            merged[-1] = f"{merged[-1]} {carry}"
        else:
            merged.append(carry)
    if len(merged) > limit:
        merged = [*merged[: limit - 1], " ".join(merged[limit - 1 :])]
    return merged


@dataclass(frozen=True)
class HarmScore:
    """The highest harm probability over the message and its sentences, and that sentence's category."""

    probability: float
    category: str
    sentence: int
    """Which sentence decided (0: the whole message, n: its n-th sentence)."""


@dataclass(frozen=True)
class HarmHead:
    """Harmful requests of any topic with their reason category, as one guardrail layer.

    ``weights``/``bias``: the harm probability (logistic regression); ``category_weights`` and
    ``category_bias``: a softmax over ``categories`` (which kind of harm), read only when the
    harm probability reaches the threshold. The threshold is ``threshold`` for a message the scope
    check lets through (a health word, or too short to judge) and ``outside_scope`` for the rest
    (the scope check already redirects those, so a refusal with a reason needs more certainty
    there). ``about_health`` is that test (the registry passes ``ScopeCheck.keeps``)."""

    weights: np.ndarray
    bias: float
    categories: tuple[str, ...]
    category_weights: np.ndarray
    category_bias: np.ndarray
    embedder: Embedder
    threshold: float
    outside_scope: float
    refusal: str
    crisis: str
    about_health: Callable[[str], bool] = lambda text: True
    max_sentences: int = 12
    sentence_floor: float = 0.0
    """The whole message's probability at which its sentences are scored too (0: always)."""
    crisis_gate: Callable[[str], float] | None = None
    """The crisis classifier's probability, which a self-harm category must also reach
    (``crisis_gate_threshold``): weight-loss questions are near pro-anorexia requests for the head."""
    crisis_gate_threshold: float = 0.0
    name: str = "harm_general"
    record: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _memo: list[tuple[str, HarmScore]] = field(default_factory=list, repr=False, compare=False)
    """The last message's score (the harmful exemplar layer's gate asks again for the same message)."""

    @classmethod
    def load(
        cls,
        path: Path,
        embedder: Embedder,
        refusal: str,
        crisis: str,
        threshold: float,
        outside_scope: float,
        about_health: Callable[[str], bool] = lambda text: True,
        max_sentences: int = 12,
        sentence_floor: float = 0.0,
    ) -> HarmHead:
        record = json.loads(path.read_text(encoding="utf-8"))
        categories = tuple(record["categories"])
        unknown = set(categories) - set(HARM_CATEGORIES)
        if unknown:
            raise ValueError(f"{path}: unknown harm categories {sorted(unknown)}")
        return cls(
            np.asarray(record["weights"], dtype=np.float32),
            float(record["bias"]),
            categories,
            np.asarray(record["category_weights"], dtype=np.float32).reshape(len(categories), -1),
            np.asarray(record["category_bias"], dtype=np.float32),
            embedder,
            threshold,
            outside_scope,
            refusal,
            crisis,
            about_health,
            max_sentences,
            sentence_floor,
            record=record,
        )

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = np.asarray(vectors, dtype=np.float32) @ self.weights + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32)

    def category_of(self, vector: np.ndarray) -> str:
        logits = self.category_weights @ np.asarray(vector, dtype=np.float32) + self.category_bias
        return self.categories[int(np.argmax(logits))]

    def pieces_of(self, text: str) -> list[str]:
        """The sentences scored besides the whole message (none when there is only one)."""
        parts = sentences(text, self.max_sentences)
        return parts if len(parts) >= 2 else []

    def vectors(self, text: str) -> np.ndarray:
        """The whole message's vector first, then one per sentence when there is more than one
        (answered by the registry's embedder from its one call per message, which embeds them too)."""
        whole = np.asarray(self.embedder.embed([text]), dtype=np.float32)
        parts = self.pieces_of(text)
        if not parts:
            return whole
        return np.concatenate([whole, np.asarray(self.embedder.embed(parts), dtype=np.float32)])

    def score(self, text: str) -> HarmScore:
        memo = self._memo[-1] if self._memo else None  # read once: another thread may replace it
        if memo is not None and memo[0] == text:
            return memo[1]
        vectors = self.vectors(text)
        probabilities = self.probabilities(vectors)
        # A sentence counts when the message as a whole reaches ``sentence_floor``.
        best = int(np.argmax(probabilities)) if probabilities[0] >= self.sentence_floor else 0
        found = HarmScore(float(probabilities[best]), self.category_of(vectors[best]), best)
        self._memo[:] = [(text, found)]
        return found

    def threshold_for(self, text: str) -> float:
        return self.threshold if self.about_health(text) else self.outside_scope

    def check(self, text: str, context: CheckContext) -> GuardDecision:
        if not text.strip():
            return GuardDecision(action="allow", redacted=text)
        threshold = self.threshold_for(text)
        found = self.score(text)
        if found.probability < threshold:
            return GuardDecision(action="allow", redacted=text)
        crisis = found.category in CRISIS_CATEGORIES
        gate = self.crisis_gate if crisis and self.crisis_gate_threshold > 0.0 else None
        if gate is not None and gate(text) < self.crisis_gate_threshold:
            return GuardDecision(action="allow", redacted=text)  # the crisis layers decide alone
        where = "the message" if found.sentence == 0 else f"sentence {found.sentence}"
        return GuardDecision(
            action="escalate" if crisis else "refuse",
            redacted=text,
            reasons=(
                f"{self.name}: harmful request ({found.category.replace('_', ' ')}), "
                f"p={found.probability:.2f} in {where} (threshold {threshold:.2f})",
            ),
            checks=(self.name,),
            message=self.crisis if crisis else self.refusal,
            category=reason_id(found.category),
        )


def harm_head_layers(
    policy: GuardrailsPolicy,
    embedder: Embedder,
    about_health: Callable[[str], bool],
    path: Path = GENERAL_WEIGHTS,
    crisis: Callable[[str], float] | None = None,
) -> list[tuple[bool, Check]]:
    """The general harm head as a registry entry, when it is switched on and its weights exist;
    ``crisis`` is the crisis classifier's probability, which its self-harm categories must also
    reach (``semantic.harm_general.crisis_gate``)."""
    if not policy.checks.harm_general or not path.is_file():
        return []
    layer = policy.semantic.harm_general
    head = HarmHead.load(
        path,
        embedder,
        policy.message("harmful_request"),
        policy.message("self_harm"),
        layer.threshold,
        layer.outside_scope,
        about_health,
        layer.max_sentences,
        layer.sentence_floor,
    )
    return [(True, replace(head, crisis_gate=crisis, crisis_gate_threshold=layer.crisis_gate))]


def harm_gate(layers: list[tuple[bool, Check]]) -> Callable[[str], float] | None:
    """The harm head's probability (highest sentence) as the gate of the harmful exemplar layer."""
    head = next((check for _, check in layers if isinstance(check, HarmHead)), None)
    return None if head is None else (lambda text: head.score(text).probability)
