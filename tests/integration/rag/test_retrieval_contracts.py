"""The retrieval-stage contract (tests/contracts/retrieval.py) on dense search (each filter
strategy) and BM25, over a real tiny index of four MedQuAD documents."""

from __future__ import annotations

import shutil
from typing import ClassVar

import pytest

from careguide.config import Settings, VectorStoreSettings, load_settings
from careguide.ingest import Chunker, Embedder, KnowledgeBase, LexicalIndex, ingest
from careguide.rag import Retriever
from careguide.rag.retrieval import DenseRetriever, LexicalRetriever
from tests.contracts.retrieval import CandidateRetrieverContract
from tests.integration.conftest import MEDQUAD_FILES

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tiny_index(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    settings: Settings = load_settings().model_copy(
        update={
            "index_dir": tmp_path_factory.mktemp("contract-index"),
            "vector_store": VectorStoreSettings(collection="stage-contracts"),
        }
    )
    folder = tmp_path_factory.mktemp("contract-medquad")
    medquad = load_settings().medquad_dir.resolve()
    for name in MEDQUAD_FILES:
        shutil.copy(medquad / name, folder / name.replace("/", "-"))
    knowledge = KnowledgeBase.open(settings)
    ingest([folder], knowledge, embedder, Chunker(embedder.count_tokens, max_tokens=200, overlap_tokens=40))
    return Retriever.open(settings.retrieval, knowledge, embedder)


class StageOverTinyIndex(CandidateRetrieverContract):
    where: ClassVar[dict[str, str]] = {"source": "GHR"}
    index: Retriever

    @pytest.fixture(autouse=True, scope="class")
    @classmethod
    def _index(cls, tiny_index: Retriever) -> None:
        cls.index = tiny_index

    def dense(self) -> DenseRetriever:
        dense = self.index.dense
        assert isinstance(dense, DenseRetriever)
        return dense


class DenseStage(StageOverTinyIndex):
    pass


class TestDenseExact(DenseStage):
    def make_stage(self):
        return self.dense()


class TestDenseChromaFilter(DenseStage):
    def make_stage(self):
        dense = self.dense()
        return DenseRetriever(dense.store, dense.embedder, strategy="chroma")


class TestDenseOverfetch(DenseStage):
    def make_stage(self):
        dense = self.dense()
        return DenseRetriever(dense.store, dense.embedder, overfetch=2, strategy="overfetch")


class TestLexical(StageOverTinyIndex):
    def make_stage(self):
        lexical = self.index.lexical
        assert isinstance(lexical, LexicalRetriever)
        return LexicalRetriever(lexical.index)


class TestLexicalBuiltInMemory(StageOverTinyIndex):
    """BM25 built from the stored chunks in memory, without the files or the vectors."""

    def make_stage(self):
        return LexicalRetriever(LexicalIndex.build(list(self.dense().store.chunks())))
