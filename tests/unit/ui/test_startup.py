"""`careguide serve` refuses a short session secret or an index folder it cannot write with one
sentence (exit status 2), before it opens anything."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from careguide import cli
from careguide.ui import startup
from careguide.ui.startup import StartupError, check_index_folder

runner = CliRunner()


@pytest.fixture(autouse=True)
def keep_umask():
    """The CLI sets the process umask to 077; other tests in this process keep theirs."""
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


def serve(monkeypatch: pytest.MonkeyPatch, tmp_path, secret: str = "") -> object:
    monkeypatch.setenv("CAREGUIDE_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("CAREGUIDE_REVIEW__DATABASE_URL", f"sqlite:///{tmp_path / 'review.db'}")
    if secret:
        monkeypatch.setenv("CAREGUIDE_SESSION_SECRET", secret)
    else:
        monkeypatch.delenv("CAREGUIDE_SESSION_SECRET", raising=False)
    return runner.invoke(cli.app, ["serve", "--port", "1"])


def one_sentence(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) <= 3 and "Traceback" not in output, output
    return " ".join(lines)


def test_a_short_session_secret_is_one_sentence(monkeypatch, tmp_path) -> None:
    result = serve(monkeypatch, tmp_path, secret="too-short")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    text = one_sentence(result.output)  # type: ignore[attr-defined]
    assert "CAREGUIDE_SESSION_SECRET" in text and "shorter than 32" in text and "token_hex" in text


def test_a_read_only_index_folder_is_one_sentence(monkeypatch, tmp_path) -> None:
    index = tmp_path / "index"
    (index / "chroma").mkdir(parents=True)
    real = os.access
    # Root (as in containers) may write anywhere, so the permission answer is what is faked here.
    monkeypatch.setattr(startup.os, "access", lambda p, mode: real(p, mode) and "index" not in str(p))
    result = serve(monkeypatch, tmp_path)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    text = one_sentence(result.output)  # type: ignore[attr-defined]
    assert "read-only" in text and "chmod -R u+w" in text


def test_index_folder_checks(tmp_path, monkeypatch) -> None:
    check_index_folder(tmp_path / "new" / "index")  # missing but creatable: fine
    (tmp_path / "file").write_text("x")
    with pytest.raises(StartupError, match="is a file"):
        check_index_folder(tmp_path / "file")
    monkeypatch.setattr(startup.os, "access", lambda p, mode: False)
    with pytest.raises(StartupError, match="cannot be created"):
        check_index_folder(tmp_path / "missing" / "index")
