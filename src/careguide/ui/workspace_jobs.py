"""Slow workspace work in the background: drafting material (tens of seconds per question on a CPU)
and publishing it into the knowledge base. Requests never wait for it; pages poll a job's status.

Each kind of work has one worker thread: the model answers one draft at a time (a second draft
waits its turn, shown as queued), and publishing does not wait behind drafting. Jobs live in
memory: the workspace runs in one process (a restart forgets running jobs, never stored material).
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

log = logging.getLogger("careguide.ui.workspace")

JobKind = Literal["generate", "publish", "unpublish"]
JobState = Literal["queued", "running", "done", "failed", "cancelled"]
StepState = Literal["waiting", "running", "done", "skipped"]
KEEP_JOBS = 200
MAX_PARTIAL_CHARS = 2000


@dataclass
class Step:
    label: str
    state: StepState = "waiting"
    note: str = ""


@dataclass
class Job:
    """One piece of background work and what a page shows of it."""

    id: str
    kind: JobKind
    owner: str
    title: str
    steps: list[Step]
    material_id: int | None = None
    state: JobState = "queued"
    message: str = ""
    partial: str = ""
    """The model's text so far for the running step (drafting only)."""
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    def start_step(self, index: int, note: str = "") -> None:
        with self.lock:
            self.state = "running"
            self.partial = ""
            for i, step in enumerate(self.steps):
                if i < index and step.state in ("waiting", "running"):
                    step.state = "done"
            if 0 <= index < len(self.steps):
                self.steps[index].state = "running"
                self.steps[index].note = note

    def end_step(self, index: int, state: StepState, note: str = "") -> None:
        with self.lock:
            if 0 <= index < len(self.steps):
                self.steps[index].state = state
                self.steps[index].note = note

    def add_partial(self, text: str) -> None:
        with self.lock:
            self.partial = (self.partial + text)[-MAX_PARTIAL_CHARS:]

    def finish(self, state: JobState, message: str = "", material_id: int | None = None) -> None:
        with self.lock:
            self.state = state
            self.message = message
            self.partial = ""
            if material_id is not None:
                self.material_id = material_id
            for step in self.steps:
                if step.state == "running":
                    step.state = "done" if state == "done" else "skipped"
            self.finished_at = time.time()

    def snapshot(self) -> dict[str, Any]:
        """The job as JSON (what the status endpoint returns)."""
        with self.lock:
            return {
                "id": self.id,
                "kind": self.kind,
                "title": self.title,
                "state": self.state,
                "message": self.message,
                "material_id": self.material_id,
                "partial": self.partial,
                "steps": [{"label": s.label, "state": s.state, "note": s.note} for s in self.steps],
                "done_steps": sum(s.state in ("done", "skipped") for s in self.steps),
                "total_steps": len(self.steps),
            }


Work = Callable[[Job], None]
"""Runs a job; it reports progress on the job, ends by calling ``job.finish`` or by raising."""


class _Worker:
    """A daemon thread running one kind of job, first come first served."""

    def __init__(self, name: str) -> None:
        self.tasks: queue.Queue[tuple[Job, Work] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            task = self.tasks.get()
            if task is None:
                return
            job, work = task
            if job.cancel.is_set():
                job.finish("cancelled", "Stopped before it started.")
                continue
            with job.lock:
                job.state = "running"
            try:
                work(job)
            except Exception:  # a job must never take its worker down
                log.exception("Workspace job %s (%s) failed", job.id, job.kind)
                job.finish("failed", "Something went wrong; the error is in the server log. Try again.")
            else:
                if not job.finished:
                    job.finish("done")


class Jobs:
    """Submits work to the worker of its kind and keeps the recent jobs for status pages."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._workers: dict[str, _Worker] = {}

    def _worker(self, kind: JobKind) -> _Worker:
        lane = "generate" if kind == "generate" else "publish"
        with self._lock:
            if lane not in self._workers:
                self._workers[lane] = _Worker(f"careguide-workspace-{lane}")
            return self._workers[lane]

    def submit(
        self,
        kind: JobKind,
        owner: str,
        title: str,
        steps: list[str],
        work: Work,
        material_id: int | None = None,
    ) -> Job:
        job = Job(
            id=secrets.token_urlsafe(12),
            kind=kind,
            owner=owner,
            title=title,
            steps=[Step(label) for label in steps],
            material_id=material_id,
        )
        with self._lock:
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if j.finished]
            for old in finished[: max(0, len(self._jobs) - KEEP_JOBS)]:
                del self._jobs[old.id]
        self._worker(kind).tasks.put((job, work))
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def active(self, owner: str | None = None) -> list[Job]:
        """Unfinished jobs (of ``owner``), oldest first."""
        with self._lock:
            jobs = list(self._jobs.values())
        return [j for j in jobs if not j.finished and (owner is None or j.owner == owner)]

    def latest_for(
        self, material_id: int, kinds: tuple[JobKind, ...] = ("publish", "unpublish")
    ) -> Job | None:
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.material_id == material_id and j.kind in kinds]
        return max(jobs, key=lambda j: j.created_at, default=None)

    def wait(self, job: Job, timeout: float) -> bool:
        """Block until ``job`` has finished (tests, scripts); False on timeout."""
        deadline = time.monotonic() + timeout
        while not job.finished:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def close(self) -> None:
        """Stop the workers after their current job; queued jobs are cancelled."""
        with self._lock:
            workers = list(self._workers.values())
            self._workers.clear()
            for job in self._jobs.values():
                if not job.finished:
                    job.cancel.set()
        for worker in workers:
            worker.tasks.put(None)
