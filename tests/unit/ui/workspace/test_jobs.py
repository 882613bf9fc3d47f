"""Background jobs of the workspace: progress, failures, cancellation, one lane per kind."""

from __future__ import annotations

import threading

from careguide.ui.workspace.jobs import Job, Jobs


def test_progress_and_result_are_visible_in_the_snapshot() -> None:
    jobs = Jobs()
    try:

        def work(job: Job) -> None:
            job.start_step(0)
            job.add_partial("Asthma is ")
            assert job.snapshot()["partial"] == "Asthma is "
            job.end_step(0, "done", "answered")
            job.start_step(1)
            job.end_step(1, "skipped", "not in the knowledge base")
            job.finish("done", "Draft saved as material 4.", material_id=4)

        job = jobs.submit("generate", "alice", "Draft: asthma", ["Q1", "Q2"], work)
        assert jobs.wait(job, 5)
        snap = job.snapshot()
        assert snap["state"] == "done" and snap["material_id"] == 4 and snap["partial"] == ""
        assert [s["state"] for s in snap["steps"]] == ["done", "skipped"]
        assert snap["done_steps"] == snap["total_steps"] == 2
        assert jobs.get(job.id) is job and jobs.active() == []
    finally:
        jobs.close()


def test_a_crashing_job_fails_without_killing_its_worker() -> None:
    jobs = Jobs()
    try:

        def boom(job: Job) -> None:
            raise RuntimeError("disk on fire")

        failed = jobs.submit("publish", "alice", "Publish", ["Index"], boom, material_id=3)
        ok = jobs.submit("publish", "alice", "Publish", ["Index"], lambda job: None, material_id=3)
        assert jobs.wait(failed, 5) and jobs.wait(ok, 5)
        assert failed.state == "failed" and "server log" in failed.message
        assert ok.state == "done"
        assert jobs.latest_for(3) is ok
    finally:
        jobs.close()


def test_queued_jobs_wait_their_turn_and_can_be_cancelled_before_they_start() -> None:
    jobs = Jobs()
    release = threading.Event()
    try:
        first = jobs.submit("generate", "alice", "First", ["Q"], lambda job: release.wait(5) and None)
        second = jobs.submit("generate", "bob", "Second", ["Q"], lambda job: None)
        publish = jobs.submit("publish", "carol", "Publish", ["Index"], lambda job: None)
        assert jobs.wait(publish, 5)  # publishing does not wait behind drafting
        assert second.state == "queued" and {j.id for j in jobs.active()} == {first.id, second.id}
        assert [j.id for j in jobs.active("bob")] == [second.id]
        second.cancel.set()
        release.set()
        assert jobs.wait(first, 5) and jobs.wait(second, 5)
        assert first.state == "done" and second.state == "cancelled"
    finally:
        release.set()
        jobs.close()
