"""Slow workspace work in the background: drafting material (tens of seconds per question on a CPU)
and publishing it into the knowledge base. Requests never wait for it; pages poll a job's status.

Each kind of work has one worker thread: the model answers one draft at a time (a second draft
waits its turn, shown as queued), and publishing does not wait behind drafting.

Where the jobs are kept is a choice of deployment, behind one interface (:class:`Jobs`):
- in memory (the default, one process): a restart forgets running jobs, never stored material;
- in a :class:`JobStore` (the review database's ``workspace_jobs`` table), for several app
  processes: a job started through one is shown by all, its progress is written with a heartbeat
  every ``beat_s``, and a job whose process died (no heartbeat for ``stale_s``) is claimed and run
  again from its stored parameters by another process that knows how (:meth:`Jobs.resume_with`).
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

from careguide.review import JobRecord

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
    params: Mapping[str, Any] = field(default_factory=dict)
    """What another process needs to run the job again (see :meth:`Jobs.resume_with`)."""
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

    def record(self, holder: str = "") -> JobRecord:
        with self.lock:
            return JobRecord(
                id=self.id,
                kind=self.kind,
                owner=self.owner,
                title=self.title,
                params=dict(self.params),
                steps=tuple({"label": s.label, "state": s.state, "note": s.note} for s in self.steps),
                state=self.state,
                message=self.message,
                partial=self.partial,
                material_id=self.material_id,
                created_at=self.created_at,
                finished_at=self.finished_at,
                claimed_by=holder,
                heartbeat_at=time.time(),
            )


def job_of(record: JobRecord) -> Job:
    """A job as another process stored it."""
    job = Job(
        id=record.id,
        kind=cast(JobKind, record.kind),
        owner=record.owner,
        title=record.title,
        steps=[
            Step(str(s.get("label", "")), cast(StepState, s.get("state", "waiting")), str(s.get("note", "")))
            for s in record.steps
        ],
        material_id=record.material_id,
        state=cast(JobState, record.state),
        message=record.message,
        partial=record.partial,
        created_at=record.created_at,
        finished_at=record.finished_at,
        params=dict(record.params),
    )
    if record.cancel_requested:
        job.cancel.set()
    return job


Work = Callable[[Job], None]
"""Runs a job; it reports progress on the job, ends by calling ``job.finish`` or by raising."""


class JobStore(Protocol):
    """Where jobs are kept for every process (``review.job_table.JobTable``)."""

    def insert(self, record: JobRecord) -> None: ...

    def save(self, records: Iterable[JobRecord], owner: str, now: float) -> set[str]: ...

    def get(self, job_id: str) -> JobRecord | None: ...

    def unfinished(self) -> list[JobRecord]: ...

    def latest_for(self, material_id: int, kinds: Sequence[str]) -> JobRecord | None: ...

    def request_cancel(self, job_id: str) -> None: ...

    def claim_orphans(
        self, kinds: Sequence[str], owner: str, now: float, stale_s: float, limit: int = 1
    ) -> list[JobRecord]: ...

    def forget_finished(self, keep: int = ...) -> None: ...


Resume = Callable[[Job], Work]
"""Builds the work of a job from its stored ``params`` (and owner) in a process that did not start it."""


class _Worker:
    """A daemon thread running one kind of job, first come first served."""

    def __init__(self, name: str, saved: Callable[[Job], None]) -> None:
        self.saved = saved
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
                self.saved(job)
                continue
            with job.lock:
                job.state = "running"
            self.saved(job)
            try:
                work(job)
            except Exception:  # a job must never take its worker down
                log.exception("Workspace job %s (%s) failed", job.id, job.kind)
                job.finish("failed", "Something went wrong; the error is in the server log. Try again.")
            else:
                if not job.finished:
                    job.finish("done")
            self.saved(job)


def _lane(kind: str) -> str:
    return "generate" if kind == "generate" else "publish"


class Jobs:
    """Submits work to the worker of its kind and keeps the recent jobs for status pages
    (in memory, or in a :class:`JobStore` shared by every process; see the module docstring)."""

    def __init__(self, store: JobStore | None = None, beat_s: float = 2.0, stale_s: float = 20.0) -> None:
        self.store = store
        self.beat_s = beat_s
        self.stale_s = stale_s
        self.holder = f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"
        """This process, as the holder of the jobs it runs."""
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._workers: dict[str, _Worker] = {}
        self._resumers: dict[str, Resume] = {}
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self._beats = 0
        if store is not None:
            self._beat = threading.Thread(
                target=self._beat_loop, name="careguide-workspace-jobs", daemon=True
            )
            self._beat.start()

    def _worker(self, kind: JobKind) -> _Worker:
        lane = _lane(kind)
        with self._lock:
            if lane not in self._workers:
                self._workers[lane] = _Worker(f"careguide-workspace-{lane}", self._save)
            return self._workers[lane]

    def resume_with(self, kind: JobKind, resume: Resume) -> None:
        """How to run a ``kind`` job that another, dead, process started (shared store only)."""
        self._resumers[kind] = resume

    def submit(
        self,
        kind: JobKind,
        owner: str,
        title: str,
        steps: list[str],
        work: Work,
        material_id: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Job:
        job = Job(
            id=secrets.token_urlsafe(12),
            kind=kind,
            owner=owner,
            title=title,
            steps=[Step(label) for label in steps],
            material_id=material_id,
            params=dict(params or {}),
        )
        if self.store is not None:
            self.store.insert(job.record(self.holder))
        self._keep(job)
        self._worker(kind).tasks.put((job, work))
        return job

    def _keep(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if j.finished]
            for old in finished[: max(0, len(self._jobs) - KEEP_JOBS)]:
                del self._jobs[old.id]

    def _save(self, job: Job) -> None:
        """Write a job's state now (it started or finished), not at the next heartbeat."""
        if self.store is None:
            return
        try:
            if job.id in self.store.save([job.record(self.holder)], self.holder, time.time()):
                job.cancel.set()
        except Exception:  # the database may be briefly unreachable; the next heartbeat retries
            log.exception("Saving workspace job %s failed", job.id)

    def _beat_loop(self) -> None:
        while not self._stop.wait(self.beat_s):
            try:
                self.beat()
            except Exception:
                log.exception("The workspace job heartbeat failed")

    def beat(self) -> None:
        """Renew this process's jobs (with their progress), then take over one orphaned job."""
        store = self.store
        if store is None:
            return
        with self._lock:
            mine = list(self._jobs.values())
        live = [j for j in mine if not j.finished]
        for job_id in store.save([j.record(self.holder) for j in live], self.holder, time.time()):
            with self._lock:
                found = self._jobs.get(job_id)
            if found is not None:
                found.cancel.set()
        self._beats += 1
        if self._beats % 150 == 0:  # every few minutes: old finished jobs are only status pages
            store.forget_finished()
        kinds = list(self._resumers)
        for record in store.claim_orphans(kinds, self.holder, time.time(), self.stale_s):
            job = job_of(record)
            log.info("Taking over workspace job %s (%s) from a process that stopped", job.id, job.kind)
            try:
                work = self._resumers[job.kind](job)
            except Exception:
                log.exception("Workspace job %s cannot be run again here", job.id)
                job.finish("failed", "The server running this job stopped; start it again.")
                self._keep(job)
                self._save(job)
                continue
            self._keep(job)
            self._worker(job.kind).tasks.put((job, work))

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None and self.store is not None:
            record = self.store.get(job_id)
            if record is not None and record.claimed_by != self.holder:
                return job_of(record)
        return job

    def cancel(self, job: Job) -> None:
        """Ask a job to stop, in whichever process runs it."""
        job.cancel.set()
        if self.store is not None:
            self.store.request_cancel(job.id)

    def active(self, owner: str | None = None) -> list[Job]:
        """Unfinished jobs (of ``owner``), oldest first."""
        with self._lock:
            jobs = {j.id: j for j in self._jobs.values()}
        if self.store is not None:
            for record in self.store.unfinished():
                jobs.setdefault(record.id, job_of(record))
        ordered = sorted(jobs.values(), key=lambda j: j.created_at)
        return [j for j in ordered if not j.finished and (owner is None or j.owner == owner)]

    def latest_for(
        self, material_id: int, kinds: tuple[JobKind, ...] = ("publish", "unpublish")
    ) -> Job | None:
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.material_id == material_id and j.kind in kinds]
        if self.store is not None:
            record = self.store.latest_for(material_id, kinds)
            if record is not None and record.id not in {j.id for j in jobs}:
                jobs.append(job_of(record))
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
        self._stop.set()
        with self._lock:
            workers = list(self._workers.values())
            self._workers.clear()
            for job in self._jobs.values():
                if not job.finished:
                    job.cancel.set()
        for worker in workers:
            worker.tasks.put(None)
