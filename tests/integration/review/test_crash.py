"""A writer killed with SIGKILL in the middle of its work leaves a consistent review database."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from careguide.review import open_review_store

pytestmark = pytest.mark.integration

WRITER = textwrap.dedent(
    """
    import sys
    from careguide.review import open_review_store

    store = open_review_store(sys.argv[1], bcrypt_rounds=4)
    n = 0
    while True:
        n += 1
        material = store.create_material(
            f"Topic {n}", "patients", "standard", "handout", f"Body {n}\\n" * 50,
            [{"n": 1, "title": "Source", "url": "https://example.org"}], 6.0, "writer",
        )
        store.edit(material, f"Body {n} edited\\n" * 50, "writer", "Edit.")
        store.decide(material, "approve" if n % 2 else "reject", "reviewer", "Comment.")
        store.add_feedback(f"conv-{n}", "Question?", "Answer.", -1, "Wrong.")
        print(n, flush=True)
    """
)


def _run_and_kill(url: str, rounds_before_kill: int) -> None:
    writer = subprocess.Popen([sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None
        for _ in range(rounds_before_kill):
            if not writer.stdout.readline():
                pytest.fail(f"the writer stopped early with status {writer.wait()}")
    finally:
        writer.send_signal(signal.SIGKILL)  # no cleanup, no rollback: a power cut as far as SQLite knows
        writer.wait()
    assert writer.returncode == -signal.SIGKILL


def _check_consistent(path) -> None:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        db.execute("PRAGMA foreign_keys = ON")
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        without_version = db.execute(
            "SELECT id FROM materials WHERE id NOT IN (SELECT material_id FROM material_versions)"
        ).fetchall()
        assert without_version == []
        # A status other than draft always comes with its decision on the latest version.
        decided = db.execute(
            """
            SELECT m.id, m.status, d.decision, d.version,
                   (SELECT max(version) FROM material_versions v WHERE v.material_id = m.id)
            FROM materials m LEFT JOIN decisions d
              ON d.id = (SELECT max(id) FROM decisions WHERE material_id = m.id)
            WHERE m.status != 'draft'
            """
        ).fetchall()
        for material_id, status, decision, version, latest in decided:
            assert (decision, version) == ({"approved": "approve", "rejected": "reject"}[status], latest), (
                material_id
            )
        unqueued = db.execute(
            "SELECT id FROM feedback WHERE rating = -1 AND id NOT IN "
            "(SELECT feedback_id FROM queue_items WHERE feedback_id IS NOT NULL)"
        ).fetchall()
        assert unqueued == []


def test_sigkill_mid_loop_leaves_a_consistent_database(tmp_path) -> None:
    path = tmp_path / "review.db"
    url = f"sqlite:///{path}"
    for rounds in (15, 7, 23):  # three writers in turn, each killed; each starts on the last one's leftovers
        _run_and_kill(url, rounds)
        _check_consistent(path)
    with open_review_store(url) as store:  # still opens (at head) and still writes
        materials = store.list_materials()
        assert len(materials) >= 15 + 7 + 23
        assert all(m.version >= 1 for m in materials)
        store.create_material("After the crash", "patients", "standard", "faq", "Body.", [], None, "me")
    _check_consistent(path)
