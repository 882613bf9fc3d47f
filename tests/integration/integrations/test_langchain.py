"""The LangChain face on a real tiny index (the packaged embedding model, embedded Chroma, BM25):
LangChain's standard retriever suite, the metadata, and the guarded Assistant as a Runnable with
LangChain's own fake chat model. Skipped when the ``langchain`` extra is not installed."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_core")
langchain_tests = pytest.importorskip("langchain_tests.integration_tests")

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.documents import Document  # noqa: E402
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage  # noqa: E402

from careguide.config import Settings, VectorStoreSettings, load_settings  # noqa: E402
from careguide.guardrails import AuditLog, Guardrails, load_policy  # noqa: E402
from careguide.ingest import Chunker, Embedder, KnowledgeBase, ingest  # noqa: E402
from careguide.integrations.langchain import (  # noqa: E402
    EXTRACT_EVENT,
    TOKEN_EVENT,
    CareguideRetriever,
    GuardedAssistant,
    LangChainChatModel,
)
from careguide.rag import Assistant, FilterError, Retriever  # noqa: E402
from tests.integration.conftest import MEDQUAD_FILES  # noqa: E402

pytestmark = pytest.mark.integration

ACROMEGALY = "What are the symptoms of acromegaly?"
EMERGENCY = "I have crushing chest pain and my left arm is numb"


@pytest.fixture(scope="module")
def index_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = load_settings()
    return base.model_copy(
        update={
            "index_dir": tmp_path_factory.mktemp("lc-index"),
            "vector_store": VectorStoreSettings(collection="langchain-face"),
        }
    )


@pytest.fixture(scope="module")
def index(
    index_settings: Settings, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Retriever:
    """Four real MedQuAD documents indexed into a fresh collection."""
    folder = tmp_path_factory.mktemp("lc-medquad")
    medquad = load_settings().medquad_dir.resolve()
    for name in MEDQUAD_FILES:
        shutil.copy(medquad / name, folder / name.replace("/", "-"))
    knowledge = KnowledgeBase.open(index_settings)
    ingest([folder], knowledge, embedder, Chunker(embedder.count_tokens, max_tokens=200, overlap_tokens=40))
    return Retriever.open(index_settings.retrieval, knowledge, embedder)


class TestCareguideRetriever(langchain_tests.RetrieversIntegrationTests):
    """LangChain's standard retriever suite over the tiny index."""

    careguide_retriever: Retriever

    @pytest.fixture(autouse=True, scope="class")
    @classmethod
    def _index(cls, index: Retriever) -> None:
        cls.careguide_retriever = index

    @property
    def retriever_constructor(self) -> type[CareguideRetriever]:
        return CareguideRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"retriever": self.careguide_retriever, "k": 2}

    @property
    def retriever_query_example(self) -> str:
        return ACROMEGALY


def test_documents_carry_careguide_metadata_in_rank_order(index):
    docs = CareguideRetriever(retriever=index, k=3).invoke(ACROMEGALY)
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    for doc in docs:
        meta = doc.metadata
        assert {"title", "url", "section", "chunk_id", "score", "source", "organisation"} <= set(meta)
        assert doc.id == meta["chunk_id"] and doc.page_content.strip()
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)
    assert "acromegaly" in docs[0].metadata["title"].lower()
    # The same passages as careguide's own search.
    assert [d.id for d in docs] == [p.chunk.chunk_id for p in index.search(ACROMEGALY, 3).passages]


def test_filters_and_modes_are_passed_through(index):
    retriever = CareguideRetriever(retriever=index, k=3)
    ghr = retriever.invoke("is it inherited", where={"source": "GHR"})
    assert ghr and all(d.metadata["source"] == "GHR" for d in ghr)
    dense = retriever.invoke(ACROMEGALY, mode="dense", k=2)
    assert [d.id for d in dense] == [
        p.chunk.chunk_id for p in index.search_many([ACROMEGALY], 2, mode="dense")[0]
    ]
    with pytest.raises(FilterError, match="Unknown filter key"):
        retriever.invoke(ACROMEGALY, where={"colour": "red"})
    with pytest.raises(ValueError, match="k must be"):
        retriever.invoke(ACROMEGALY, k=0)


class CountingModel(LangChainChatModel):
    """LangChain's fake chat model behind the adapter, counting the calls."""

    def __init__(self, replies: list[str]) -> None:
        super().__init__(GenericFakeChatModel(messages=iter(AIMessage(r) for r in replies)))
        self.calls: list[list[dict[str, str]]] = []

    def stream(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float = 0.0,
        *,
        deadline_s: float | None = None,
    ) -> Iterator[str]:
        self.calls.append(messages)
        yield from super().stream(messages, max_tokens, temperature, deadline_s=deadline_s)


class DownModel(GenericFakeChatModel):
    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        raise ConnectionError("connection refused")


class Events(BaseCallbackHandler):
    def __init__(self) -> None:
        self.names: list[str] = []
        self.data: list[Any] = []

    def on_custom_event(self, name: str, data: Any, **kwargs: Any) -> None:
        self.names.append(name)
        self.data.append(data)


@pytest.fixture(scope="module")
def guard(tmp_path_factory: pytest.TempPathFactory) -> Guardrails:
    return Guardrails(load_policy(), audit=AuditLog(tmp_path_factory.mktemp("audit") / "audit.jsonl"))


def runnable(index: Retriever, guard: Guardrails, model: Any) -> GuardedAssistant:
    return GuardedAssistant(Assistant(index, model), guard)  # type: ignore[arg-type]


def test_an_emergency_is_escalated_with_fixed_text_and_no_model_call(index, guard):
    model = CountingModel(["This should never be sent [1]."])
    chain = runnable(index, guard, model)
    fixed = guard.check_input(EMERGENCY).message
    result = chain.invoke(EMERGENCY)
    assert result["guard"]["input"]["action"] == "escalate" and result["guard"]["output"] is None
    assert result["answer"] == fixed and "911" in fixed
    assert result["citations"] == [] and result["abstained"]
    streamed = list(chain.stream({"question": EMERGENCY}))
    assert "".join(c.get("answer", "") for c in streamed) == fixed
    assert not model.calls


def test_a_question_is_answered_from_the_index_with_checked_citations(index, guard):
    passage = index.search(ACROMEGALY, 4).passages[0].chunk
    sentence = re.split(r"(?<=[.!?])\s+", passage.text.strip())[0]
    model = CountingModel([f"{sentence} [1]", f"{sentence} [1]"])
    chain = runnable(index, guard, model)
    events = Events()
    result = chain.invoke({"question": ACROMEGALY, "mode": "model"}, {"callbacks": [events]})
    assert result["mode"] == "model" and not result["abstained"] and "[1]" in result["answer"]
    assert result["guard"]["input"]["action"] == "allow" and result["guard"]["output"] is not None
    first = result["citations"][0]
    assert first["chunk_id"] == passage.chunk_id and first["url"] == passage.url
    assert {"title", "section", "score", "quote"} <= set(first)
    assert len(model.calls) == 1 and "numbered passages" in model.calls[0][0]["content"]
    assert (
        TOKEN_EVENT in events.names
        and "".join(
            d["token"] for n, d in zip(events.names, events.data, strict=True) if n == TOKEN_EVENT
        ).strip()
        == f"{sentence} [1]"
    )

    chunks = list(chain.stream({"question": ACROMEGALY, "mode": "model"}))
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert len(chunks) > 2 and dict(total) == result
    assert "".join(chain.pick("answer").stream({"question": ACROMEGALY, "mode": "extractive"}))


def test_the_extract_stands_in_when_the_model_is_down(index, guard):
    chain = runnable(index, guard, LangChainChatModel(DownModel(messages=iter([]))))
    events = Events()
    result = chain.invoke({"question": ACROMEGALY, "history": []}, {"callbacks": [events]})
    assert result["mode"] == "extractive (model unavailable)" and result["citations"]
    assert events.names == [EXTRACT_EVENT] and events.data[0]["answer"] == result["answer"]


def test_follow_ups_use_the_redacted_history(index, guard):
    model = CountingModel([])
    chain = runnable(index, guard, model)
    first = chain.invoke({"question": "I'm Maria Lopez. " + ACROMEGALY, "mode": "extractive"})
    assert "Maria" not in first["question"] and "Maria" not in first["answer"]
    follow = chain.invoke(
        {"question": "how is it treated?", "history": [first["question"]], "mode": "extractive"}
    )
    assert follow["question"] == "how is it treated?" and "acromegaly" in follow["search_query"].lower()
    assert follow["citations"] and all("cromegaly" in c["title"] for c in follow["citations"])
    assert not model.calls


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ({"question": ACROMEGALY, "histroy": []}, ValueError, "Unknown input key 'histroy'"),
        ({"history": []}, ValueError, "needs a 'question'"),
        ({"question": ACROMEGALY, "history": "earlier"}, ValueError, "list of the patient"),
        (42, TypeError, "Ask with a question"),
    ],
)
def test_malformed_input_is_refused(index, guard, value, error, match):
    with pytest.raises(error, match=match):
        runnable(index, guard, CountingModel([])).invoke(value)


def test_the_module_is_the_only_importer_of_langchain():
    src = Path(__file__).resolve().parents[3] / "src" / "careguide"
    importers = sorted(
        str(path.relative_to(src))
        for path in src.rglob("*.py")
        if re.search(r"^\s*(from|import) langchain", path.read_text(), re.MULTILINE)
    )
    assert importers == ["integrations/langchain.py"]
