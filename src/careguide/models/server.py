"""The embedded LLM server: llama-cpp-python's OpenAI-compatible server as a child process.

careguide starts it on 127.0.0.1, waits until ``/v1/models`` answers, restarts it if it dies and
stops it on exit; or it attaches to a server that is already running at a URL.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

import httpx

from careguide.models.assembly import ModelError

CITED_GRAMMAR = r"""root ::= sentence (" " sentence){0,3}
sentence ::= body " "? cite+ [.!?]?
body ::= [^\[\]\n.!?]+
cite ::= "[" [1-9] [0-9]? "]"
"""
"""vLLM's CITED_SENTENCES constraint for llama.cpp (GBNF, its ``grammar`` request field), at most 4 sentences.
No '.' inside a sentence at all: with '.' allowed between digits, the 1.5B model that wanted to end
"... people over 60." without a citation wrote "60.1 [2]", a number no passage holds (the checker
then dropped it). A decimal dose cannot be written under this grammar, which is the safe side."""


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to stop the server when careguide dies (even by SIGKILL),
    so a killed app never leaves a model server holding the CPU and memory."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="careguide-model-spawner")
"""Linux sends PR_SET_PDEATHSIG when the *thread* that forked the child exits, not the process. A
server started from a web worker thread (a request that restarted it, the app's start-up thread)
was stopped with that thread: under 8 simultaneous chats most answers failed. Every server is
therefore forked from this one thread, which lives as long as careguide."""


def _spawn(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    # The server's log may echo prompts (patient questions): readable by its owner only.
    with open(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as out:
        return _SPAWNER.submit(
            subprocess.Popen, command, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        ).result()


RUNTIME_MODULES = ("llama_cpp", "sse_starlette", "starlette_context")
"""llama-cpp-python and the extra packages its ``[server]`` variant brings."""


def runtime_problem() -> str | None:
    """Why the embedded llama.cpp server cannot run from this Python (one sentence), or None."""
    missing = [name for name in RUNTIME_MODULES if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"The model runtime llama-cpp-python[server] is not installed in {sys.prefix} "
        f"(missing: {', '.join(missing)}); run `make llm` (builds it once, 5 to 10 minutes on 2 "
        "cores, then cached under ~/.cache/careguide) or set llm.base_url to a running server."
    )


def exit_reason(returncode: int | None) -> str:
    """Words for how the server process ended, for the log and /healthz."""
    if returncode is None:
        return ""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = {
            "SIGILL": " (an instruction this CPU lacks: rebuild the runtime for this machine with "
            "`rm -rf .venv/.llama-* && make llm`)",
            "SIGKILL": " (usually out of memory: free memory or choose the smaller model)",
        }.get(name, "")
        return f" The server was killed by {name}{hint}."
    return f" The server exited with status {returncode}."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(
    base_url: str, timeout: float, alive: Callable[[], bool] | None = None, api_key: str | None = None
) -> None:
    """Poll ``/v1/models`` until it answers; fail early if the process died.

    A server started with an API key answers ``/v1/models`` only to requests that carry it.
    """
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise ModelError("The LLM server exited while starting; see its log.")
        try:
            if httpx.get(f"{base_url}/models", headers=headers, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise ModelError(
        f"The LLM server at {base_url} did not become ready within {timeout:.0f} s; on a busy or slow "
        "machine raise llm.start_timeout_s."
    )


def attach(base_url: str, timeout: float = 5) -> str:
    """Check that an OpenAI-compatible server answers at ``base_url`` (ending in /v1)."""
    try:
        wait_until_ready(base_url.rstrip("/"), timeout)
    except ModelError:
        raise ModelError(
            f"Cannot reach the LLM server at {base_url}; start it or fix llm.base_url."
        ) from None
    return base_url.rstrip("/")


class LlamaServer:
    """llama_cpp.server for one GGUF file, on a loopback port."""

    def __init__(
        self,
        model: Path,
        log: Path,
        port: int | None = None,
        n_ctx: int = 4096,
        n_threads: int = 2,
        alias: str = "local",
        api_key: str | None = None,
    ) -> None:
        self.model = model
        self.log = log
        self.port = port or free_port()
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.alias = alias
        self.api_key = api_key
        """Clients must send it as a bearer token (the server then acts like a hosted OpenAI API)."""
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model), "--model_alias", self.alias,
            "--n_ctx", str(self.n_ctx), "--n_threads", str(self.n_threads),
            "--host", "127.0.0.1", "--port", str(self.port),
            # By default a new request cuts the answer being streamed short: with two patients at
            # once, one of them got a truncated draft (and so the abstention). Queue them instead.
            "--interrupt_requests", "False",
            *(["--api_key", self.api_key] if self.api_key else []),
        ]  # fmt: skip

    def start(self, timeout: float = 180) -> str:
        if not self.model.is_file():
            raise ModelError(f"Model file {self.model} does not exist; run `careguide models pull`.")
        problem = runtime_problem()
        if problem is not None:
            raise ModelError(problem)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.process = _spawn(self.command(), self.log)
        try:
            wait_until_ready(self.base_url, timeout, alive=self.alive, api_key=self.api_key)
        except ModelError as exc:
            ended = exit_reason(self.process.poll() if self.process is not None else None)
            self.stop()
            tail = self.log.read_text(errors="replace").strip().splitlines()[-1:] or [""]
            raise ModelError(f"{exc}{ended} Last line of {self.log}: {tail[0][:200]}") from None
        return self.base_url

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ensure_running(self) -> str:
        """Restart the server if it died (e.g. killed for memory); returns the base URL."""
        if not self.alive():
            self.restarts += 1
            self.start()
        return self.base_url

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def __enter__(self) -> LlamaServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
