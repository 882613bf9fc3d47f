"""Workspace jobs (drafting, publishing) in the review database, shared by every app process.

The process that runs a job owns its row (``claimed_by``) and renews ``heartbeat_at`` while it
lives, writing the job's progress with it. Any process shows any job. A job whose owner stopped
renewing it (the process died) is *claimed* by another: on PostgreSQL with
``SELECT ... FOR UPDATE SKIP LOCKED``, so two processes never take the same orphan; on SQLite the
writing transaction holds the database's write lock, which serialises claims the same way.
The rows hold what is needed to run a job again (a topic, a material id), never patient text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from careguide.review.database import READ_ONLY_OPTION
from careguide.review.models import JobRow

UNFINISHED = ("queued", "running")
KEEP_FINISHED = 500


@dataclass(frozen=True)
class JobRecord:
    """A job as stored; ``steps`` are ``{"label", "state", "note"}`` dicts."""

    id: str
    kind: str
    owner: str
    title: str
    params: Mapping[str, Any]
    steps: tuple[Mapping[str, str], ...]
    state: str = "queued"
    message: str = ""
    partial: str = ""
    material_id: int | None = None
    created_at: float = 0.0
    finished_at: float | None = None
    claimed_by: str = ""
    heartbeat_at: float = 0.0
    attempts: int = 1
    cancel_requested: bool = False


def _record(row: JobRow) -> JobRecord:
    return JobRecord(
        id=row.id,
        kind=row.kind,
        owner=row.owner,
        title=row.title,
        params=dict(row.params or {}),
        steps=tuple(dict(s) for s in row.steps or ()),
        state=row.state,
        message=row.message or "",
        partial=row.partial or "",
        material_id=row.material_id,
        created_at=row.created_at,
        finished_at=row.finished_at,
        claimed_by=row.claimed_by,
        heartbeat_at=row.heartbeat_at,
        attempts=row.attempts,
        cancel_requested=bool(row.cancel_requested),
    )


class JobTable:
    """The ``workspace_jobs`` table; each method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = engine.execution_options(**{READ_ONLY_OPTION: True})

    def insert(self, record: JobRecord) -> None:
        with Session(self.engine) as session, session.begin():
            session.add(
                JobRow(
                    id=record.id,
                    kind=record.kind,
                    owner=record.owner,
                    title=record.title[:300],
                    params=dict(record.params),
                    steps=[dict(s) for s in record.steps],
                    state=record.state,
                    message=record.message,
                    partial=record.partial,
                    material_id=record.material_id,
                    created_at=record.created_at,
                    finished_at=record.finished_at,
                    claimed_by=record.claimed_by,
                    heartbeat_at=record.heartbeat_at,
                    attempts=record.attempts,
                    cancel_requested=False,
                )
            )

    def save(self, records: Iterable[JobRecord], owner: str, now: float) -> set[str]:
        """Write the progress of jobs ``owner`` still holds and renew their heartbeat; returns the
        ids whose cancelling was asked for (from any process). A job another process has claimed
        meanwhile is left alone."""
        cancelled: set[str] = set()
        with Session(self.engine) as session, session.begin():
            for record in records:
                row = session.get(JobRow, record.id, with_for_update=True)
                if row is None or row.claimed_by != owner:
                    continue
                row.state = record.state
                row.steps = [dict(s) for s in record.steps]
                row.message = record.message
                row.partial = record.partial
                row.material_id = record.material_id
                row.finished_at = record.finished_at
                row.heartbeat_at = now
                if row.cancel_requested:
                    cancelled.add(row.id)
        return cancelled

    def get(self, job_id: str) -> JobRecord | None:
        with Session(self._reader) as session, session.begin():
            row = session.get(JobRow, job_id[:32])
            return _record(row) if row is not None else None

    def unfinished(self) -> list[JobRecord]:
        with Session(self._reader) as session, session.begin():
            rows = session.scalars(
                select(JobRow).where(JobRow.state.in_(UNFINISHED)).order_by(JobRow.created_at)
            )
            return [_record(row) for row in rows]

    def latest_for(self, material_id: int, kinds: Sequence[str]) -> JobRecord | None:
        with Session(self._reader) as session, session.begin():
            row = session.scalars(
                select(JobRow)
                .where(JobRow.material_id == material_id, JobRow.kind.in_(list(kinds)))
                .order_by(JobRow.created_at.desc())
                .limit(1)
            ).first()
            return _record(row) if row is not None else None

    def request_cancel(self, job_id: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.state.in_(UNFINISHED))
                .values(cancel_requested=True)
            )

    def claim_orphans(
        self, kinds: Sequence[str], owner: str, now: float, stale_s: float, limit: int = 1
    ) -> list[JobRecord]:
        """Take over up to ``limit`` unfinished jobs of ``kinds`` whose holder has not renewed them
        for ``stale_s``: they become queued again, held by ``owner``, one attempt more."""
        if not kinds:
            return []
        claimed: list[JobRecord] = []
        with Session(self.engine) as session, session.begin():
            rows = session.scalars(
                select(JobRow)
                .where(
                    JobRow.state.in_(UNFINISHED),
                    JobRow.kind.in_(list(kinds)),
                    JobRow.heartbeat_at < now - stale_s,
                )
                .order_by(JobRow.created_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            for row in rows:
                row.claimed_by = owner
                row.heartbeat_at = now
                row.state = "queued"
                row.partial = ""
                row.attempts += 1
                row.steps = [{**dict(s), "state": "waiting", "note": ""} for s in row.steps or ()]
                session.flush()
                claimed.append(_record(row))
        return claimed

    def forget_finished(self, keep: int = KEEP_FINISHED) -> None:
        """Delete finished jobs beyond the newest ``keep`` (they are status pages, not records)."""
        with Session(self.engine) as session, session.begin():
            old = session.scalars(
                select(JobRow.id)
                .where(JobRow.state.not_in(UNFINISHED))
                .order_by(JobRow.created_at.desc())
                .offset(keep)
            ).all()
            for job_id in old:
                session.delete(session.get(JobRow, job_id))
