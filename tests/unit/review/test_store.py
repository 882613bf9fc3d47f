"""The review store on a real SQLite file: users, versions, decisions, feedback and the queue."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event

from careguide.review import MaterialCitation, ReviewError, ReviewStore
from tests.unit.review.conftest import BODY, new_material


def test_add_user_hashes_the_password_and_authenticates(store: ReviewStore, db_path) -> None:
    user = store.add_user("alice", "correct horse", "admin")
    assert (user.username, user.role) == ("alice", "admin")
    assert user.created_at.utcoffset() is not None and user.created_at.utcoffset().total_seconds() == 0
    stored = sqlite3.connect(db_path).execute("SELECT password_hash FROM users").fetchone()[0]
    assert "correct horse" not in stored and stored.startswith("$2")
    assert store.authenticate("alice", "correct horse") == user
    assert store.authenticate("alice", "wrong horse!") is None
    assert store.authenticate("nobody", "correct horse") is None
    assert store.authenticate("alice", "x" * 100) is None


def test_duplicate_username_is_one_clear_error(store: ReviewStore) -> None:
    store.add_user("alice", "password-1")
    with pytest.raises(ReviewError, match=r"User 'alice' already exists; choose another username\.") as info:
        store.add_user(" alice ", "password-2")
    assert str(info.value).count(".") == 1
    assert [u.username for u in store.list_users()] == ["alice"]


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("bob", "short", "clinician", "shorter than 8 characters"),
        ("bob", "é" * 40, "clinician", "longer than 72 bytes"),
        ("", "password-1", "clinician", "username is empty"),
        ("bob", "password-1", "nurse", "Unknown role 'nurse'"),
    ],
)
def test_bad_users_are_refused(store: ReviewStore, username, password, role, message) -> None:
    with pytest.raises(ReviewError, match=message):
        store.add_user(username, password, role)
    assert store.list_users() == []


def test_create_material_is_a_draft_with_version_one(store: ReviewStore) -> None:
    material_id = new_material(store)
    material = store.get(material_id)
    assert (material.status, material.version, material.body, material.grade) == (
        "draft",
        1,
        BODY.strip(),
        6.2,
    )
    assert material.citations == (
        MaterialCitation(
            n=1,
            chunk_id="c1",
            title="Asthma",
            source="NHLBI",
            url="https://www.nhlbi.nih.gov/health/asthma",
            quote="Asthma is a chronic lung disease.",
        ),
    )
    assert material.created_at.tzinfo is not None


def test_bad_citation_is_refused(store: ReviewStore) -> None:
    with pytest.raises(ReviewError, match="no integer 'n'"):
        store.create_material(
            "Flu", "patients", "standard", "handout", "Wash hands.", [{"title": "x"}], 5.0, "a"
        )
    with pytest.raises(ReviewError, match="Unknown format 'leaflet'"):
        store.create_material("Flu", "patients", "standard", "leaflet", "Wash hands.", [], 5.0, "a")  # type: ignore[arg-type]
    assert store.list_materials() == []


def test_edit_adds_versions_and_history_has_diffs_in_order(store: ReviewStore) -> None:
    material_id = new_material(store)
    store.decide(material_id, "reject", "carol", "Say how many puffs.")
    second = BODY.replace("when you wheeze.", "when you wheeze: 2 puffs.")
    edited = store.edit(material_id, second, "bob", "Added the dose.")
    assert edited.version == 2 and edited.grade is None
    assert edited.citations == store.versions(material_id)[0].citations  # kept when not given
    assert store.get(material_id).status == "draft"  # new text needs a new review
    store.decide(material_id, "approve", "carol", "")

    history = store.history(material_id)
    assert [(h.kind, h.version, h.actor) for h in history] == [
        ("version", 1, "alice"),
        ("decision", 1, "carol"),
        ("version", 2, "bob"),
        ("decision", 2, "carol"),
    ]
    assert [h.decision for h in history if h.kind == "decision"] == ["reject", "approve"]
    assert history[0].diff == ""
    diff = history[2].diff.splitlines()
    assert diff[:2] == ["--- version 1", "+++ version 2"]
    assert "-Use your reliever inhaler when you wheeze." in diff
    assert "+Use your reliever inhaler when you wheeze: 2 puffs." in diff
    assert [h.at for h in history] == sorted(h.at for h in history)


def test_edit_refuses_no_change_and_unknown_material(store: ReviewStore) -> None:
    material_id = new_material(store)
    with pytest.raises(ReviewError, match="unchanged from version 1"):
        store.edit(material_id, BODY, "bob", "Nothing.")
    with pytest.raises(ReviewError, match="no material 99"):
        store.edit(99, "text", "bob", "note")
    assert len(store.versions(material_id)) == 1


def test_decide_rules(store: ReviewStore) -> None:
    material_id = new_material(store)
    with pytest.raises(ReviewError, match="A rejection needs a comment"):
        store.decide(material_id, "reject", "carol", "  ")
    with pytest.raises(ReviewError, match="Unknown decision 'maybe'"):
        store.decide(material_id, "maybe", "carol", "")  # type: ignore[arg-type]
    assert store.get(material_id).status == "draft" and store.decisions(material_id) == []

    approved = store.decide(material_id, "approve", "carol", "Clear.")
    assert approved.status == "approved"
    with pytest.raises(ReviewError, match="already approved"):
        store.decide(material_id, "approve", "dave", "")
    withdrawn = store.decide(material_id, "reject", "dave", "Outdated dose.")
    assert withdrawn.status == "rejected"
    assert [(d.version, d.decision, d.reviewer) for d in store.decisions(material_id)] == [
        (1, "approve", "carol"),
        (1, "reject", "dave"),
    ]
    assert [m.id for m in store.list_materials("rejected")] == [material_id]
    assert store.list_materials("approved") == []


def test_list_materials_shows_latest_versions(store: ReviewStore) -> None:
    first, second = new_material(store), new_material(store, body="# Flu\n\nRest.")
    store.edit(second, "# Flu\n\nRest and drink water.", "bob", "More advice.")
    store.decide(first, "approve", "carol")
    listed = store.list_materials()
    assert [(m.id, m.version, m.status) for m in listed] == [(first, 1, "approved"), (second, 2, "draft")]
    assert listed[1].body == "# Flu\n\nRest and drink water."
    assert [m.id for m in store.list_materials("draft")] == [second]
    with pytest.raises(ReviewError, match="Unknown status"):
        store.list_materials("pending")  # type: ignore[arg-type]


def test_negative_feedback_opens_a_queue_item(store: ReviewStore) -> None:
    store.add_feedback("conv-1", "What is asthma?", "A lung disease.", 1)
    assert store.queue() == []
    feedback_id = store.add_feedback("conv-1", "How many puffs?", "Take 10 puffs.", -1, "Seems like a lot.")
    [item] = store.queue()
    assert (item.kind, item.feedback_id, item.status) == ("feedback", feedback_id, "open")
    assert (item.question, item.answer, item.reason) == (
        "How many puffs?",
        "Take 10 puffs.",
        "Seems like a lot.",
    )
    store.add_feedback("conv-2", "Q", "A", -1)
    assert store.queue()[-1].reason == "A patient rated this answer not helpful."
    with pytest.raises(ReviewError, match="Rating 0 is not allowed"):
        store.add_feedback("conv-1", "Q", "A", 0)


def test_annotations_close_items_and_export_an_eval_set(store: ReviewStore) -> None:
    store.add_feedback("conv-1", "How many puffs?", "Take 10 puffs.", -1, "Too many?")
    flagged = store.flag("Can I stop my statin?", "Yes, stop it.", "personal decision answered")
    assert flagged.kind == "flagged" and flagged.feedback_id is None
    assert store.export_annotations() == []

    done = store.annotate(
        flagged.id, "Must defer to the prescriber.", "unsafe", "carol", "Ask your doctor first."
    )
    assert (done.status, done.annotated_by, done.label) == ("done", "carol", "unsafe")
    assert done.annotated_at is not None and done.annotated_at.tzinfo is not None
    assert [i.id for i in store.queue()] != [flagged.id] and len(store.queue()) == 1
    assert len(store.queue(None)) == 2
    assert store.export_annotations() == [
        {
            "question": "Can I stop my statin?",
            "answer": "Yes, stop it.",
            "label": "unsafe",
            "annotation": "Must defer to the prescriber.",
            "expected_answer": "Ask your doctor first.",
            "reason": "personal decision answered",
            "kind": "flagged",
        }
    ]
    with pytest.raises(ReviewError, match="no queue item 42"):
        store.annotate(42, "x", "y", "carol")
    with pytest.raises(ReviewError, match="label is empty"):
        store.annotate(flagged.id, "x", " ", "carol")


def _fail_on(store: ReviewStore, table: str) -> None:
    """Make the database refuse the first INSERT into ``table``, as a crash mid-transaction would."""

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith(f"INSERT INTO {table}"):
            raise RuntimeError(f"crash while writing {table}")

    event.listen(store.engine, "before_cursor_execute", before)


def test_crash_mid_create_leaves_no_material_without_version(store: ReviewStore, db_path) -> None:
    _fail_on(store, "material_versions")
    with pytest.raises(RuntimeError, match="crash while writing"):
        new_material(store)
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT count(*) FROM materials").fetchone()[0] == 0
        assert raw.execute("SELECT count(*) FROM material_versions").fetchone()[0] == 0


def test_crash_mid_feedback_leaves_neither_feedback_nor_queue_item(store: ReviewStore, db_path) -> None:
    _fail_on(store, "queue_items")
    with pytest.raises(RuntimeError):
        store.add_feedback("conv", "Q", "A", -1)
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT count(*) FROM feedback").fetchone()[0] == 0


def test_crash_mid_decision_keeps_the_old_status(store: ReviewStore) -> None:
    material_id = new_material(store)

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("UPDATE materials"):
            raise RuntimeError("crash while updating the status")

    event.listen(store.engine, "before_cursor_execute", before)
    with pytest.raises(RuntimeError):
        store.decide(material_id, "approve", "carol")
    event.remove(store.engine, "before_cursor_execute", before)
    assert store.get(material_id).status == "draft"
    assert store.decisions(material_id) == []
