"""The audit log in the review database: one row per entry of ``guardrails.AuditLog`` (the same
redacted, PHI-free JSON as a line of the audit file), shared by every app process. Rows are only
ever added; on PostgreSQL a trigger refuses UPDATE and DELETE on the table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from careguide.review.database import READ_ONLY_OPTION
from careguide.review.models import AuditEventRow


class DatabaseAuditSink:
    """An ``AuditSink`` writing to the ``audit_events`` table, one transaction per entry."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = engine.execution_options(**{READ_ONLY_OPTION: True})

    def append(self, entry: Mapping[str, object]) -> None:
        stage = str(entry.get("stage", "")) or "unknown"
        with Session(self.engine) as session, session.begin():
            session.add(AuditEventRow(stage=stage[:32], entry=dict(entry)))

    def entries(self, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest ``limit`` entries, oldest first (for reviews and tests)."""
        with Session(self._reader) as session, session.begin():
            rows = session.scalars(select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(limit))
            return [dict(row.entry) for row in reversed(list(rows))]
