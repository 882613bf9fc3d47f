"""The red-flag concept bank of the ``emergency_concepts`` layer (``red_flags.py``): loading and matching.

``data/red_flags.yaml`` holds short descriptions of red-flag concepts (fever, stiff neck, chest
pain, sweating, ...), qualifiers some concepts need as words in the same clause ("severe", "sudden"),
and the combinations that escalate (fever with a stiff neck; chest pain with sweating or
breathlessness), or a concept that is an emergency alone. ``RedFlags`` loads the file, embeds the
descriptions once (cached on disk) and scores clauses against each concept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from careguide.config import ConfigError
from careguide.guardrails.semantic import cached_unit_vectors
from careguide.ingest import Embedder

DEFAULT_RED_FLAGS = Path(__file__).parent / "data" / "red_flags.yaml"


def _words(words: Sequence[str]) -> re.Pattern[str]:
    """Any of these whole words or phrases, any case."""
    alternatives = sorted((r"\s+".join(map(re.escape, str(w).split())) for w in words), key=len, reverse=True)
    return re.compile(rf"\b(?:{'|'.join(alternatives)})\b", re.IGNORECASE)


# "not severe", "isn't really sudden"; not "can't bend" or "cannot move", which are the symptom.
_NOT_BEFORE = re.compile(
    r"(?:(?<!\bcan\s)\bnot|\b(?:is|are|was|were|does|do|did)n't|\bno|\bnever|\bless)\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)


def qualified(pattern: re.Pattern[str], text: str) -> bool:
    """Whether ``text`` carries the qualifier, not denied ("not severe", "never sudden")."""
    return any(not _NOT_BEFORE.search(text[: m.start()]) for m in pattern.finditer(text))


@dataclass(frozen=True)
class Combination:
    """Concept groups that must all be present; a group is satisfied by any of its concepts."""

    name: str
    category: str
    groups: tuple[tuple[str, ...], ...]
    reason: str
    message: str = "emergency"

    @property
    def alone(self) -> bool:
        return len(self.groups) == 1


@dataclass
class RedFlags:
    """Red-flag concepts (short descriptions each) and the combinations that escalate.

    A concept may name a ``qualifier`` (a pattern in the file): it is then read only in clauses
    that carry it. Sentence embeddings weigh the body part far more than "sudden" or "severe", so
    "severe belly pain" needs the word that makes it severe."""

    concepts: dict[str, list[str]]
    combinations: list[Combination]
    embedder: Embedder | None = None
    qualifiers: dict[str, re.Pattern[str]] = field(default_factory=dict)
    _vectors: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def load(cls, path: Path = DEFAULT_RED_FLAGS, embedder: Embedder | None = None) -> RedFlags:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            patterns = {str(k): _words(v) for k, v in (data.get("qualifiers") or {}).items()}
            concepts: dict[str, list[str]] = {}
            qualifiers: dict[str, re.Pattern[str]] = {}
            for name, entry in data["concepts"].items():
                items = entry["descriptions"] if isinstance(entry, dict) else entry
                concepts[str(name)] = [str(t) for t in items]
                if isinstance(entry, dict) and entry.get("qualifier"):
                    qualifiers[str(name)] = patterns[str(entry["qualifier"])]
            combinations = [
                Combination(
                    name=str(name),
                    category=str(entry["category"]),
                    groups=tuple(tuple(c.strip() for c in str(group).split("|")) for group in entry["needs"]),
                    reason=" ".join(str(entry["reason"]).split()),
                    message=str(entry.get("message", "emergency")),
                )
                for name, entry in data["combinations"].items()
            ]
        except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError, re.error) as exc:
            raise ConfigError(
                f"The red-flag file {path} cannot be read ({exc!r}); restore it from the repository "
                f"or switch checks.emergency_concepts off in configs/guardrails.yaml."
            ) from None
        unknown = {c for combo in combinations for g in combo.groups for c in g} - set(concepts)
        if unknown:
            raise ConfigError(f"{path}: combinations name unknown concepts: {', '.join(sorted(unknown))}.")
        return cls(concepts, combinations, embedder, qualifiers)

    @property
    def names(self) -> list[str]:
        return list(self.concepts)

    @property
    def vectors(self) -> np.ndarray:
        """One unit vector per description, in concept order (cached on disk by text and model)."""
        if self._vectors is None:
            if self.embedder is None:
                raise ConfigError("RedFlags needs an embedder to compare clauses with its concepts.")
            texts = [t for items in self.concepts.values() for t in items]
            self._vectors = cached_unit_vectors(self.embedder, texts, prefix="red-flags-")
        return self._vectors

    def scores(self, clause_vectors: np.ndarray, clause_texts: Sequence[str]) -> dict[str, tuple[float, int]]:
        """Per concept: the best similarity of any clause to any of its descriptions, and that
        clause's index (-1: no clause)."""
        if len(clause_texts) == 0:
            return {name: (0.0, -1) for name in self.concepts}
        sims = self.vectors @ np.asarray(clause_vectors).T  # descriptions x clauses
        found: dict[str, tuple[float, int]] = {}
        start = 0
        for name, items in self.concepts.items():
            block = sims[start : start + len(items)].max(axis=0)
            start += len(items)
            qualifier = self.qualifiers.get(name)
            if qualifier is not None:
                block = np.where([qualified(qualifier, t) for t in clause_texts], block, -1.0)
            best = int(np.argmax(block))
            found[name] = (float(block[best]), best) if block[best] > -1.0 else (0.0, -1)
        return found

    def matches(
        self, scores: dict[str, tuple[float, int]], together: float, alone: float
    ) -> list[tuple[Combination, list[tuple[str, float, int]]]]:
        """Every combination present, in file order, with the concept that met each group."""
        found = []
        for combo in self.combinations:
            threshold = alone if combo.alone else together
            met: list[tuple[str, float, int]] = []
            for group in combo.groups:
                concept = max(group, key=lambda c: scores[c][0])
                score, clause = scores[concept]
                if score < threshold:
                    break
                met.append((concept, score, clause))
            else:
                found.append((combo, met))
        return found
