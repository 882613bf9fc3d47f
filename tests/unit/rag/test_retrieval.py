import pytest

from careguide.config import RetrievalSettings
from careguide.ingest import Chunk
from careguide.rag import FilterError, Passage, Retriever, fuse_rankings, parse_filter
from careguide.rag.retrieval import chroma_where


def chunk(cid: str, source: str = "GHR") -> Chunk:
    return Chunk(
        chunk_id=cid,
        doc_id=cid,
        source_key=cid,
        position=0,
        n_chunks=1,
        text=f"text {cid}",
        title=cid,
        heading_path="",
        source=source,
        organisation=source,
        url="",
        license="",
    )


def ranking(*ids: str) -> list[Passage]:
    return [Passage(chunk(i), 1.0) for i in ids]


def test_rrf_rewards_agreement():
    fused = fuse_rankings([ranking("a", "b", "c"), ranking("d", "b", "e")], rrf_k=60)
    assert [p.chunk.chunk_id for p in fused] == ["b", "a", "d", "c", "e"]
    assert fused[0].score == pytest.approx(2 / 62)


def test_rrf_single_ranking_keeps_order_and_ties_break_by_id():
    assert [p.chunk.chunk_id for p in fuse_rankings([ranking("z", "y")])] == ["z", "y"]
    tied = fuse_rankings([ranking("b"), ranking("a")])
    assert [p.chunk.chunk_id for p in tied] == ["a", "b"]


def test_parse_filter():
    assert parse_filter(["source=GHR", "topic = Acromegaly"]) == {
        "source": "GHR",
        "topic": "Acromegaly",
    }
    with pytest.raises(FilterError, match="Unknown filter key 'colour'"):
        parse_filter(["colour=red"])
    with pytest.raises(FilterError, match="not key=value"):
        parse_filter(["source"])


def test_chroma_where():
    assert chroma_where({}) is None
    assert chroma_where({"source": "GHR"}) == {"source": "GHR"}
    assert chroma_where({"topic": "x", "source": "GHR"}) == {"$and": [{"source": "GHR"}, {"topic": "x"}]}


class FakeStage:
    def __init__(self, ids):
        self.ids = ids
        self.calls = []

    def run(self, questions, k, where):
        self.calls.append((tuple(questions), k, dict(where)))
        return [ranking(*self.ids)[:k] for _ in questions]


def test_retriever_composes_stages_by_mode():
    dense, lexical = FakeStage(["a", "b", "c"]), FakeStage(["c", "d"])
    retriever = Retriever(RetrievalSettings(k=2, candidates=10), dense, lexical)
    assert [p.chunk.chunk_id for p in retriever.search("q").passages] == ["c", "a"]
    assert dense.calls[-1] == (("q",), 10, {})
    assert [p.chunk.chunk_id for p in retriever.search_many(["q"], mode="dense")[0]] == ["a", "b"]
    assert [p.chunk.chunk_id for p in retriever.search_many(["q"], mode="bm25")[0]] == ["c", "d"]
    retriever.search("q", where={"source": "GHR"})
    assert lexical.calls[-1][2] == {"source": "GHR"}


class ScoredStage(FakeStage):
    def run(self, questions, k, where):
        self.calls.append((tuple(questions), k, dict(where)))
        return [[Passage(chunk(i), 0.7 - 0.1 * n) for n, i in enumerate(self.ids)][:k] for _ in questions]


def test_a_search_carries_the_similarity_of_its_nearest_chunk():
    dense, lexical = ScoredStage(["a", "b", "c"]), FakeStage(["c", "d"])
    retriever = Retriever(RetrievalSettings(k=2, candidates=10), dense, lexical)
    found = retriever.search("q")
    assert [p.chunk.chunk_id for p in found.passages] == ["c", "a"] and found.closest == pytest.approx(0.7)
    assert len(dense.calls) == 1 and len(lexical.calls) == 1  # one search per stage
    assert retriever.results(["q"], mode="dense")[0].closest == pytest.approx(0.7)
    assert retriever.results(["q"], mode="bm25")[0].closest is None  # no dense stage ran


def test_passage_json_shape():
    record = Passage(chunk("a"), 0.5).to_json()
    for key in ("chunk_id", "doc_id", "title", "source", "url", "score", "text"):
        assert key in record
    assert "answer_id" not in record


def test_weighted_rrf_lets_the_stronger_ranking_lead():
    fused = fuse_rankings([ranking("a", "b"), ranking("b", "c")], rrf_k=20, weights=(1.0, 0.5))
    assert [p.chunk.chunk_id for p in fused] == ["b", "a", "c"]
    only_first = fuse_rankings([ranking("a", "b"), ranking("b", "a")], rrf_k=20, weights=(1.0, 0.0))
    assert [p.chunk.chunk_id for p in only_first] == ["a", "b"]
