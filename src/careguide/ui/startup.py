"""Checks ``careguide serve`` makes before it opens anything, so that a problem an operator can fix
is one sentence that says how, never a traceback from deep inside the vector store."""

from __future__ import annotations

import os
from pathlib import Path

from careguide.config import Settings
from careguide.errors import UserError
from careguide.ui.workspace.auth import MIN_SECRET_CHARS, SECRET_ENV, SecretError


class StartupError(UserError, ValueError):
    """Something in the setup stops careguide from serving; the message says how to fix it."""


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def check_index_folder(index_dir: Path) -> None:
    """The vector store writes beside its data even to read it (SQLite journal, locks): a folder
    careguide cannot write to is refused here with the fix."""
    if index_dir.exists():
        if not index_dir.is_dir():
            raise StartupError(
                f"The index path {index_dir} is a file, not a folder; set index_dir to a folder."
            )
        stuck = [p for p in (index_dir, *index_dir.rglob("*")) if p.is_dir() and not _writable(p)]
        stuck += [p for p in index_dir.glob("*.sqlite3") if not os.access(p, os.W_OK)]
        if stuck:
            raise StartupError(
                f"The index folder {index_dir} is read-only for this user ({stuck[0]}); give it write "
                f"permission (chmod -R u+w {index_dir}) or set index_dir to a folder careguide can write."
            )
        return
    parent = next((p for p in index_dir.parents if p.exists()), Path("."))
    if not _writable(parent):
        raise StartupError(
            f"The index folder {index_dir} does not exist and cannot be created in read-only {parent}; "
            "set index_dir to a writable folder and run `careguide ingest`."
        )


def check_secret(environ: dict[str, str] | None = None) -> None:
    value = (os.environ if environ is None else environ).get(SECRET_ENV, "")
    if value and len(value) < MIN_SECRET_CHARS:
        raise SecretError(
            f"${SECRET_ENV} is {len(value)} characters, shorter than {MIN_SECRET_CHARS}; set it to a long "
            'random value (`python -c "import secrets; print(secrets.token_hex(32))"`) or unset it.'
        )


def check_startup(settings: Settings) -> None:
    check_secret()
    if settings.vector_store.url is None:
        check_index_folder(settings.index_dir)
