"""vLLM: `careguide serve-llm` runs `vllm serve` with the llm.vllm settings as a child process.

vLLM is the production backend on a GPU server (configs/vllm.yaml); it is not a dependency of
careguide and lives in an environment of its own (`llm.vllm.executable`). The server process is
supervised like the embedded llama.cpp server: started, waited for until ``/v1/models`` answers,
and stopped cleanly (Ctrl-C and SIGTERM are forwarded, so vLLM frees the GPU before it exits).

With ``llm.vllm.guided_citations`` the requests carry vLLM's structured-output regex
(:data:`CITED_SENTENCES`): the model can only produce sentences that end in a ``[n]`` citation,
which careguide's citation check then verifies against the passages.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from careguide.config import Settings
from careguide.models.assembly import ModelError
from careguide.models.server import wait_until_ready

_BODY = r"(?:[^\[\]\n.!?]|[0-9]\.[0-9])+"
"""A sentence's text: no brackets, no line break, no sentence end; '.' only between digits (2.5 mg).
A lone '.' followed by a digit is not enough: a model that wants to end an uncited sentence would
otherwise escape into "blue.0000…" instead of writing the citation."""
CITED_SENTENCES = rf"(?:{_BODY} ?(?:\[[1-9][0-9]?\])+[.!?]?)+"
"""One or more sentences, each ending in one or more ``[n]`` markers ("Text [1]." as rendered)."""
STOP_TIMEOUT_S = 30.0


def guided_citations_body() -> dict[str, Any]:
    """The request field of vLLM >= 0.12 (`structured_outputs`) that constrains the answer to
    cited sentences; vLLM ignores unknown fields such as the older ``guided_regex`` silently."""
    return {"structured_outputs": {"regex": CITED_SENTENCES}}


def vllm_command(settings: Settings) -> list[str]:
    """The `vllm serve` argv for the llm.vllm settings (the served name is llm.served_model)."""
    v = settings.llm.vllm
    return [
        v.executable, "serve", v.model, "--served-model-name", settings.llm.served_model,
        "--host", v.host, "--port", str(v.port), "--tensor-parallel-size", str(v.tensor_parallel_size),
        "--max-model-len", str(v.max_model_len), "--dtype", v.dtype,
        "--gpu-memory-utilization", str(v.gpu_memory_utilization),
        "--enable-prefix-caching" if v.enable_prefix_caching else "--no-enable-prefix-caching",
        *v.extra_args,
    ]  # fmt: skip


def check_executable(executable: str) -> str:
    """The full path of the `vllm` command, or a ModelError naming how to get one."""
    found = shutil.which(executable)
    if found is None:
        raise ModelError(
            f"The vLLM command {executable!r} was not found; install vLLM (`make test-vllm` sets up "
            "a CPU build in .venv-vllm) or set llm.vllm.executable."
        )
    return found


def is_local_model(model: str) -> bool:
    """A model directory rather than a hub id ("gpt2", "Qwen/Qwen2.5-1.5B-Instruct"): it exists, or
    it is spelled like a path."""
    path = Path(model).expanduser()
    return path.exists() or model.startswith(("/", ".", "~")) or model.count("/") > 1


def check_model(model: str) -> None:
    """Fail before vLLM spends a minute starting when the model cannot be there."""
    if not model:
        raise ModelError(
            "llm.vllm.model is empty; set it to a Hugging Face model directory or hub id "
            "(see configs/vllm.yaml)."
        )
    path = Path(model).expanduser()
    if is_local_model(model) and not (path / "config.json").is_file():
        raise ModelError(
            f"Model directory {model} does not exist or has no config.json; fix llm.vllm.model "
            "(`make test-vllm` converts the packaged GGUF into ~/.cache/careguide/hf/)."
        )


class VllmServer:
    """`vllm serve` as a child process in its own process group, on the llm.vllm host and port.

    With ``log`` the server's output goes to that file (tests); without it, to this terminal
    (`careguide serve-llm`).
    """

    def __init__(self, settings: Settings, log: Path | None = None) -> None:
        self.settings = settings
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.interrupted = False

    @property
    def base_url(self) -> str:
        v = self.settings.llm.vllm
        host = "127.0.0.1" if v.host in ("0.0.0.0", "::", "") else v.host
        return f"http://{host}:{v.port}/v1"

    def command(self) -> list[str]:
        return vllm_command(self.settings)

    def start(self, timeout: float | None = None) -> str:
        """Start vLLM and wait until it serves; raises ModelError with the fix or the last log line."""
        command = self.command()
        command[0] = check_executable(command[0])
        check_model(self.settings.llm.vllm.model)
        self.interrupted = False
        if self.log is None:
            self.process = subprocess.Popen(command, start_new_session=True)
        else:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
        try:
            wait_until_ready(self.base_url, timeout or self.settings.llm.start_timeout_s, alive=self.alive)
        except ModelError as exc:
            if self.interrupted:
                raise
            self.stop()
            raise ModelError(f"{exc}{self._log_tail()}") from None
        return self.base_url

    def _log_tail(self) -> str:
        if self.log is None or not self.log.is_file():
            return ""
        lines = self.log.read_text(errors="replace").strip().splitlines()
        return f" Last log line: {lines[-1][:200]}" if lines else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def forward(self, signum: int) -> None:
        """Pass a signal to vLLM's process group; a second Ctrl-C kills it outright."""
        if not self.alive():
            return
        assert self.process is not None
        sig = signal.SIGKILL if self.interrupted else signum
        self.interrupted = True
        _signal_group(self.process, sig)

    def wait(self) -> int:
        """Wait for vLLM to exit; its exit code, 128 + the signal number if a signal ended it."""
        if self.process is None:
            return 0
        code = self.process.wait()
        return 128 - code if code < 0 else code

    def stop(self) -> None:
        """SIGTERM to the whole group (vLLM's engine runs in child processes), SIGKILL if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGKILL)
                self.process.wait(timeout=10)
        _signal_group(self.process, signal.SIGKILL)  # orphaned engine workers, if any
        self.process = None

    def __enter__(self) -> VllmServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


@contextmanager
def forwarded_signals(handler: Callable[[int], None]) -> Iterator[None]:
    """Route Ctrl-C and SIGTERM to ``handler`` while serving; the previous handlers come back after."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        handler(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_serve_llm(settings: Settings, dry_run: bool = False) -> int:
    """`careguide serve-llm`: run vLLM until it exits or is stopped; returns its exit code."""
    if dry_run:
        print(shlex.join(vllm_command(settings)))
        return 0
    server = VllmServer(settings)
    with forwarded_signals(server.forward):
        try:
            started = time.monotonic()
            try:
                url = server.start()
            except ModelError:
                if server.interrupted:
                    return server.wait()
                raise
            print(
                f"vLLM serves {settings.llm.served_model!r} at {url} (ready in "
                f"{time.monotonic() - started:.0f} s); Ctrl-C stops it.",
                flush=True,
            )
            return server.wait()
        finally:
            server.stop()
