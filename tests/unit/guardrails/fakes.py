"""Fakes shared by the guardrails unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

AXES = ("fever", "neck", "bleeding", "belly", "weather", "collapse")


class WordEmbedder:
    """One axis per key word: a text is close to a description when they share key words. ``calls``
    holds how many texts each call embedded."""

    name = "fake-words"
    dimension = len(AXES)

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return np.array([[float(a in t.lower()) + 0.01 for a in AXES] for t in texts], dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]


def write_flags(tmp_path: Path) -> Path:
    """A small red-flag file over ``AXES``: a pair, two concepts alone, one with a qualifier."""
    path = tmp_path / "flags.yaml"
    path.write_text(
        """
qualifiers:
  intense: [sudden, severe, out of nowhere]
concepts:
  fever: [fever]
  stiff_neck: [neck]
  bleeding: [bleeding]
  collapse: [collapse]
  belly_pain:
    qualifier: intense
    descriptions: [belly]
combinations:
  fever_neck:
    needs: [fever, stiff_neck | collapse]
    category: meningitis
    reason: A fever with a stiff neck can be meningitis.
  bleeding:
    needs: [bleeding]
    category: bleeding
    reason: Heavy bleeding needs care now.
  belly_pain:
    needs: [belly_pain]
    category: abdominal
    reason: Sudden severe belly pain needs care today.
""",
        encoding="utf-8",
    )
    return path
