"""The audit log: one entry per decision, redacted text only. A conversation id comes from the
client and may be anything (a name, a record number), so only its hash is written.

Where entries go is an :class:`AuditSink`: by default a JSON-lines file appended atomically and
readable by its owner only (:class:`FileAuditSink`); several app processes write one log through
the review database's append-only table instead (``review.audit_table.DatabaseAuditSink``,
chosen by ``review.audit: database``). Both receive the same PHI-free entries."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from careguide.guardrails.types import GuardDecision


class AuditSink(Protocol):
    """Keeps audit entries; an entry is kept whole or not at all, and never changed afterwards."""

    def append(self, entry: Mapping[str, object]) -> None: ...


class FileAuditSink:
    """A JSON-lines file; O_APPEND with a single write keeps lines whole with several writers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, entry: Mapping[str, object]) -> None:
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8", "replace")
        with self._lock:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)


def client_id_hash(value: str) -> str:
    """A stable, non-reversible stand-in for an identifier a client sent ("" stays "")."""
    if not value:
        return ""
    return "h:" + hashlib.sha256(f"careguide-client-id:{value}".encode("utf-8", "replace")).hexdigest()[:24]


class AuditLog:
    """Turns decisions and sign-ins into audit entries and hands them to its sink (a file path
    means the default :class:`FileAuditSink`)."""

    def __init__(self, target: Path | AuditSink) -> None:
        self.sink: AuditSink = FileAuditSink(target) if isinstance(target, Path) else target

    @property
    def path(self) -> Path | None:
        """The file written, when the sink is a file."""
        return self.sink.path if isinstance(self.sink, FileAuditSink) else None

    def record(self, stage: str, decision: GuardDecision, conversation_id: str = "") -> None:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "conversation_id": client_id_hash(conversation_id),
            "stage": stage,
            "action": decision.action,
            "category": decision.category,
            "checks": list(decision.checks),
            "reasons": list(decision.reasons),
            "entities": [s.entity_type for s in decision.spans],
            "text": decision.redacted,
        }
        self._append(entry)

    def record_sign_in(self, username: str, address: str, outcome: str) -> None:
        """A workspace sign-in attempt (never the password): outcome is ok, refused or throttled."""
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "stage": "sign-in",
            "action": outcome,
            "username": username[:64],
            "address": address[:64],
        }
        self._append(entry)

    def _append(self, entry: Mapping[str, object]) -> None:
        self.sink.append(entry)
