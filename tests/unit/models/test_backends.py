"""open_backend: clear errors for a backend that cannot work, and vLLM's guided-citation field."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from careguide.config import LLMSettings, Settings, VllmSettings
from careguide.models import ModelError, backends, open_backend
from careguide.models.server import attach, free_port
from careguide.models.vllm import CITED_SENTENCES


def llm_settings(**llm: Any) -> Settings:
    return Settings(llm=LLMSettings(**llm))


class _Models(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"object": "list", "data": [{"id": "local"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def models_server() -> Iterator[int]:
    """An HTTP server on a loopback port answering /v1/models, as a running vLLM would."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Models)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_openai_without_base_url_names_the_setting():
    with pytest.raises(ModelError, match=r"needs llm\.base_url"):
        open_backend(llm_settings(backend="openai"))


def test_openai_without_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("TEST_LLM_API_KEY", raising=False)
    settings = llm_settings(
        backend="openai", base_url="https://api.example.com/v1", api_key_env="TEST_LLM_API_KEY"
    )
    with pytest.raises(ModelError, match=r"API key in \$TEST_LLM_API_KEY; export it"):
        open_backend(settings)


def test_openai_with_key_speaks_to_the_url_with_the_key(monkeypatch):
    monkeypatch.setenv("TEST_LLM_API_KEY", "sk-test")
    settings = llm_settings(
        backend="openai", base_url="https://api.example.com/v1/", api_key_env="TEST_LLM_API_KEY"
    )
    backend = open_backend(settings)
    assert (backend.name, backend.base_url(), backend.api_key()) == (
        "openai",
        "https://api.example.com/v1",
        "sk-test",
    )
    assert backend.extra_body == {}


def test_vllm_with_nobody_listening_names_serve_llm(monkeypatch):
    # The real probe over HTTP, with a short wait: a refused port will not start answering.
    monkeypatch.setattr(backends, "attach", lambda url, timeout: attach(url, timeout=0.5))
    settings = llm_settings(backend="vllm", vllm=VllmSettings(port=free_port()))
    with pytest.raises(ModelError) as caught:
        open_backend(settings)
    message = str(caught.value)
    assert "No vLLM server answers at http://127.0.0.1:" in message and "serve-llm" in message
    assert "\n" not in message


@pytest.mark.parametrize("guided", [True, False])
def test_vllm_requests_carry_the_structured_output_regex_when_guided(models_server, guided):
    settings = llm_settings(backend="vllm", vllm=VllmSettings(port=models_server, guided_citations=guided))
    backend = open_backend(settings)
    assert backend.name == "vllm" and backend.base_url() == f"http://127.0.0.1:{models_server}/v1"
    if guided:
        assert backend.extra_body == {"structured_outputs": {"regex": CITED_SENTENCES}}
    else:
        assert backend.extra_body == {}
