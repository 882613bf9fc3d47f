"""Failed workspace sign-ins in the review database, so every app process behind a proxy counts
the same failures (the ``FailureLog`` of ``ui.workspace.auth.Throttle``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from careguide.review.database import READ_ONLY_OPTION
from careguide.review.models import LoginFailureRow

KEEP_S = 24 * 3600.0
"""Failures older than this are deleted when a new one is recorded (longer than any window)."""


class DatabaseFailures:
    """A failure log in the ``login_failures`` table; each call is one short transaction."""

    def __init__(self, engine: Engine, keep_s: float = KEEP_S) -> None:
        self.engine = engine
        self.keep_s = keep_s
        self._reader = engine.execution_options(**{READ_ONLY_OPTION: True})

    def times(self, keys: Sequence[str], since: float) -> dict[str, list[float]]:
        if not keys:
            return {}
        found: dict[str, list[float]] = {}
        with Session(self._reader) as session, session.begin():
            rows = session.execute(
                select(LoginFailureRow.key, LoginFailureRow.failed_at)
                .where(LoginFailureRow.key.in_(list(keys)), LoginFailureRow.failed_at > since)
                .order_by(LoginFailureRow.failed_at, LoginFailureRow.id)
            )
            for key, at in rows:
                found.setdefault(key, []).append(float(at))
        return found

    def add(self, keys: Sequence[str], at: float) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(delete(LoginFailureRow).where(LoginFailureRow.failed_at < at - self.keep_s))
            session.add_all(LoginFailureRow(key=key[:200], failed_at=at) for key in keys)

    def remove(self, keys: Sequence[str]) -> None:
        if keys:
            with Session(self.engine) as session, session.begin():
                session.execute(delete(LoginFailureRow).where(LoginFailureRow.key.in_(list(keys))))

    def remove_prefix(self, prefix: str) -> int:
        matches = LoginFailureRow.key.startswith(prefix, autoescape=True)
        with Session(self.engine) as session, session.begin():
            count = session.scalar(select(func.count(func.distinct(LoginFailureRow.key))).where(matches))
            session.execute(delete(LoginFailureRow).where(matches))
        return int(count or 0)
