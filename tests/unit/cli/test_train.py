"""`careguide train-harm-classifier`: a wrong option is refused before anything is loaded or written."""

from __future__ import annotations

from typer.testing import CliRunner

from careguide.cli import app

runner = CliRunner()


def test_an_unknown_kind_is_one_clear_sentence_and_writes_nothing(tmp_path) -> None:
    target = tmp_path / "weights.json"
    result = runner.invoke(app, ["train-harm-classifier", "--kind", "violence", "--output", str(target)])
    assert result.exit_code != 0
    assert "--kind must be medical or general, not 'violence'." in result.output
    assert not target.exists()


def test_help_names_the_two_kinds() -> None:
    result = runner.invoke(app, ["train-harm-classifier", "--help"])
    assert result.exit_code == 0
    assert "medical" in result.output and "general" in result.output
