"""Workspace jobs kept in the review database and shared by two processes (two ``Jobs`` on two
engines over one real SQLite file): progress and results are visible to both, cancelling works
from either, and a job whose process died is taken over exactly once and run again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from careguide.review import JobRecord, JobTable, ReviewStore, open_review_store
from careguide.ui.workspace.jobs import Job, Jobs


@pytest.fixture
def stores(tmp_path) -> Iterator[tuple[ReviewStore, ReviewStore]]:
    url = f"sqlite:///{tmp_path / 'review.db'}"
    with open_review_store(url) as first, open_review_store(url) as second:
        yield first, second


def eventually(check: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_job_started_in_one_process_is_shown_by_the_other(stores) -> None:
    one, two = Jobs(JobTable(stores[0].engine), beat_s=0.1), Jobs(JobTable(stores[1].engine), beat_s=0.1)
    halfway, release = threading.Event(), threading.Event()
    try:

        def work(job: Job) -> None:
            job.start_step(0)
            job.add_partial("Asthma is ")
            halfway.set()
            release.wait(10)
            job.finish("done", "Draft saved as material 4.", material_id=4)

        job = one.submit("generate", "alice", "Draft: asthma", ["Q1"], work, params={"topic": "asthma"})
        assert halfway.wait(10)
        assert eventually(lambda: (seen := two.get(job.id)) is not None and seen.partial == "Asthma is ")
        assert [j.id for j in two.active("alice")] == [job.id]
        release.set()
        assert eventually(lambda: (seen := two.get(job.id)) is not None and seen.state == "done")
        seen = two.get(job.id)
        assert seen is not None and seen.material_id == 4 and seen.message == "Draft saved as material 4."
        assert two.active() == [] and two.get("no-such-job") is None
    finally:
        release.set()
        one.close()
        two.close()


def test_cancelling_through_the_other_process_stops_the_job(stores) -> None:
    one, two = Jobs(JobTable(stores[0].engine), beat_s=0.1), Jobs(JobTable(stores[1].engine), beat_s=0.1)
    try:

        def work(job: Job) -> None:
            job.start_step(0)
            if job.cancel.wait(10):
                job.finish("cancelled", "Stopped; nothing was saved.")

        job = one.submit("generate", "alice", "Draft", ["Q1"], work)
        assert eventually(lambda: (seen := two.get(job.id)) is not None and seen.state == "running")
        seen = two.get(job.id)
        assert seen is not None
        two.cancel(seen)
        assert one.wait(job, 10) and job.state == "cancelled"
        assert eventually(lambda: (seen := two.get(job.id)) is not None and seen.state == "cancelled")
    finally:
        one.close()
        two.close()


def orphan(table: JobTable, job_id: str = "orphan-1", heartbeat_at: float = 1.0) -> None:
    """A job its process was running when it died: running, with a heartbeat long past."""
    table.insert(
        JobRecord(
            id=job_id,
            kind="publish",
            owner="alice",
            title="Index into the knowledge base: asthma",
            params={"material_id": 7},
            steps=({"label": "Index", "state": "running", "note": ""},),
            state="running",
            material_id=7,
            created_at=heartbeat_at,
            claimed_by="dead-host:123:abcd",
            heartbeat_at=heartbeat_at,
        )
    )


def test_a_job_whose_process_died_is_run_again_by_another(stores) -> None:
    table = JobTable(stores[0].engine)
    orphan(table)
    ran: list[int] = []
    survivor = Jobs(JobTable(stores[1].engine), beat_s=0.1, stale_s=5)
    try:

        def resume(job: Job) -> Callable[[Job], None]:
            def work(again: Job) -> None:
                ran.append(int(again.params["material_id"]))
                again.finish("done", "Published again.")

            return work

        survivor.resume_with("publish", resume)
        assert eventually(lambda: (rec := table.get("orphan-1")) is not None and rec.state == "done")
        record = table.get("orphan-1")
        assert record is not None and record.attempts == 2 and record.claimed_by == survivor.holder
        assert ran == [7]  # run once, by the survivor
    finally:
        survivor.close()


def test_a_live_job_is_not_taken_over_and_an_orphan_is_claimed_once(stores) -> None:
    table, other = JobTable(stores[0].engine), JobTable(stores[1].engine)
    now = time.time()
    orphan(table, "live-1", heartbeat_at=now)  # its process is renewing it
    orphan(table, "dead-1", heartbeat_at=now - 60)
    assert other.claim_orphans(["publish"], "b", now, stale_s=20, limit=5)[0].id == "dead-1"
    assert table.claim_orphans(["publish"], "c", now, stale_s=20, limit=5) == []  # b holds it now
    assert other.claim_orphans(["generate"], "b", now + 100, stale_s=20) == []  # kinds it cannot run
    claimed = table.get("dead-1")
    assert claimed is not None and claimed.state == "queued" and claimed.steps[0]["state"] == "waiting"


def test_only_the_newest_finished_jobs_are_kept(stores) -> None:
    table = JobTable(stores[0].engine)
    for n in range(5):
        table.insert(
            JobRecord(
                id=f"old-{n}",
                kind="publish",
                owner="a",
                title="t",
                params={},
                steps=(),
                state="done",
                created_at=float(n + 1),
                claimed_by="x",
                heartbeat_at=1.0,
            )
        )
    orphan(table, "running-1")
    table.forget_finished(keep=2)
    assert [table.get(f"old-{n}") is not None for n in range(5)] == [False, False, False, True, True]
    assert table.get("running-1") is not None  # unfinished jobs are never forgotten
