"""The contract of a retrieval stage (``rag.retrieval.CandidateRetriever``): for each question of a
batch, a ranking of at most k passages, best first."""

from __future__ import annotations

import math
from typing import ClassVar

import pytest

from careguide.ingest import metadata_matches
from careguide.rag import Passage
from careguide.rag.retrieval import CandidateRetriever


class CandidateRetrieverContract:
    """Subclass with ``make_stage`` over an index of more than ``k`` chunks, and a ``where`` filter
    that some (not all) of its chunks match."""

    questions = ("What are the symptoms of acromegaly?", "is it inherited", "how is it treated")
    where: ClassVar[dict[str, str]]
    k = 3

    def make_stage(self) -> CandidateRetriever:
        raise NotImplementedError

    @pytest.fixture
    def stage(self) -> CandidateRetriever:
        return self.make_stage()

    @staticmethod
    def ids(rankings: list[list[Passage]]) -> list[list[str]]:
        return [[p.chunk.chunk_id for p in ranking] for ranking in rankings]

    def test_one_ranking_of_k_passages_per_question(self, stage: CandidateRetriever) -> None:
        rankings = stage.run(list(self.questions), self.k, {})
        assert isinstance(rankings, list) and len(rankings) == len(self.questions)
        for ranking in rankings:
            assert len(ranking) == self.k and all(isinstance(p, Passage) for p in ranking)

    def test_rankings_are_best_first_without_repeats(self, stage: CandidateRetriever) -> None:
        for ranking in stage.run(list(self.questions), self.k, {}):
            scores = [p.score for p in ranking]
            assert all(isinstance(s, float) and math.isfinite(s) for s in scores)
            assert scores == sorted(scores, reverse=True)
            assert len({p.chunk.chunk_id for p in ranking}) == len(ranking)

    @staticmethod
    def scores(rankings: list[list[Passage]]) -> list[list[float]]:
        """Rankings compared by score: equal passages (MedQuAD repeats some answers) may swap places."""
        return [[round(p.score, 4) for p in ranking] for ranking in rankings]

    def test_a_batch_ranks_each_question_as_alone(self, stage: CandidateRetriever) -> None:
        batch = self.scores(stage.run(list(self.questions), self.k, {}))
        alone = [self.scores(stage.run([q], self.k, {}))[0] for q in self.questions]
        assert batch == alone
        reversed_batch = self.scores(stage.run(list(reversed(self.questions)), self.k, {}))
        assert reversed_batch == list(reversed(batch))

    def test_a_smaller_k_is_a_prefix(self, stage: CandidateRetriever) -> None:
        top = self.scores(stage.run(list(self.questions), 1, {}))
        assert top == [ranking[:1] for ranking in self.scores(stage.run(list(self.questions), self.k, {}))]

    def test_deterministic(self, stage: CandidateRetriever) -> None:
        first = stage.run(list(self.questions), self.k, {})
        again = stage.run(list(self.questions), self.k, {})
        assert self.ids(first) == self.ids(again)
        assert [[p.score for p in r] for r in first] == [[pytest.approx(p.score) for p in r] for r in again]

    def test_an_empty_batch_has_no_rankings(self, stage: CandidateRetriever) -> None:
        assert stage.run([], self.k, {}) == []

    def test_a_filter_keeps_only_matching_passages(self, stage: CandidateRetriever) -> None:
        for ranking in stage.run(list(self.questions), self.k, self.where):
            assert ranking and len(ranking) <= self.k
            assert all(metadata_matches(p.chunk.to_metadata(), self.where) for p in ranking)

    def test_a_filter_nothing_matches_finds_nothing(self, stage: CandidateRetriever) -> None:
        assert stage.run(list(self.questions), self.k, {"source": "no-such-source"}) == [[]] * len(
            self.questions
        )
