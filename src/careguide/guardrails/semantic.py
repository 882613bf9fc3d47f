"""Semantic guardrail layers: nearest exemplars by sentence embedding, for what patterns miss.

A message is embedded once (careguide's own Embedder) and compared with a bank of short, labelled
descriptions (``data/exemplars.yaml``): emergencies described in symptoms, crisis language direct
and indirect, harmful requests by category, and benign questions about the same topics. A family
(emergency, crisis, harmful) decides when its nearest exemplar is at least ``threshold`` similar
and beats the nearest benign exemplar by ``margin``. Thresholds live in configs/guardrails.yaml.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from careguide.guardrails.types import Action, CheckContext, GuardDecision
from careguide.ingest import Embedder, Vectors

DEFAULT_BANK = Path(__file__).parent / "data" / "exemplars.yaml"
FAMILIES = ("emergency", "crisis", "harmful")


def _cache_dir() -> Path:
    root = os.environ.get("CAREGUIDE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "careguide"
    )
    return Path(root) / "exemplars"


def cached_unit_vectors(embedder: Embedder, texts: Sequence[str], prefix: str = "") -> np.ndarray:
    """Unit vectors of a bank's texts, cached on disk under ``_cache_dir()`` by the embedding model
    and the texts (a changed bank or model re-embeds); ``prefix`` names the bank's files."""
    key = hashlib.sha256("\n".join([embedder.name, *texts]).encode()).hexdigest()[:16]
    cached = _cache_dir() / f"{prefix}{key}.npy"
    if cached.is_file():
        return np.asarray(np.load(cached), dtype=np.float32)
    vectors = unit_vectors(np.asarray(embedder.embed(list(texts))))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.save(cached, vectors)
    except OSError:
        pass  # a read-only cache only costs the embedding again next start
    return vectors


class LastMessageEmbedder:
    """The configured embedder, remembering the last message's vectors so every layer embeds it once.

    Layers that also read a message's pieces (the harm head's sentences, the emergency layers'
    sentence windows and clauses) name them with ``add_pieces``: the first request for a message
    alone then embeds the message, and all those pieces in one batched call, and any later request
    for texts among them (by any layer) is answered from those vectors."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self._pieces: list[Callable[[str], Sequence[str]]] = []
        self._last: tuple[str, dict[str, np.ndarray]] | None = None

    def add_pieces(self, split: Callable[[str], Sequence[str]]) -> None:
        """A layer that will ask for these pieces of each message (added once)."""
        if split not in self._pieces:
            self._pieces.append(split)

    def embed(self, texts: Sequence[str]) -> Vectors:
        last = self._last  # read once: another thread may replace it between a check and a read
        if last is not None and texts and all(t in last[1] for t in texts):
            return np.stack([last[1][t] for t in texts])
        if len(texts) != 1:
            return self.inner.embed(texts)
        message = texts[0]
        vectors = np.asarray(self.inner.embed([message]))
        table = {message: vectors[0]}
        # The message alone, then all its pieces in one call: padded to a long message's length in
        # a shared batch, the short pieces would cost more than the second call.
        named = dict.fromkeys(p for split in self._pieces for p in split(message))
        pieces = [p for p in named if p != message]
        if pieces:
            table.update(zip(pieces, np.asarray(self.inner.embed(pieces)), strict=True))
        self._last = (message, table)
        return vectors

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)


@dataclass
class ExemplarBank:
    """Labelled exemplar vectors, and a one-message memo so every layer embeds a message once."""

    embedder: Embedder
    labels: list[tuple[str, str]]  # (family, category); family "benign" has category ""
    texts: list[str]
    _vectors: np.ndarray | None = None
    _memo: tuple[str, np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def load(cls, embedder: Embedder, path: Path = DEFAULT_BANK) -> ExemplarBank:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        labels: list[tuple[str, str]] = []
        texts: list[str] = []
        for family in FAMILIES:
            for category, items in data[family].items():
                labels.extend((family, category) for _ in items)
                texts.extend(items)
        labels.extend(("benign", "") for _ in data["benign"])
        texts.extend(data["benign"])
        return cls(embedder, labels, texts)

    @property
    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = cached_unit_vectors(self.embedder, self.texts)
        return self._vectors

    def embed(self, text: str) -> np.ndarray:
        memo = self._memo  # read once: another thread may replace it between a check and a read
        if memo is None or memo[0] != text:
            memo = (text, unit_vectors(np.asarray(self.embedder.embed([text])))[0])
            self._memo = memo
        return memo[1]

    def nearest(self, vector: np.ndarray, family: str) -> tuple[float, str, float]:
        """(best similarity in the family, its category, best benign similarity)."""
        sims = self.vectors @ vector
        best, category, benign = -1.0, "", -1.0
        for score, (fam, cat) in zip(sims.tolist(), self.labels, strict=True):
            if fam == family and score > best:
                best, category = score, cat
            elif fam == "benign" and score > benign:
                benign = score
        return best, category, benign


_QUESTION_START = re.compile(
    r"^\W*(?:what|how|can|could|is|are|does|do|why|which|when|should)\b", re.IGNORECASE
)
_SOMEONE = re.compile(
    r"\b(?:i|i'm|im|i've|me|my|we|our|us|he|she|he's|she's|his|her|him|they're|their|son|daughter|"
    r"baby|child|kid|mom|mum|dad|wife|husband|partner|friend)\b",
    re.IGNORECASE,
)


def general_question(text: str) -> bool:
    """A question about a topic that names no one it is happening to."""
    return bool(_QUESTION_START.search(text)) and not _SOMEONE.search(text)


def unit_vectors(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-9), dtype=np.float32)


@dataclass(frozen=True)
class SemanticCheck:
    """One family of the bank as a guardrail layer with its own threshold, margin and reply."""

    name: str
    family: str
    bank: ExemplarBank
    threshold: float
    margin: float
    action: Action
    reply: Callable[[str], str]
    """The fixed reply for a category (emergencies say why)."""
    category_prefix: str = ""
    skip_general_questions: bool = False
    """Emergencies happen to someone: a question that names no one ("what are the symptoms of a
    heart attack?") is education, whatever its topic."""
    gate: Callable[[str], float] | None = None
    """The family's calibrated classifier: the nearest exemplar decides only when the classifier's
    probability is at least ``gate_threshold`` (near an exemplar is not enough on its own)."""
    gate_threshold: float = 0.0

    def score(self, text: str) -> tuple[float, str, float]:
        return self.bank.nearest(self.bank.embed(text), self.family)

    def check(self, text: str, context: CheckContext) -> GuardDecision:
        if self.skip_general_questions and general_question(text):
            return GuardDecision(action="allow", redacted=text)
        best, category, benign = self.score(text)
        if best < self.threshold or best - benign < self.margin:
            return GuardDecision(action="allow", redacted=text)
        gated = ""
        if self.gate is not None and self.gate_threshold > 0.0:
            probability = self.gate(text)
            if probability < self.gate_threshold:
                return GuardDecision(action="allow", redacted=text)
            gated = f", classifier p={probability:.2f}"
        return GuardDecision(
            action=self.action,
            redacted=text,
            reasons=(
                f"{self.name}: close to {self.family} exemplars ({category.replace('_', ' ')}, "
                f"similarity {best:.2f}, benign {benign:.2f}{gated})",
            ),
            checks=(self.name,),
            message=self.reply(category),
            category=f"{self.category_prefix}{category}" if self.category_prefix else category,
        )
