"""Raw PHI from a patient message appears nowhere on disk after a conversation turn.

The turn goes through the documented path: check_input -> search with the redacted text ->
check_output -> audit log, on real Presidio, real Chroma and the real embedding model.
"""

from __future__ import annotations

import pytest

from careguide.guardrails import AuditLog, Guardrails, load_policy
from careguide.ingest import KnowledgeBase, ingest
from careguide.rag import Retriever

pytestmark = pytest.mark.integration

SECRETS = ("Maria Lopez", "Lopez", "5550123", "03/14/1962", "42 Oak Street", "maria.lopez@example.com")
MESSAGE = (
    "Hi, I'm Maria Lopez (MRN 5550123, born 03/14/1962, 42 Oak Street, Springfield, IL 62704, "
    "maria.lopez@example.com). What are the symptoms of acromegaly?"
)


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_no_raw_phi_anywhere_on_disk(settings, embedder, chunker, medquad_sample, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    knowledge = KnowledgeBase.open(settings)
    ingest([medquad_sample], knowledge, embedder, chunker)
    retriever = Retriever.open(settings.retrieval, knowledge, embedder)
    guard = Guardrails(load_policy(), audit=AuditLog(tmp_path / "logs" / "audit.jsonl"))

    decision = guard.check_input(MESSAGE, conversation_id="conv-1")
    assert decision.action == "redact" and "<NAME>" in decision.redacted
    passages = retriever.search(decision.redacted, k=3).passages
    assert passages and passages[0].chunk.answer_id.startswith("NIDDK_0000001")
    answer = "Maria Lopez, acromegaly can cause large hands and feet [1]."
    shown = guard.check_output(answer, [p.chunk.text for p in passages], conversation_id="conv-1")
    assert "Maria" not in shown.redacted

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "audit.jsonl" for p in files) and any(p.name == "chroma.sqlite3" for p in files)
    for path in files:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret!r} found in {path}"
