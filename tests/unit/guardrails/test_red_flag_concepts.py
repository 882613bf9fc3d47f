"""The red-flag concept bank: loading the file (the shipped one and broken ones), qualifiers read
as words, and scoring clauses against concepts and combinations (with a fake embedder: one axis per
key word). The layer that uses it is tested in test_red_flags.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from careguide.config import ConfigError
from careguide.guardrails.red_flag_concepts import DEFAULT_RED_FLAGS, Combination, RedFlags, qualified
from tests.unit.guardrails.fakes import AXES, WordEmbedder, write_flags


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREGUIDE_CACHE_DIR", str(tmp_path))


def test_a_file_loads_into_concepts_qualifiers_and_combinations(tmp_path):
    flags = RedFlags.load(write_flags(tmp_path), WordEmbedder())
    assert flags.names == ["fever", "stiff_neck", "bleeding", "collapse", "belly_pain"]
    assert flags.concepts["belly_pain"] == ["belly"] and set(flags.qualifiers) == {"belly_pain"}
    fever_neck, bleeding, _ = flags.combinations
    assert fever_neck == Combination(
        "fever_neck",
        "meningitis",
        (("fever",), ("stiff_neck", "collapse")),
        "A fever with a stiff neck can be meningitis.",
    )
    assert not fever_neck.alone and bleeding.alone and bleeding.message == "emergency"
    assert flags.vectors.shape == (5, len(AXES))


def test_scores_are_the_best_clause_per_concept_and_a_qualifier_gates_its_concept(tmp_path):
    flags = RedFlags.load(write_flags(tmp_path), WordEmbedder())
    clauses = ["fever", "belly pain", "sudden belly pain"]
    vectors = WordEmbedder().embed(clauses)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = flags.scores(vectors, clauses)
    assert scores["fever"][1] == 0 and scores["fever"][0] > 0.99
    assert scores["belly_pain"][1] == 2  # the clause without "sudden" is not read for this concept
    assert scores["stiff_neck"][0] < 0.1
    assert flags.scores(np.zeros((0, len(AXES))), []) == {n: (0.0, -1) for n in flags.names}
    # a qualified concept with no clause carrying its qualifier has no clause
    assert flags.scores(vectors[:2], clauses[:2])["belly_pain"] == (0.0, -1)


def test_matches_need_every_group_at_its_threshold(tmp_path):
    flags = RedFlags.load(write_flags(tmp_path), WordEmbedder())
    scores = {name: (0.0, -1) for name in flags.names}
    scores |= {"fever": (0.8, 0), "collapse": (0.7, 1), "bleeding": (0.85, 2)}
    # either concept of a group will do
    assert [c.name for c, _ in flags.matches(scores, together=0.7, alone=0.9)] == ["fever_neck"]
    assert flags.matches(scores, together=0.75, alone=0.9) == []
    found = flags.matches(scores, together=0.7, alone=0.85)
    assert [(c.name, met) for c, met in found] == [
        ("fever_neck", [("fever", 0.8, 0), ("collapse", 0.7, 1)]),
        ("bleeding", [("bleeding", 0.85, 2)]),
    ]


def test_vectors_need_an_embedder():
    with pytest.raises(ConfigError, match="needs an embedder"):
        _ = RedFlags.load(DEFAULT_RED_FLAGS).vectors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("severe belly pain", True),
        ("belly pain, not severe", False),
        ("it isn't really sudden", False),
        ("not sudden but severe", True),
        ("belly pain", False),
    ],
)
def test_a_qualifier_counts_unless_it_is_denied(text, expected):
    pattern = RedFlags.load(DEFAULT_RED_FLAGS).qualifiers["severe_belly_pain"]
    assert qualified(pattern, text) is expected


def test_the_shipped_red_flags_are_complete():
    flags = RedFlags.load(DEFAULT_RED_FLAGS)
    assert all(len(items) >= 2 for items in flags.concepts.values())
    used = {c for combo in flags.combinations for group in combo.groups for c in group}
    assert used == set(flags.concepts), set(flags.concepts) - used
    for combo in flags.combinations:
        assert combo.reason or combo.message != "emergency", combo.name
    assert any(not combo.alone for combo in flags.combinations)
    assert "fever_stiff_neck" in {c.name for c in flags.combinations}
    # words the embedding cannot weigh are read as words
    assert qualified(flags.qualifiers["heavy_bleeding"], "vomiting bright red blood")
    assert not qualified(flags.qualifiers["heavy_bleeding"], "vomiting since this morning")
    assert not qualified(flags.qualifiers["stiff_neck"], "a painless lump on the neck")
    assert qualified(flags.qualifiers["stiff_neck"], "he can't bend his neck")
    assert qualified(flags.qualifiers["stiff_neck"], "she can not move her neck")
    assert not qualified(flags.qualifiers["stiff_neck"], "her neck is not stiff")


@pytest.mark.parametrize(
    "content",
    [
        "concepts: {a: [x]}\n",  # no combinations
        "concepts: {a: [x]}\ncombinations: {c: {needs: [b], category: x, reason: y}}\n",  # unknown concept
        "concepts: {a: {qualifier: q, descriptions: [x]}}\ncombinations: {}\n",  # unknown qualifier
        "concepts: [",
    ],
)
def test_a_broken_red_flags_file_stops_start_up(tmp_path, content):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError):
        RedFlags.load(path)
