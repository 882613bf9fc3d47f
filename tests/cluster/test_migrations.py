"""Several app processes starting at once against an empty PostgreSQL database: one migrates it
(under the advisory lock), the others wait and find it current; nobody fails halfway."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from careguide.review.database import alembic_config
from careguide.review.models import Base
from tests.cluster.harness import ROOT, Cluster

START = """
import sys, time
from careguide.review import open_review_store
until = float(sys.argv[2])
time.sleep(max(0.0, until - time.time()))  # every process opens the store at the same moment
open_review_store(sys.argv[1]).close()
"""


def test_processes_starting_at_once_migrate_an_empty_database_exactly_once(cluster: Cluster) -> None:
    url = cluster.postgres.create_database("migrate_race")
    at = time.time() + 3
    processes = [
        subprocess.Popen([sys.executable, "-c", START, url, str(at)], cwd=ROOT, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=300)[1].decode(errors="replace") for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], errors  # without the lock, all but one fail
    engine = create_engine(url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert versions == [ScriptDirectory.from_config(alembic_config()).get_current_head()]
    assert tables == {*Base.metadata.tables, "alembic_version"}


def test_the_audit_table_refuses_changes_on_postgresql(cluster: Cluster) -> None:
    engine = create_engine(cluster.database_url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO audit_events (recorded_at, stage, entry) VALUES (now(), 'test', '{}')")
        )
    for statement in ("UPDATE audit_events SET stage = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    engine.dispose()
