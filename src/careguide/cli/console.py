"""Shared command-line plumbing: settings for the chosen profile, one-line user errors, progress."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from careguide.config import Settings, load_settings
from careguide.errors import UserError

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class State:
    profile: Path | None = None


def settings() -> Settings:
    return load_settings(State.profile)


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into one line and exit status 2, never a traceback."""
    try:
        yield
    except (UserError, FileNotFoundError) as exc:
        raise fail(str(exc)) from None


class RichObserver:
    """Shows ingest progress as rich progress bars and warnings above them."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def phase(self, name: str, total: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[-1].total)
        self.task = self.progress.add_task(name, total=total)

    def advance(self, amount: int = 1) -> None:
        self.progress.advance(self.task, amount)

    def warn(self, message: str) -> None:
        self.progress.console.print(f"[yellow]{message}[/]", highlight=False)


def progress_bar(console: Console = err) -> Progress:
    return Progress(
        TextColumn("{task.description:<26}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
    )
