"""Background indexing and the embedding recorded with an index, on real Chroma, the real
embedding model and real MedQuAD files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from careguide.config import EmbeddingSettings, Settings
from careguide.ingest import ChromaStore, KnowledgeBase, StoreError
from careguide.ingest.background import BackgroundIndexer, ordered_subsets
from careguide.ingest.progress import read_progress
from careguide.rag import Retriever
from tests.integration.conftest import MEDQUAD_FILES, CountingEmbedder

pytestmark = pytest.mark.integration


@pytest.fixture
def subsets(tmp_path: Path, medquad_dir: Path) -> list[Path]:
    """Each sample file in a subset folder of its own (MedQuAD's layout)."""
    folders = []
    for name in MEDQUAD_FILES:
        subset, file = name.split("/")
        (tmp_path / "kb" / subset).mkdir(parents=True)
        shutil.copy(medquad_dir / name, tmp_path / "kb" / subset / file)
        folders.append(tmp_path / "kb" / subset)
    return folders


def test_first_subsets_come_first(settings: Settings) -> None:
    order = ordered_subsets(settings)
    assert order[: len(settings.knowledge_base.first_subsets)] == list(settings.knowledge_base.first_subsets)
    assert sorted(order) == sorted(settings.knowledge_base.medquad_subsets)


def test_background_indexing_makes_the_rest_searchable_in_the_live_retriever(
    settings: Settings, subsets: list[Path], embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    knowledge = KnowledgeBase.open(settings)
    store = knowledge.store
    retriever = Retriever.open(settings.retrieval, knowledge, embedder)  # follows the knowledge base
    refreshed: list[int] = []

    def refresh() -> None:
        refreshed.append(store.count())

    indexer = BackgroundIndexer(knowledge, subsets, refresh)
    indexer.start()
    indexer.join(timeout=600)
    assert not indexer.is_alive() and indexer.progress.error == ""
    assert len(refreshed) == len(subsets) and refreshed == sorted(refreshed)
    progress = read_progress(settings)
    assert progress is not None and progress.done and progress.percent == 100
    assert progress.documents_total == len(store.documents())
    top = retriever.search_many(["Holmes-Adie pupil"], 1, None, "bm25")[0]
    assert top and top[0].chunk.answer_id.startswith("NINDS_0000007")
    # The configured search (whole answers ranked with question entailment) sees them too.
    assert retriever.answers is not None
    top = retriever.search("What is Holmes-Adie pupil?", 1).passages
    assert top and top[0].chunk.answer_id.startswith("NINDS_0000007")

    # A second run (the next `make run`) finds everything indexed and embeds nothing.
    counting = CountingEmbedder(embedder)
    monkeypatch.setattr("careguide.ingest.embedding.load_embedder", lambda _: counting)
    again = BackgroundIndexer(KnowledgeBase.open(settings), subsets)
    again.run()
    assert counting.texts == 0 and again.progress.done
    assert again.progress.documents_done == again.progress.documents_total


def test_an_index_of_another_embedding_is_refused_then_rebuilt(settings: Settings) -> None:
    torch = ChromaStore.open(settings.model_copy(update={"embedding": EmbeddingSettings(backend="torch")}))
    assert torch.indexed_embedding() is None  # empty: nothing recorded yet
    from careguide.ingest import Chunk

    chunk = Chunk(
        "c1", "d1", "/kb", 0, 1, "Acromegaly is ...", "Acromegaly", "", "NIDDK", "NIDDK", "https://x", "l"
    )
    torch.add([chunk], np.ones((1, 384), dtype=np.float32))
    assert torch.indexed_embedding() == "all-MiniLM-L6-v2:torch"
    onnx = settings.model_copy(update={"embedding": EmbeddingSettings(backend="onnx")})
    with pytest.raises(StoreError, match=r"all-MiniLM-L6-v2:torch.*careguide ingest --rebuild"):
        ChromaStore.open(onnx)
    rebuilt = ChromaStore.open(onnx, check=False)
    rebuilt.reset()
    assert rebuilt.count() == 0 and rebuilt.indexed_embedding() is None
    rebuilt.add([chunk], np.ones((1, 384), dtype=np.float32))
    assert ChromaStore.open(onnx).indexed_embedding() == "all-MiniLM-L6-v2:onnx-int8"
