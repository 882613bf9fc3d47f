"""The review store: users, materials with versions and decisions, feedback and the review queue.

Every public method is one transaction (``Session.begin()``): it commits as a whole or, on any
error, rolls back, so the database never holds half of an operation (a material without its first
version, a decision without its status). Methods return the frozen values of ``types.py``.
"""

from __future__ import annotations

import difflib
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

import bcrypt
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from careguide.review.accounts import AccountsMixin, user_of
from careguide.review.database import READ_ONLY_OPTION, create_review_engine, upgrade
from careguide.review.fields import MAX_ROW_ID, choice, text_field
from careguide.review.models import (
    DecisionRow,
    MaterialRow,
    UserRow,
    VersionRow,
    utc_now,
)
from careguide.review.queue import FeedbackQueueMixin
from careguide.review.types import (
    DECISIONS,
    FORMATS,
    ROLES,
    STATUSES,
    Decision,
    DecisionKind,
    HistoryEntry,
    Material,
    MaterialCitation,
    MaterialFormat,
    MaterialStatus,
    ReviewError,
    Role,
    User,
    Version,
)

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further; longer passwords are refused, not truncated
DEFAULT_BCRYPT_ROUNDS = 12

CitationInput = MaterialCitation | Mapping[str, Any]


def _citations(citations: Iterable[CitationInput]) -> list[MaterialCitation]:
    return [c if isinstance(c, MaterialCitation) else MaterialCitation.from_json(c) for c in citations]


def _user(row: UserRow) -> User:
    return user_of(row)


def _version(row: VersionRow) -> Version:
    return Version(
        material_id=row.material_id,
        version=row.version,
        body=row.body,
        citations=tuple(MaterialCitation.from_json(c) for c in row.citations),
        grade=row.grade,
        author=row.author,
        change_note=row.change_note,
        created_at=row.created_at,
    )


def _material(row: MaterialRow, latest: VersionRow) -> Material:
    version = _version(latest)
    return Material(
        id=row.id,
        topic=row.topic,
        audience=row.audience,
        reading_level=row.reading_level,
        format=cast(MaterialFormat, row.format),
        status=cast(MaterialStatus, row.status),
        created_by=row.created_by,
        created_at=row.created_at,
        version=version.version,
        body=version.body,
        citations=version.citations,
        grade=version.grade,
        updated_by=version.author,
        updated_at=version.created_at,
    )


def diff_bodies(old: str, new: str, old_name: str, new_name: str) -> str:
    """A unified diff of two bodies, line by line, as reviewers read it."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_name, tofile=new_name, lineterm=""
    )
    return "\n".join(lines)


class ReviewStore(AccountsMixin, FeedbackQueueMixin):
    """The clinician review workspace over one database (see the module docstring)."""

    def __init__(self, engine: Engine, bcrypt_rounds: int = DEFAULT_BCRYPT_ROUNDS) -> None:
        self.engine = engine
        self._reader = engine.execution_options(**{READ_ONLY_OPTION: True})
        self.bcrypt_rounds = bcrypt_rounds
        self._dummy_hash: bytes | None = None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Session]:
        """One session, one transaction: commit on success, roll back on any exception.

        On SQLite a writing transaction takes the write lock at once; a reading one reads a
        snapshot and blocks no writer (see ``database.py``).
        """
        bind = self.engine if write else self._reader
        with Session(bind, expire_on_commit=False) as session, session.begin():
            yield session

    # Users

    def add_user(self, username: str, password: str, role: Role = "clinician") -> User:
        """Create a user with a bcrypt-hashed password."""
        username = text_field("username", username, limit=64)
        choice("role", role, ROLES)
        if len(password) < MIN_PASSWORD_CHARS:
            raise ReviewError(
                f"The password is shorter than {MIN_PASSWORD_CHARS} characters; choose a longer one."
            )
        secret = password.encode("utf-8")
        if len(secret) > MAX_PASSWORD_BYTES:
            raise ReviewError(
                f"The password is longer than {MAX_PASSWORD_BYTES} bytes, which bcrypt cannot check; "
                f"choose a shorter one."
            )
        hashed = bcrypt.hashpw(secret, bcrypt.gensalt(self.bcrypt_rounds)).decode("ascii")
        try:
            with self._transaction() as session:
                if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
                    raise ReviewError(f"User '{username}' already exists; choose another username.")
                row = UserRow(username=username, password_hash=hashed, role=role, created_at=utc_now())
                session.add(row)
                session.flush()
                return _user(row)
        except IntegrityError:  # another process added the same name between our check and insert
            raise ReviewError(f"User '{username}' already exists; choose another username.") from None

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password matches, else None; the time taken does not reveal which part failed.

        An unknown username still costs one bcrypt check (against a throwaway hash of the same cost).
        """
        with self._transaction(write=False) as session:
            row = session.scalar(select(UserRow).where(UserRow.username == username.strip()))
            user = _user(row) if row is not None and row.disabled_at is None else None
            stored = row.password_hash.encode("ascii") if row is not None else self._throwaway_hash()
        secret = password.encode("utf-8")
        if len(secret) > MAX_PASSWORD_BYTES:
            secret = b""  # never a valid password; still spend the hash below
            user = None
        matches = bcrypt.checkpw(secret, stored)
        return user if matches and user is not None else None

    def _throwaway_hash(self) -> bytes:
        if self._dummy_hash is None:
            self._dummy_hash = bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(self.bcrypt_rounds))
        return self._dummy_hash

    def list_users(self) -> list[User]:
        with self._transaction(write=False) as session:
            return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.username))]

    # Materials

    def create_material(
        self,
        topic: str,
        audience: str,
        reading_level: str,
        format: MaterialFormat,
        body: str,
        citations: Iterable[CitationInput],
        grade: float | None,
        author: str,
    ) -> int:
        """Create a draft material with its first version; returns the material id."""
        topic = text_field("topic", topic, limit=200)
        choice("format", format, FORMATS)
        body = text_field("body", body)
        author = text_field("author", author, limit=64)
        cited = _citations(citations)
        with self._transaction() as session:
            material = MaterialRow(
                topic=topic,
                audience=audience.strip()[:64],
                reading_level=reading_level.strip()[:32],
                format=format,
                status="draft",
                created_by=author,
                created_at=utc_now(),
            )
            session.add(material)
            session.flush()
            session.add(self._version_row(material.id, 1, body, cited, grade, author, "First version."))
            return material.id

    @staticmethod
    def _version_row(
        material_id: int,
        number: int,
        body: str,
        citations: list[MaterialCitation],
        grade: float | None,
        author: str,
        note: str,
    ) -> VersionRow:
        return VersionRow(
            material_id=material_id,
            version=number,
            body=body,
            citations=[c.to_json() for c in citations],
            grade=grade,
            author=author,
            change_note=note,
            created_at=utc_now(),
        )

    def edit(
        self,
        material_id: int,
        body: str,
        author: str,
        change_note: str,
        citations: Iterable[CitationInput] | None = None,
        grade: float | None = None,
    ) -> Version:
        """Write a new version; the material goes back to draft, since its text is unreviewed.

        ``citations=None`` keeps the previous version's citations. ``grade=None`` records the grade
        as unknown: the previous grade described other text.
        """
        body = text_field("body", body)
        author = text_field("author", author, limit=64)
        note = text_field("change note", change_note)
        cited = None if citations is None else _citations(citations)
        with self._transaction() as session:
            material = self._material_row(session, material_id, lock=True)
            latest = self._latest(session, material_id)
            if body == latest.body and cited is None:
                raise ReviewError(
                    f"Material {material_id} is unchanged from version {latest.version}; edit the text first."
                )
            kept = cited if cited is not None else [MaterialCitation.from_json(c) for c in latest.citations]
            row = self._version_row(material_id, latest.version + 1, body, kept, grade, author, note)
            session.add(row)
            material.status = "draft"
            session.flush()
            return _version(row)

    def decide(self, material_id: int, decision: DecisionKind, reviewer: str, comment: str = "") -> Material:
        """Approve or reject the latest version; a rejection needs a comment saying what to change.

        Deciding the same thing twice on one version is refused (it would only add noise to the
        history); changing one's mind (approved -> rejected, to withdraw) is allowed.
        """
        choice("decision", decision, DECISIONS)
        reviewer = text_field("reviewer", reviewer, limit=64)
        comment = comment.strip()
        if decision == "reject" and not comment:
            raise ReviewError("A rejection needs a comment; say what must change.")
        status: MaterialStatus = "approved" if decision == "approve" else "rejected"
        with self._transaction() as session:
            material = self._material_row(session, material_id, lock=True)
            latest = self._latest(session, material_id)
            if material.status == status:
                raise ReviewError(
                    f"Material {material_id} version {latest.version} is already {status}; "
                    f"edit it to create a new version first."
                )
            session.add(
                DecisionRow(
                    material_id=material_id,
                    version=latest.version,
                    decision=decision,
                    comment=comment,
                    reviewer=reviewer,
                    created_at=utc_now(),
                )
            )
            material.status = status
            session.flush()
            return _material(material, latest)

    def get(self, material_id: int) -> Material:
        """The material with its latest version."""
        with self._transaction(write=False) as session:
            return _material(self._material_row(session, material_id), self._latest(session, material_id))

    def versions(self, material_id: int) -> list[Version]:
        """Every version of a material, first to latest."""
        with self._transaction(write=False) as session:
            return self._versions(session, material_id)

    def decisions(self, material_id: int) -> list[Decision]:
        """Every decision on a material, oldest first."""
        with self._transaction(write=False) as session:
            return self._decisions(session, material_id)

    def history(self, material_id: int) -> list[HistoryEntry]:
        """Versions and decisions in time order; each later version carries its diff from the one before."""
        with self._transaction(
            write=False
        ) as session:  # one snapshot: no decision on a version we did not read
            versions = self._versions(session, material_id)
            decisions = self._decisions(session, material_id)
        entries: list[tuple[int, int, datetime, HistoryEntry]] = []
        previous: Version | None = None
        for version in versions:
            diff = ""
            if previous is not None:
                old, new = f"version {previous.version}", f"version {version.version}"
                diff = diff_bodies(previous.body, version.body, old, new)
            entry = HistoryEntry(
                kind="version",
                version=version.version,
                actor=version.author,
                at=version.created_at,
                note=version.change_note,
                diff=diff,
            )
            entries.append((version.version, 0, version.created_at, entry))
            previous = version
        for decision in decisions:
            entry = HistoryEntry(
                kind="decision",
                version=decision.version,
                actor=decision.reviewer,
                at=decision.created_at,
                note=decision.comment,
                decision=decision.decision,
            )
            entries.append((decision.version, 1, decision.created_at, entry))
        # Decisions are only ever taken on the latest version, so ordering by (version, version before
        # its decisions, time) is time order that survives clocks that tie or step back.
        entries.sort(key=lambda item: item[:3])
        return [item[3] for item in entries]

    def _versions(self, session: Session, material_id: int) -> list[Version]:
        self._material_row(session, material_id)
        rows = session.scalars(
            select(VersionRow).where(VersionRow.material_id == material_id).order_by(VersionRow.version)
        )
        return [_version(row) for row in rows]

    def _decisions(self, session: Session, material_id: int) -> list[Decision]:
        self._material_row(session, material_id)
        rows = session.scalars(
            select(DecisionRow).where(DecisionRow.material_id == material_id).order_by(DecisionRow.id)
        )
        return [
            Decision(
                material_id=row.material_id,
                version=row.version,
                decision=cast(DecisionKind, row.decision),
                comment=row.comment,
                reviewer=row.reviewer,
                created_at=row.created_at,
            )
            for row in rows
        ]

    def list_materials(self, status: MaterialStatus | None = None) -> list[Material]:
        """Every material (or those with ``status``) with its latest version, oldest first."""
        if status is not None:
            choice("status", status, STATUSES)
        with self._transaction(write=False) as session:
            newest = (
                select(VersionRow.material_id, func.max(VersionRow.version).label("version"))
                .group_by(VersionRow.material_id)
                .subquery()
            )
            query = (
                select(MaterialRow, VersionRow)
                .join(newest, newest.c.material_id == MaterialRow.id)
                .join(
                    VersionRow,
                    (VersionRow.material_id == MaterialRow.id) & (VersionRow.version == newest.c.version),
                )
                .order_by(MaterialRow.id)
            )
            if status is not None:
                query = query.where(MaterialRow.status == status)
            return [_material(material, version) for material, version in session.execute(query)]

    @staticmethod
    def _material_row(session: Session, material_id: int, lock: bool = False) -> MaterialRow:
        if not 0 < material_id <= MAX_ROW_ID:  # a database integer: larger ids cannot exist
            raise ReviewError(f"There is no material {material_id}; list materials to find its id.")
        query = select(MaterialRow).where(MaterialRow.id == material_id)
        if lock:
            query = query.with_for_update()  # PostgreSQL; SQLite holds the write lock already
        row = session.scalar(query)
        if row is None:
            raise ReviewError(f"There is no material {material_id}; list materials to find its id.")
        return row

    @staticmethod
    def _latest(session: Session, material_id: int) -> VersionRow:
        row = session.scalar(
            select(VersionRow)
            .where(VersionRow.material_id == material_id)
            .order_by(VersionRow.version.desc())
            .limit(1)
        )
        if row is None:  # cannot happen: versions are written with their material
            raise ReviewError(f"Material {material_id} has no version; the database is damaged.")
        return row


def open_review_store(url: str, bcrypt_rounds: int = DEFAULT_BCRYPT_ROUNDS) -> ReviewStore:
    """Open the review database at ``url``, migrating it to the newest schema first."""
    engine = create_review_engine(url)
    try:
        upgrade(engine)
    except Exception:
        engine.dispose()
        raise
    return ReviewStore(engine, bcrypt_rounds)
