"""The audit log behind its sink interface: the database table gets the same PHI-free entries as
the file, from several processes, and only ever grows."""

from __future__ import annotations

import json

from careguide.guardrails import AuditLog
from careguide.guardrails.types import GuardDecision
from careguide.review import DatabaseAuditSink, open_review_store
from tests.unit.review.conftest import sqlite_url


def decision() -> GuardDecision:
    return GuardDecision(action="allow", redacted="My name is <PERSON> and I have asthma.")


def test_the_table_and_the_file_receive_the_same_redacted_entries(tmp_path) -> None:
    url = sqlite_url(tmp_path / "review.db")
    with open_review_store(url) as first, open_review_store(url) as second:
        one, two = AuditLog(DatabaseAuditSink(first.engine)), AuditLog(DatabaseAuditSink(second.engine))
        to_file = AuditLog(tmp_path / "audit.jsonl")
        for log in (one, to_file):
            log.record("input", decision(), conversation_id="Jane Doe MRN 123")
        two.record_sign_in("alice", "10.0.0.7", "refused")
        entries = DatabaseAuditSink(first.engine).entries()
        assert [e["stage"] for e in entries] == ["input", "sign-in"]  # both processes, in order
        from_file = json.loads((tmp_path / "audit.jsonl").read_text(encoding="utf-8"))
        assert {k: v for k, v in entries[0].items() if k != "time"} == {
            k: v for k, v in from_file.items() if k != "time"
        }
        assert "Jane" not in json.dumps(entries) and entries[0]["text"].startswith("My name is <PERSON>")
        assert one.path is None and to_file.path == tmp_path / "audit.jsonl"
