"""Backend conformance: every way careguide reaches a language model keeps the same contract.

:class:`BackendContract` holds the tests; each subclass provides a real server once per class:
- ``TestLlamaCpp``: the embedded llama.cpp server started by ``open_backend`` (0.5B model, fast);
- ``TestOpenAICompatible``: the ``openai`` backend with an API key, against a llama.cpp server
  that demands one;
- ``TestVllm``: vLLM on CPU serving the same 0.5B model converted to a Hugging Face directory;
  opt-in (``make test-vllm`` installs vLLM in .venv-vllm, converts the model and sets the switches).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from careguide.config import LLMSettings, Settings, VllmSettings
from careguide.ingest import KnowledgeBase, ingest
from careguide.models import Backend, open_backend, pull
from careguide.models.server import CITED_GRAMMAR, LlamaServer, free_port
from careguide.models.vllm import CITED_SENTENCES, VllmServer
from careguide.rag import Retriever
from careguide.rag.assistant import ABSTENTION, Assistant
from careguide.rag.llm import ChatClient, LLMError, client_for

pytestmark = pytest.mark.integration


def _take_env(*names: str) -> dict[str, str]:
    """careguide refuses unknown CAREGUIDE_* variables when it loads settings, so the opt-in
    switches are read once, at import, and removed before any test loads settings."""
    return {name: os.environ.pop(name) for name in names if name in os.environ}


SWITCHES = _take_env("CAREGUIDE_TEST_VLLM", "CAREGUIDE_VLLM_EXECUTABLE", "CAREGUIDE_VLLM_MODEL")
SMALL_MODEL = "qwen2.5-coder-0.5b-instruct"
API_KEY_ENV = "TEST_LLM_API_KEY"
API_KEY = "sk-careguide-test"
SHORT = [{"role": "user", "content": "What colour is the sky on a clear day? Answer in one sentence."}]
LONG = [{"role": "user", "content": "Count from 1 to 100, separated by commas."}]
CITE = [
    {
        "role": "user",
        "content": "Passage [1]: The sky looks blue on a clear day because air scatters blue sunlight.\n"
        "Passage [2]: At sunset the sky often turns red and orange.\n\n"
        "Using only the passages, answer in two short sentences, each ending with the number of "
        "its passage like [1]: What colour is the sky?",
    }
]


def cpu_dtype() -> str:
    """bfloat16 where the CPU computes in it (AVX512-BF16); elsewhere vLLM's bf16 path is emulated
    and several times slower to warm up and to generate than float32 (measured on an AVX2 EPYC)."""
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    return "bfloat16" if "avx512_bf16" in flags else "float32"


def auth(backend: Backend) -> dict[str, str]:
    key = backend.api_key()
    return {"Authorization": f"Bearer {key}"} if key else {}


def assert_one_sentence(error: BaseException) -> None:
    """What a patient or an operator sees: one sentence, no traceback, no internals."""
    message = str(error)
    assert message.endswith(".") and ". " not in message, message
    assert "\n" not in message and "Traceback" not in message and "httpx" not in message, message


class BackendContract:
    """What every backend must do; subclasses override the class-scoped ``backend`` fixture."""

    @pytest.fixture(scope="class")
    @classmethod
    def backend(cls) -> Iterator[Backend]:
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def client(cls, backend: Backend) -> ChatClient:
        return client_for(backend, timeout=120)

    def test_models_lists_the_served_model(self, backend):
        response = httpx.get(f"{backend.base_url()}/models", headers=auth(backend), timeout=10)
        assert response.status_code == 200
        assert backend.served_model in [model["id"] for model in response.json()["data"]]

    def test_streamed_completion_yields_several_tokens(self, client):
        tokens = list(client.stream(SHORT, max_tokens=32))
        assert len(tokens) >= 3 and "".join(tokens).strip()

    def test_temperature_zero_is_deterministic(self, client):
        assert client.complete(SHORT, 24) == client.complete(SHORT, 24)

    def test_max_tokens_bounds_the_output(self, backend, client):
        # A streamed chunk holds at least one token, so chunks <= tokens <= max_tokens.
        assert 1 <= len(list(client.stream(LONG, max_tokens=5))) <= 5
        body = {"model": backend.served_model, "messages": LONG, "max_tokens": 5, "temperature": 0}
        response = httpx.post(
            f"{backend.base_url()}/chat/completions",
            json={**body, **backend.extra_body},
            headers=auth(backend),
            timeout=120,
        )
        reply = response.json()
        assert reply["usage"]["completion_tokens"] <= 5 and reply["choices"][0]["finish_reason"] == "length"

    def test_unknown_endpoint_is_a_one_sentence_llm_error(self, backend, client):
        wrong = replace(client, base_url=lambda: f"{backend.base_url()}/no-such-api", retries=0)
        with pytest.raises(LLMError) as caught:
            list(wrong.stream(SHORT, 8))
        assert_one_sentence(caught.value)

    def test_server_down_is_a_one_sentence_llm_error(self, client):
        port = free_port()
        down = replace(client, base_url=lambda: f"http://127.0.0.1:{port}/v1")
        with pytest.raises(LLMError, match="cannot be reached") as caught:
            list(down.stream(SHORT, 8))
        assert_one_sentence(caught.value)

    @pytest.mark.parametrize("settings", ["embedded"], indirect=True)
    def test_assistant_cites_verified_passages_or_abstains(
        self, backend, settings, embedder, chunker, medquad_sample
    ):
        knowledge = KnowledgeBase.open(settings)
        ingest([medquad_sample], knowledge, embedder, chunker)
        retriever = Retriever.open(settings.retrieval, knowledge, embedder)
        # Two short passages and a short answer: the structure is under test, and every prompt and
        # answer token costs time on a CPU.
        assistant = Assistant(retriever, client_for(backend, 180), k=2, passage_words=60, max_tokens=60)
        answer = assistant.ask("What are the symptoms of acromegaly?")
        if answer.abstained:
            assert answer.answer == ABSTENTION and not answer.citations
            return
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
        assert answer.citations and markers == {citation.n for citation in answer.citations}
        for citation in answer.citations:
            assert citation.quote and citation.quote in citation.passage.chunk.text


class TestLlamaCpp(BackendContract):
    @pytest.fixture(scope="class")
    @classmethod
    def backend(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
        settings = Settings(llm=LLMSettings(model=SMALL_MODEL, n_ctx=2048))
        with open_backend(settings, log_dir=tmp_path_factory.mktemp("llamacpp")) as backend:
            yield backend

    def test_the_grammar_ends_every_sentence_with_a_citation(self, backend, client):
        assert backend.extra_body == {"grammar": CITED_GRAMMAR}
        text = client.complete(CITE, 60)
        assert "]" in text, text
        assert re.fullmatch(CITED_SENTENCES, text[: text.rindex("]") + 1]), text
        assert not re.search(r"[a-z][.!?]", text), text
        free = replace(client, extra_body={})  # without it, the same request is answered freely
        assert free.complete(SHORT, 24) != client.complete(SHORT, 24)


class TestOpenAICompatible(BackendContract):
    @pytest.fixture(scope="class")
    @classmethod
    def backend(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
        log = tmp_path_factory.mktemp("openai") / "server.log"
        with (
            LlamaServer(pull(SMALL_MODEL), log, n_ctx=2048, api_key=API_KEY) as server,
            pytest.MonkeyPatch.context() as env,
        ):
            env.setenv(API_KEY_ENV, API_KEY)
            settings = Settings(
                llm=LLMSettings(backend="openai", base_url=server.base_url, api_key_env=API_KEY_ENV)
            )
            yield open_backend(settings)

    def test_the_key_is_required_by_the_server(self, backend):
        response = httpx.get(f"{backend.base_url()}/models", timeout=10)
        assert response.status_code == 401

    def test_a_wrong_key_is_a_one_sentence_llm_error(self, client):
        with pytest.raises(LLMError, match=r"refused careguide's API key") as caught:
            list(replace(client, api_key="sk-wrong").stream(SHORT, 8))
        assert "llm.api_key_env" in str(caught.value)
        assert_one_sentence(caught.value)


@pytest.mark.skipif(
    SWITCHES.get("CAREGUIDE_TEST_VLLM") != "1",
    reason="vLLM on CPU is opt-in: `make test-vllm` installs it and sets CAREGUIDE_TEST_VLLM=1",
)
class TestVllm(BackendContract):
    @pytest.fixture(scope="class")
    @classmethod
    def backend(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
        executable, model = SWITCHES.get("CAREGUIDE_VLLM_EXECUTABLE"), SWITCHES.get("CAREGUIDE_VLLM_MODEL")
        if not executable or not model:
            pytest.fail(
                "CAREGUIDE_TEST_VLLM=1 needs CAREGUIDE_VLLM_EXECUTABLE and CAREGUIDE_VLLM_MODEL "
                "(the converted model directory); run `make test-vllm`."
            )
        vllm = VllmSettings(model=model, executable=executable, port=free_port(), dtype=cpu_dtype())
        # Starting takes 2 minutes on an idle 2-core machine, several on a busy one (compilation).
        settings = Settings(llm=LLMSettings(backend="vllm", vllm=vllm, start_timeout_s=900))
        with VllmServer(settings, log=tmp_path_factory.mktemp("vllm") / "server.log") as server:
            assert server.alive()
            with open_backend(settings) as backend:
                yield backend

    def test_guided_decoding_ends_every_sentence_with_a_citation(self, backend, client):
        assert backend.extra_body == {"structured_outputs": {"regex": CITED_SENTENCES}}
        text = client.complete(CITE, 60)
        # An answer cut by max_tokens may end mid-sentence: everything up to its last marker must
        # be cited sentences, and the grammar leaves no way to close a sentence without one.
        assert "]" in text, text
        assert re.fullmatch(CITED_SENTENCES, text[: text.rindex("]") + 1]), text
        assert not re.search(r"[a-z][.!?]", text), text
