"""Engines for the review database and its migrations.

SQLite (the default, one file) is set up for several processes at once: WAL journal (readers never
block the writer), foreign keys on, and every writing transaction opened with ``BEGIN IMMEDIATE``,
so it takes the write lock before it reads and two writers queue on the busy timeout instead of
failing halfway. Connections marked ``READ_ONLY_OPTION`` open a plain deferred transaction instead:
a snapshot that blocks no writer. pysqlite's own implicit transactions are switched off for this
(the SQLAlchemy "pysqlite serializable" recipe); it also makes DDL transactional, so a migration is
all or nothing.
PostgreSQL URLs are used as given. There, migrations run under a transaction-level advisory lock, so
when several app processes start at once against one database exactly one migrates it and the
others wait, then find it at the newest revision and do nothing.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url

from careguide.review.types import ReviewError

DEFAULT_DATABASE_URL = "sqlite:///data/careguide.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATION_LOCK_KEY = 0x63617265_6775_6964 & 0x7FFF_FFFF_FFFF_FFFF
"""PostgreSQL advisory lock key held while migrating (any constant; this one spells "careguid")."""
READ_ONLY_OPTION = "careguide_read_only"
"""Execution option of connections that only read: on SQLite they open a deferred transaction."""


def database_url(settings: object) -> str:
    """The review database URL of ``settings`` (``review.database_url``), or the default file."""
    url = getattr(getattr(settings, "review", None), "database_url", DEFAULT_DATABASE_URL)
    return str(url)


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def create_review_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their folder created and the pragmas above."""
    try:
        sqlite_file = sqlite_path(url)
    except Exception:  # sqlalchemy raises ArgumentError and ValueError for unparsable URLs
        raise ReviewError(
            f"Review database URL '{url}' is not a valid SQLAlchemy URL; use e.g. "
            f"{DEFAULT_DATABASE_URL} or postgresql+psycopg://user@host/db."
        ) from None
    if sqlite_file is not None:
        sqlite_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # SQLite gives the -wal and -shm files the database file's mode: owner-only for all three.
        os.close(os.open(sqlite_file, os.O_WRONLY | os.O_CREAT, 0o600))
        with contextlib.suppress(PermissionError):  # a database another user owns keeps its mode
            os.chmod(sqlite_file, 0o600)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see module docstring)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def alembic_config(url: str | None = None) -> Config:
    """An alembic configuration pointing at the migrations shipped in this package (no .ini file)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` in one transaction (under SQLite's write lock, or a
    PostgreSQL advisory lock taken first: two processes starting at once migrate it once)."""
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
