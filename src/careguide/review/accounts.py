"""Account state and workspace sessions in the review database (mixed into ``ReviewStore``).

A session is a row keyed by the SHA-256 of its random id. Every workspace request looks its row
up together with the account, so signing out (in any process), revoking, disabling or removing
an account, or changing a role takes effect on the next request and survives a restart. This is
the interface a multi-process deployment shares through one database.
"""

from __future__ import annotations

import hashlib
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from careguide.review.models import SessionRow, UserRow
from careguide.review.types import ReviewError, Role, User

MAX_SESSIONS_KEPT_S = 7 * 24 * 3600
"""Expired or revoked session rows older than this are deleted when a new session starts."""


def session_key(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


def user_of(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        role=cast(Role, row.role),
        created_at=row.created_at,
        active=row.disabled_at is None,
    )


def _at(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


class AccountsMixin:
    """Sessions and account switches; ``ReviewStore`` provides ``_transaction``."""

    def _transaction(self, write: bool = True) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _account(self, session: Session, username: str) -> UserRow:
        row = session.scalar(select(UserRow).where(UserRow.username == username.strip()))
        if row is None:
            raise ReviewError(f"There is no user '{username.strip()}'; `careguide users list` shows them.")
        return row

    def start_session(self, user_id: int, sid: str, issued_at: float, expires_at: float) -> None:
        """Record a new sign-in (and forget sessions long gone)."""
        with self._transaction() as session:
            old = _at(issued_at - MAX_SESSIONS_KEPT_S)
            session.execute(delete(SessionRow).where(SessionRow.expires_at < old))
            session.add(
                SessionRow(
                    id=session_key(sid),
                    user_id=user_id,
                    created_at=_at(issued_at),
                    expires_at=_at(expires_at),
                )
            )

    def session_user(self, sid: str, now: float) -> User | None:
        """The account of a live session as it is now (current role), or None when the session is
        unknown, signed out, expired, or its account is disabled or gone."""
        with self._transaction(write=False) as session:
            found = session.execute(
                select(SessionRow, UserRow)
                .join(UserRow, UserRow.id == SessionRow.user_id)
                .where(SessionRow.id == session_key(sid))
            ).first()
            if found is None:
                return None
            row, user = found
            if row.revoked_at is not None or row.expires_at <= _at(now) or user.disabled_at is not None:
                return None
            return user_of(user)

    def end_session(self, sid: str, now: float) -> None:
        """Sign out: the session is refused by every process from now on."""
        with self._transaction() as session:
            session.execute(
                update(SessionRow)
                .where(SessionRow.id == session_key(sid), SessionRow.revoked_at.is_(None))
                .values(revoked_at=_at(now))
            )

    def revoke_sessions(self, username: str) -> int:
        """End every session of an account; returns how many were live."""
        with self._transaction() as session:
            user = self._account(session, username)
            return self._revoke_all(session, user.id)

    @staticmethod
    def _revoke_all(session: Session, user_id: int) -> int:
        now = datetime.now(UTC)
        live = list(
            session.scalars(
                select(SessionRow).where(
                    SessionRow.user_id == user_id,
                    SessionRow.revoked_at.is_(None),
                    SessionRow.expires_at > now,
                )
            )
        )
        for row in live:
            row.revoked_at = now
        return len(live)

    def set_active(self, username: str, active: bool) -> User:
        """Enable or disable an account; disabling also ends its sessions."""
        with self._transaction() as session:
            row = self._account(session, username)
            if active:
                row.disabled_at = None
            else:
                if row.disabled_at is None:
                    row.disabled_at = datetime.now(UTC)
                self._revoke_all(session, row.id)
            session.flush()
            return user_of(row)

    def remove_user(self, username: str) -> None:
        """Delete an account and its sessions (what it wrote keeps its author's name)."""
        with self._transaction() as session:
            row = self._account(session, username)
            session.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
            session.delete(row)
