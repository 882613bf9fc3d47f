"""`careguide users add|list` on a real review database (registered here as the CLI will)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from careguide.cli.review import users_app
from careguide.review import open_review_store
from tests.unit.review.conftest import sqlite_url

app = typer.Typer()
app.add_typer(users_app, name="users")
runner = CliRunner()


@pytest.fixture
def url(tmp_path, monkeypatch) -> str:
    database = sqlite_url(tmp_path / "cli.db")
    monkeypatch.setenv("CAREGUIDE_REVIEW__DATABASE_URL", database)
    return database


def test_add_from_stdin_then_list(url: str) -> None:
    result = runner.invoke(
        app, ["users", "add", "alice", "--role", "admin", "--password-stdin"], input="s3cret-pass\n"
    )
    assert result.exit_code == 0, result.output
    assert "Added admin 'alice'." in result.output
    with open_review_store(url, bcrypt_rounds=4) as store:
        assert store.authenticate("alice", "s3cret-pass") is not None
    listed = runner.invoke(app, ["users", "list"])
    assert listed.exit_code == 0 and "alice\tadmin\t" in listed.output


def test_add_prompts_twice_with_hidden_input(url: str) -> None:
    result = runner.invoke(app, ["users", "add", "bob"], input="first-pass\nfirst-pass\n")
    assert result.exit_code == 0, result.output
    assert "first-pass" not in result.output  # hidden
    assert "Added clinician 'bob'." in result.output


def test_mismatched_prompt_asks_again(url: str) -> None:
    result = runner.invoke(
        app, ["users", "add", "bob"], input="first-pass\nother-pass\nfinal-pass\nfinal-pass\n"
    )
    assert result.exit_code == 0, result.output
    with open_review_store(url) as store:
        assert store.authenticate("bob", "final-pass") is not None


def test_user_errors_are_one_line_and_exit_2(url: str) -> None:
    runner.invoke(app, ["users", "add", "alice", "--password-stdin"], input="s3cret-pass\n")
    duplicate = runner.invoke(app, ["users", "add", "alice", "--password-stdin"], input="another-pass\n")
    assert duplicate.exit_code == 2
    assert "User 'alice' already exists; choose another username." in duplicate.output
    assert "Traceback" not in duplicate.output
    short = runner.invoke(app, ["users", "add", "carol", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "shorter than 8 characters" in short.output
    role = runner.invoke(
        app, ["users", "add", "carol", "--role", "nurse", "--password-stdin"], input="long-enough\n"
    )
    assert role.exit_code != 0


def test_list_when_empty(url: str) -> None:
    result = runner.invoke(app, ["users", "list"])
    assert result.exit_code == 0 and "No users yet" in result.output
