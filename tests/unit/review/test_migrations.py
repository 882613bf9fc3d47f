"""The shipped alembic migrations create exactly the models' schema, on a real SQLite file."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, event, inspect, text

from careguide.review import open_review_store
from careguide.review.database import alembic_config, create_review_engine, upgrade
from careguide.review.models import Base
from tests.unit.review.conftest import sqlite_url


def test_upgrade_head_matches_the_models(tmp_path) -> None:
    url = sqlite_url(tmp_path / "review.db")
    command.upgrade(alembic_config(url), "head")  # `alembic upgrade head`, as an operator runs it
    engine = create_review_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert set(inspect(connection).get_table_names()) == {*Base.metadata.tables, "alembic_version"}
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert context.get_current_revision() == head == "0003"
    engine.dispose()


def test_constraint_names_follow_the_naming_convention(tmp_path) -> None:
    """autogenerate does not compare CHECK constraints, so their names are checked here."""
    path = tmp_path / "review.db"
    open_review_store(sqlite_url(path)).close()
    with sqlite3.connect(path) as raw:
        schemas = dict(raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
    for table in Base.metadata.sorted_tables:
        checks = [c for c in table.constraints if isinstance(c, CheckConstraint)]
        assert checks, f"{table.name} has no CHECK constraint"
        for check in checks:
            assert f"CONSTRAINT {check.name} CHECK" in schemas[table.name]
            assert str(check.name).startswith(f"ck_{table.name}_")


def test_open_creates_folders_enables_wal_and_foreign_keys_and_is_repeatable(tmp_path) -> None:
    path = tmp_path / "a" / "b" / "review.db"
    first = open_review_store(sqlite_url(path))
    with first.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    first.add_user("alice", "password-1")
    first.close()
    with open_review_store(sqlite_url(path)) as second:  # already at head: nothing to do, data kept
        assert [u.username for u in second.list_users()] == ["alice"]


def test_foreign_keys_are_enforced(tmp_path) -> None:
    with open_review_store(sqlite_url(tmp_path / "review.db")) as store, store.engine.connect() as connection:
        try:
            connection.execute(
                text(
                    "INSERT INTO decisions (material_id, version, decision, comment, reviewer, created_at) "
                    "VALUES (7, 1, 'approve', '', 'x', '2026-01-01')"
                )
            )
        except Exception as exc:
            assert "FOREIGN KEY" in str(exc)
        else:
            raise AssertionError("a decision on a missing version was stored")


def test_downgrade_to_base_removes_everything(tmp_path) -> None:
    url = sqlite_url(tmp_path / "review.db")
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = create_review_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()


def test_a_failed_migration_leaves_no_tables(tmp_path) -> None:
    """On SQLite the DDL runs in one transaction, so a crash halfway leaves the file as it was."""
    engine = create_review_engine(sqlite_url(tmp_path / "review.db"))

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().startswith("CREATE TABLE feedback"):
            raise RuntimeError("crash during the migration")

    event.listen(engine, "before_cursor_execute", before)
    with pytest.raises(RuntimeError, match="crash during the migration"):
        upgrade(engine)
    event.remove(engine, "before_cursor_execute", before)
    assert inspect(engine).get_table_names() == []
    upgrade(engine)  # and the next open migrates cleanly
    assert "feedback" in inspect(engine).get_table_names()
    engine.dispose()
