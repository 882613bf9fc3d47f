"""The audit log: one JSON line per decision, redacted text only, appended atomically."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from careguide.guardrails.types import GuardDecision


class AuditLog:
    """Appends decisions to a JSON-lines file; a line is written whole or not at all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, stage: str, decision: GuardDecision, conversation_id: str = "") -> None:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "conversation_id": conversation_id,
            "stage": stage,
            "action": decision.action,
            "category": decision.category,
            "checks": list(decision.checks),
            "reasons": list(decision.reasons),
            "entities": [s.entity_type for s in decision.spans],
            "text": decision.redacted,
        }
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # O_APPEND with a single write keeps lines whole even with several writers.
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
