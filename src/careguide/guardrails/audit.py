"""The audit log: one JSON line per decision, redacted text only, appended atomically; readable by
its owner only. A conversation id comes from the client and may be anything (a name, a record
number), so only its hash is written."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from careguide.guardrails.types import GuardDecision


def client_id_hash(value: str) -> str:
    """A stable, non-reversible stand-in for an identifier a client sent ("" stays "")."""
    if not value:
        return ""
    return "h:" + hashlib.sha256(f"careguide-client-id:{value}".encode("utf-8", "replace")).hexdigest()[:24]


class AuditLog:
    """Appends decisions to a JSON-lines file; a line is written whole or not at all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

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
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8", "replace")
        with self._lock:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # O_APPEND with a single write keeps lines whole even with several writers.
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
