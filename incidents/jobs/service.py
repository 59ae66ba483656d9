"""A job's life: submitted with its row, claimed for a lease, done once, retried, swept.

Exactly once: a worker claims a job with one conditional UPDATE (queued, or running with a lease
that ran out), so two workers never hold it together; it renews the lease while it works; and it
marks the job done in the same transaction that commits the job's effects, on condition that it
still holds the claim. A worker killed half-way commits nothing: its lease runs out, the sweep
hands the job to the queue again, and another worker does it all. Files a job writes go under a
name of their own (the job's token), replaced whole, so a second attempt overwrites the first's.
"""
from __future__ import annotations

import datetime
import logging
import os
import secrets
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from incidents.db import database
from incidents.models import Job, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Seconds before the next attempt after a failure: 10, 40, 160, 640.
RETRY_BASE, RETRY_FACTOR = 10, 4
# A queued job not picked up for this long is handed to the queue again (it may never have
# reached it: the queue was down, or the process stopped between commit and enqueue).
LOST_AFTER = datetime.timedelta(minutes=2)
# Finished jobs, and the files they prepared, are kept this long for their owners to fetch.
KEPT_FOR = datetime.timedelta(days=1)
UNFINISHED = ("queued", "running")


@dataclass
class Outcome:
    """What a job's handler gives back: its result (ids and counts, for the page) and what to
    commit with the job's completion, all or nothing."""

    result: dict = field(default_factory=dict)
    commit: Callable[[], None] | None = None


class LeaseLost(Exception):
    """Another worker took the job over while this one worked: this one's effects roll back."""


def _jobs():
    return current_app.extensions["jobs"]


def submit(kind: str, arguments: dict, owner=None, *, once: bool = False) -> Job:
    """Record a job and hand it to the queue; call it once the transaction that asks for the
    job has committed (a worker must be able to read what the job is about).

    ``once``: an unfinished job of the same kind and arguments is returned instead of a second.
    """
    if kind not in _jobs().handlers:
        raise ValueError(f"no job of kind {kind!r}")
    if once:
        waiting = Job.get_or_none((Job.kind == kind) & (Job.arguments == arguments)
                                  & Job.state.in_(UNFINISHED))
        if waiting is not None:
            return waiting
    job = Job.create(token=secrets.token_urlsafe(24), kind=kind, arguments=arguments, owner=owner)
    _enqueue(job.id)
    return Job.get_by_id(job.id)  # as the job left it, when the queue runs jobs at once


def _enqueue(job_id: int) -> None:
    try:
        _jobs().enqueue(job_id)
    except Exception as exc:  # the queue is down: the row stays queued, and the sweep hands it again
        log.warning("job %s not queued: %s: %s", job_id, type(exc).__name__, exc)


def run(job_id: int) -> int | None:
    """Claim the job, do it, and mark it done with its effects. Returns the seconds to wait before
    another attempt when it failed and may be tried again; None otherwise."""
    jobs = _jobs()
    lease = datetime.timedelta(seconds=current_app.config["SETTINGS"].JOBS_LEASE_SECONDS)
    claim, now = secrets.token_hex(16), utcnow()
    with database.atomic():
        claimed = Job.update(state="running", claim=claim, attempts=Job.attempts + 1, lease_until=now + lease) \
            .where((Job.id == job_id) & ((Job.state == "queued")
                                         | ((Job.state == "running") & (Job.lease_until < now)))).execute()
    if not claimed:
        return None  # done, failed, held by a live worker, or not committed yet (the sweep comes back)
    job = Job.get_by_id(job_id)
    try:
        with _Heartbeat(job_id, claim, lease):
            outcome = jobs.handlers[job.kind](job)
        with database.atomic():
            if outcome.commit is not None:
                outcome.commit()
            if not Job.update(state="done", result=outcome.result, finished_at=utcnow(), lease_until=None,
                              error="").where((Job.id == job_id) & (Job.claim == claim)).execute():
                raise LeaseLost()
    except LeaseLost:
        log.warning("job %s (%s) was taken over by another worker", job_id, job.kind)
        return None
    except Exception as exc:
        log.exception("job %s (%s), attempt %s, failed", job_id, job.kind, job.attempts)
        return _failed(job, claim, exc)
    return None


def _failed(job: Job, claim: str, exc: Exception) -> int | None:
    last = job.attempts >= MAX_ATTEMPTS
    error = f"{type(exc).__name__}: {exc}"[:500]
    Job.update(state="failed" if last else "queued", error=error, lease_until=None, enqueued_at=utcnow(),
               finished_at=utcnow() if last else None).where((Job.id == job.id) & (Job.claim == claim)).execute()
    return None if last else RETRY_BASE * RETRY_FACTOR ** (job.attempts - 1)


class _Heartbeat:
    """Renews the job's lease while its handler runs, from a thread of its own (with its own
    database connection), so a job may take an hour while a dead worker's lease runs out in a minute."""

    def __init__(self, job_id: int, claim: str, lease: datetime.timedelta):
        self.job_id, self.claim, self.lease = job_id, claim, lease
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"job-{job_id}-heartbeat")

    def __enter__(self):
        self.thread.start()

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def _beat(self):
        while not self.stop.wait(self.lease.total_seconds() / 3):
            try:
                with database.connection_context():
                    Job.update(lease_until=utcnow() + self.lease).where(
                        (Job.id == self.job_id) & (Job.claim == self.claim)).execute()
            except Exception as exc:  # a missed beat is not fatal: the next one may land
                log.warning("job %s: lease not renewed: %s", self.job_id, exc)


def sweep() -> int:
    """Hand the queue every job whose worker died or that never reached it; give up on a job that
    killed its worker ``MAX_ATTEMPTS`` times; forget finished jobs after ``KEPT_FOR``, files and all.
    Returns how many jobs were handed to the queue again."""
    now = utcnow()
    dead = (Job.state == "running") & (Job.lease_until < now)
    Job.update(state="failed", finished_at=now, lease_until=None, error="the worker stopped during every attempt") \
        .where(dead & (Job.attempts >= MAX_ATTEMPTS)).execute()
    again = [job.id for job in Job.select(Job.id).where(
        dead | ((Job.state == "queued") & (Job.enqueued_at < now - LOST_AFTER)))]
    for job_id in again:
        Job.update(enqueued_at=now).where(Job.id == job_id).execute()
        _enqueue(job_id)
    for job in Job.select(Job.id, Job.token).where(Job.state.not_in(UNFINISHED) & (Job.finished_at < now - KEPT_FOR)):
        shutil.rmtree(prepared_folder(job), ignore_errors=True)
        Job.delete_by_id(job.id)
    return len(again)


def prepared_folder(job: Job) -> str:
    """Where a job keeps the files it prepares for its owner: beside the evidence store (they may
    hold originals), left out of backups, removed with the job."""
    return os.path.join(current_app.config["SETTINGS"].EVIDENCE_DIR, "prepared", job.token)


def find(token) -> Job | None:
    """The job at this address, or None; who may read it is ``policy.can_read_job``'s to say."""
    return Job.get_or_none(Job.token == token) if isinstance(token, str) and 0 < len(token) <= 64 else None
