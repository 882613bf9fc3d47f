"""Errors a user can cause while ingesting: each names the file and the problem."""

from __future__ import annotations

from pathlib import Path

from careguide.errors import UserError


class LoadError(UserError):
    """A file could not be loaded; ``str()`` is one sentence naming the file and the problem."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class StoreError(UserError):
    """The vector store is unreachable or unusable; the message names the fix."""
