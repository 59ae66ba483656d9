"""The worker as it runs: ``flask --app app worker`` in processes of its own, against the test's
database (SQLite or PostgreSQL) and a queue in a SQLite file, as ``make run`` starts it. A worker
killed in the middle of a bundle: the next one builds it, and the export is recorded once."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time

import pytest

from incidents.dossiers import verify_bundle
from incidents.dossiers.jobs import bundle_path
from incidents.jobs.queue import init_jobs
from incidents.models import AuditEvent, CustodyEvent, Job, utcnow
from tests.factories import attach_file, make_incident, publish
from tests.helpers import ROOT
from tests.jobs.test_jobs import bundle

LEASE = 2  # seconds: a killed worker's job is taken over soon after


@pytest.fixture
def queue(app, settings, tmp_path):
    """The app sends its jobs to a queue file the workers share; returns the workers' environment."""
    url = f"sqlite:///{tmp_path}/jobs.sqlite3"
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], JOBS_URL=url, JOBS_LEASE_SECONDS=LEASE)
    init_jobs(app, app.extensions["jobs"].handlers)
    return dict(os.environ, PYTHONPATH=ROOT, INCIDENTS_INSTANCE_PATH=settings["INSTANCE_PATH"],
                INCIDENTS_DATABASE_URL=app.config["SETTINGS"].DATABASE_URL, INCIDENTS_SECRET_KEY=settings["SECRET_KEY"],
                INCIDENTS_DATA_KEY=settings["DATA_KEY"], INCIDENTS_JOBS_URL=url,
                INCIDENTS_JOBS_LEASE_SECONDS=str(LEASE), LANG="en_GB.UTF-8",
                INCIDENTS_STORE_CHECK_DAYS="0")  # a test that wants the store checked says so


def start_worker(environment) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--threads", "1"], cwd=ROOT,
                            env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop(worker: subprocess.Popen, how=signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, how)
    worker.wait(timeout=30)


def wait_for(condition, seconds: float = 60, step: float = 0.01):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(step)
    raise AssertionError("not reached in time")


def state(job_id: int) -> Job:
    return Job.get_by_id(job_id)


def test_a_worker_killed_mid_bundle_leaves_it_to_the_next_which_records_it_once(app, users, facility, queue):
    """If the worker is killed (SIGKILL: no goodbye) while it builds a bundle of a large file, does the
    next worker take the job over once its lease runs out, build the whole bundle, and is the export in
    the audit trail and each item's custody log once only?"""
    incident = make_incident(users["contributor"], facility)
    attach_file(app, incident, users["contributor"], b"\0" * (400 * 1024 * 1024), "camera-3.avi")
    publish(incident, users["contributor"], users["reviewer"])
    with app.app_context():
        job = bundle(users["lawyer"], incident)
    first = start_worker(queue)
    try:
        wait_for(lambda: state(job.id).state == "running")
        stop(first, signal.SIGKILL)
    finally:
        stop(first, signal.SIGKILL)
    killed = state(job.id)
    assert (killed.state, killed.attempts) == ("running", 1), "the worker finished before it was killed"
    assert AuditEvent.select().where(AuditEvent.action == "dossier.export").count() == 0
    # A worker started while the lease still runs would leave the job to the sweep a minute later.
    time.sleep(max(0.0, (killed.lease_until - utcnow()).total_seconds()) + 0.5)
    second = start_worker(queue)
    try:
        done = wait_for(lambda: (found := state(job.id)).state == "done" and found, seconds=120, step=0.2)
    finally:
        stop(second)
    assert done.attempts == 2
    assert AuditEvent.select().where(AuditEvent.action == "dossier.export").count() == 1
    exported = [event.item_id for event in CustodyEvent.select().where(CustodyEvent.action == "exported")]
    assert exported and len(exported) == len(set(exported))
    with app.app_context():
        path = bundle_path(done)
    failures, manifest = verify_bundle.check_bundle(path)
    assert failures == [] and any(f["size"] == 400 * 1024 * 1024 for f in manifest["files"])


def test_a_running_worker_builds_what_the_site_asks_for(app, users, facility, queue):
    """With the worker running beside the site, does a bundle asked for on the page get built without
    anyone waiting in the request?"""
    incident = publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])
    worker = start_worker(queue)
    try:
        with app.app_context():
            job = bundle(users["lawyer"], incident)
        assert state(job.id).state in ("queued", "running")
        done = wait_for(lambda: (found := state(job.id)).state == "done" and found, seconds=60, step=0.1)
    finally:
        stop(worker)
    assert done.attempts == 1
    with app.app_context():
        assert verify_bundle.check_bundle(bundle_path(done))[0] == []


def test_a_worker_checks_the_store_on_its_own_when_a_check_is_due(app, users, facility, queue):
    """Does a worker started on an installation whose store was never checked re-hash every original by
    itself, each check in the item's custody log and the whole in the audit trail?"""
    item = attach_file(app, make_incident(users["contributor"], facility), users["contributor"], b"a report", "a.pdf")
    worker = start_worker(dict(queue, INCIDENTS_STORE_CHECK_DAYS="7"))
    try:
        event = wait_for(lambda: AuditEvent.get_or_none(AuditEvent.action == "evidence.store_check"), step=0.2)
    finally:
        stop(worker)
    assert (event.actor_id, event.detail) == (None, {"checked": 1, "changed": 0, "missing": 0})
    assert [e.detail["outcome"] for e in CustodyEvent.select().where(
        (CustodyEvent.item == item.id) & (CustodyEvent.action == "verified"))] == ["ok"]
