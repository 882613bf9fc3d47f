"""What the log and /healthz say when the embedded model cannot start."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from careguide.models import ModelError, server
from careguide.models.server import LlamaServer, exit_reason, runtime_problem


def test_missing_runtime_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server.importlib.util, "find_spec", lambda name: None)
    problem = runtime_problem()
    assert problem is not None and "llama-cpp-python" in problem and "`make llm`" in problem


def test_start_without_runtime_fails_before_spawning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setattr(
        server, "runtime_problem", lambda: "The model runtime is not installed; run `make llm`."
    )
    monkeypatch.setattr(server, "_spawn", lambda *a: pytest.fail("spawned without a runtime"))
    with pytest.raises(ModelError, match="make llm"):
        LlamaServer(model, tmp_path / "log").start(1)


def test_exit_reasons_in_words() -> None:
    assert "SIGILL" in exit_reason(-signal.SIGILL) and "make llm" in exit_reason(-signal.SIGILL)
    assert "out of memory" in exit_reason(-signal.SIGKILL)
    assert exit_reason(1) == " The server exited with status 1."
    assert exit_reason(None) == ""
