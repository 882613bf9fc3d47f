"""The review database schema (SQLAlchemy 2.0 typed models).

The migrations in ``migrations/versions`` create exactly this schema; a unit test compares the two
with alembic's autogenerate so they cannot drift. Constraint names come from one naming convention
so that later migrations can alter them by name on every backend. Allowed values (roles, statuses)
are enforced by CHECK constraints, so a second writer (a script, a psql session) cannot store a
status the application does not know.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite keeps no offset and hands back naive values; PostgreSQL hands back the session's zone.
    Both come back here as aware UTC datetimes, and naive values are refused on the way in so that
    local times are never stored by mistake.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Timestamps must be timezone-aware; pass datetime.now(UTC).")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('clinician', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, default=None)
    """Set while the account is disabled: it cannot sign in and its sessions are refused."""


class SessionRow(Base):
    """A workspace sign-in, checked on every request so that signing out (in any process), a
    disabled account or a changed role takes effect at once and survives restarts."""

    __tablename__ = "user_sessions"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="expiry"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the session id: the database alone cannot be turned into valid cookies."""
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, default=None)


class MaterialRow(Base):
    __tablename__ = "materials"
    __table_args__ = (
        CheckConstraint("format IN ('handout', 'faq')", name="format"),
        CheckConstraint("status IN ('draft', 'approved', 'rejected')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(64))
    reading_level: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True, default="draft")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class VersionRow(Base):
    __tablename__ = "material_versions"
    __table_args__ = (
        UniqueConstraint("material_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    grade: Mapped[float | None] = mapped_column(Float)
    author: Mapped[str] = mapped_column(String(64))
    change_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class DecisionRow(Base):
    """A decision names the exact version it was taken on (a composite key into the versions)."""

    __tablename__ = "decisions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["material_id", "version"],
            ["material_versions.material_id", "material_versions.version"],
            ondelete="CASCADE",
        ),
        CheckConstraint("decision IN ('approve', 'reject')", name="decision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class FeedbackRow(Base):
    """A patient's rating of one answer; question and comment arrive already redacted."""

    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("rating IN (-1, 1)", name="rating"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class QueueItemRow(Base):
    """An answer waiting for a clinician's annotation; annotated items become the eval set."""

    __tablename__ = "queue_items"
    __table_args__ = (
        CheckConstraint("kind IN ('feedback', 'flagged')", name="kind"),
        CheckConstraint("status IN ('open', 'done')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True, default="open")
    annotation: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(String(64))
    expected_answer: Mapped[str | None] = mapped_column(Text)
    annotated_by: Mapped[str | None] = mapped_column(String(64))
    annotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


# State that several app processes share (login throttling, workspace jobs, the audit log).


class LoginFailureRow(Base):
    """One failed sign-in for a throttle key (an account at an address, or an address)."""

    __tablename__ = "login_failures"
    __table_args__ = (CheckConstraint("failed_at > 0", name="time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    failed_at: Mapped[float] = mapped_column(Float)
    """Seconds since the epoch (every process's clock, so never a monotonic one)."""


class JobRow(Base):
    """A workspace job (drafting, publishing) that any app process can show, run or pick up again."""

    __tablename__ = "workspace_jobs"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed', 'cancelled')", name="state"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What is needed to run the job again in another process (no PHI: a topic, a material id)."""
    steps: Mapped[list[Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    partial: Mapped[str] = mapped_column(Text, default="")
    material_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    claimed_by: Mapped[str] = mapped_column(String(64))
    """The process running (or holding) the job."""
    heartbeat_at: Mapped[float] = mapped_column(Float)
    """Renewed by that process while it lives; a stale heartbeat means the job is orphaned."""
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEventRow(Base):
    """One audit entry (the same redacted JSON as a line of the audit file); rows are only added."""

    __tablename__ = "audit_events"
    __table_args__ = (CheckConstraint("stage <> ''", name="stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, index=True)
    stage: Mapped[str] = mapped_column(String(32))
    entry: Mapped[dict[str, Any]] = mapped_column(JSON)
