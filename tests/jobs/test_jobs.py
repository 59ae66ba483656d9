"""Background jobs (issue 15, point 3): claimed by one worker at a time, done once, tried again after a
failure, handed out again when their worker dies, forgotten a day after; and the signed bundle, which
the worker builds while its page says so."""
from __future__ import annotations

import datetime
import io
import os
import zipfile

import pytest

from incidents import audit
from incidents.dossiers import verify_bundle
from incidents.dossiers.assemble import DossierRequest
from incidents.dossiers.jobs import submit_bundle
from incidents.jobs import service as jobs
from incidents.models import AuditEvent, CustodyEvent, Job, utcnow
from tests.factories import attach_file, make_incident, publish
from tests.helpers import hold_jobs, run_command, translated


@pytest.fixture
def published(users, facility, app):
    incident = make_incident(users["contributor"], facility)
    attach_file(app, incident, users["contributor"], b"%PDF-1.4 a medical report\n", "report.pdf")
    return publish(incident, users["contributor"], users["reviewer"])


@pytest.fixture
def held(app):
    return hold_jobs(app)


def bundle(user, incident, redaction="confidential"):
    return submit_bundle(user, DossierRequest((incident.id,), redaction, "ru", format="zip", include_files=True))


def exports() -> int:
    return AuditEvent.select().where(AuditEvent.action == "dossier.export").count()


def test_a_job_handed_out_twice_is_done_once(app, users, published, held):
    """When the queue hands the same job to workers twice (a sweep and a slow worker), are its effects
    (the export's audit entry, the custody entries) committed once?"""
    with app.app_context():
        job = bundle(users["lawyer"], published)
        assert Job.get_by_id(job.id).state == "queued" and exports() == 0
        jobs.run(job.id)
        jobs.run(job.id)
        assert held() == 1  # and the queue's own copy of it
    done = Job.get_by_id(job.id)
    assert (done.state, done.attempts) == ("done", 1)
    assert exports() == 1
    exported = [event.item_id for event in CustodyEvent.select().where(CustodyEvent.action == "exported")]
    assert exported and len(exported) == len(set(exported))  # each item once


def test_a_worker_that_lost_its_claim_commits_nothing(app, users, published, held):
    """When a worker's lease ran out while it worked and another worker took the job over, does the
    first one's work roll back instead of being committed beside the second's?"""
    def slow(job):
        # While this worker works, its lease runs out and another worker claims the job.
        Job.update(claim="another worker", lease_until=utcnow() + datetime.timedelta(minutes=1)) \
            .where(Job.id == job.id).execute()
        return jobs.Outcome({"made": True}, commit=lambda: audit.record(None, "probe.committed", None))
    app.extensions["jobs"].handlers["probe"] = slow
    with app.app_context():
        job = jobs.submit("probe", {})
        assert jobs.run(job.id) is None
    kept = Job.get_by_id(job.id)
    assert (kept.state, kept.claim) == ("running", "another worker")
    assert AuditEvent.select().where(AuditEvent.action == "probe.committed").count() == 0


def test_a_failing_job_is_tried_again_later_then_given_up(app, held):
    """Is a job that fails kept queued, with its error, for attempts further and further apart, and
    marked failed after the last one?"""
    def broken(job):
        raise OSError("the disk is full")
    app.extensions["jobs"].handlers["probe"] = broken
    with app.app_context():
        job = jobs.submit("probe", {})
        delays = [jobs.run(job.id) for _ in range(jobs.MAX_ATTEMPTS)]
    assert delays == [10, 40, 160, 640, None]
    failed = Job.get_by_id(job.id)
    assert (failed.state, failed.attempts) == ("failed", jobs.MAX_ATTEMPTS)
    assert failed.error == "OSError: the disk is full" and failed.finished_at is not None


def test_the_sweep_hands_out_again_what_a_dead_worker_held_or_the_queue_lost(app, users, published, held):
    """Does the sweep give the queue again a job whose worker stopped answering (its lease ran out) and
    one queued long ago that never reached a worker, while it leaves alone a job a live worker holds
    and gives up on one that killed its worker at every attempt?"""
    long_ago = utcnow() - datetime.timedelta(hours=1)
    with app.app_context():
        dead, lost, alive, hopeless = (bundle(users["lawyer"], published) for _ in range(4))
        app.extensions["jobs"].huey.flush()  # the queue's copies are gone, taken by workers since killed
        Job.update(state="running", claim="dead", lease_until=long_ago, attempts=1).where(Job.id == dead.id).execute()
        Job.update(enqueued_at=long_ago).where(Job.id == lost.id).execute()
        Job.update(state="running", claim="alive", lease_until=utcnow() + datetime.timedelta(minutes=1)) \
            .where(Job.id == alive.id).execute()
        Job.update(state="running", claim="dead", lease_until=long_ago, attempts=jobs.MAX_ATTEMPTS) \
            .where(Job.id == hopeless.id).execute()
        assert jobs.sweep() == 2
        assert held() == 2
    states = {job.id: (job.state, job.attempts) for job in Job.select()}
    assert states[dead.id] == ("done", 2) and states[lost.id] == ("done", 1)
    assert states[alive.id] == ("running", 0) and states[hopeless.id][0] == "failed"
    assert exports() == 2


def test_finished_jobs_and_their_files_are_forgotten_after_a_day(app, users, published):
    """Is a bundle built for someone removed with its job a day after, and kept until then?"""
    with app.app_context():
        job = bundle(users["lawyer"], published)
        folder = jobs.prepared_folder(job)
        assert os.listdir(folder)
        jobs.sweep()
        assert os.path.isdir(folder)
        Job.update(finished_at=utcnow() - jobs.KEPT_FOR - datetime.timedelta(minutes=1)).execute()
        jobs.sweep()
    assert not os.path.exists(folder) and Job.select().count() == 0


def test_a_bundle_is_prepared_by_the_worker_and_then_downloaded(app, users, published, held, as_role):
    """Does a lawyer who builds a signed bundle with its files see at once a page saying it is being
    prepared (in Russian, coming back by itself), and once the worker is done, download a bundle that
    verifies, recorded once in the audit trail?"""
    lawyer = as_role("lawyer")
    lawyer.post("/dossier/add", {"incident_id": str(published.id)})
    started = lawyer.post("/dossier/build", {"lang": "ru", "redaction": "confidential", "layout": "dossier",
                                             "format": "zip", "include_files": "1"})
    assert started.status_code == 302
    page_url = started.headers["Location"]
    waiting = lawyer.get(page_url + "?lang=ru").get_data(as_text=True)
    assert translated(app, "The bundle is being prepared. With many videos this can take several minutes; "
                           "this page shows it when it is ready. You may leave and come back: the bundle is "
                           "kept for a day.") in waiting
    assert 'http-equiv="refresh"' in waiting and exports() == 0
    assert lawyer.get(page_url + "/file").status_code == 404
    with app.app_context():
        assert held() == 1
    ready = lawyer.get(page_url + "?lang=ru").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in ready and page_url + "/file" in ready
    download = lawyer.get(page_url + "/file")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment;")
    path = os.path.join(app.instance_path, "bundle.zip")
    with open(path, "wb") as handle:
        handle.write(download.data)
    failures, manifest = verify_bundle.check_bundle(path)
    assert failures == [] and any(f["path"].startswith("evidence/") for f in manifest["files"])
    assert "custody-log.csv" in zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert exports() == 1


def test_only_the_person_who_asked_reads_a_prepared_bundle(app, users, published, as_role):
    """Can another lawyer, or an administrator, open someone's prepared bundle, or learn that it exists?"""
    with app.app_context():
        job = bundle(users["lawyer"], published)
    address = f"/dossier/prepared/{job.token}"
    assert as_role("lawyer").get(address + "/file").status_code == 200
    for role in ("admin", "reviewer", "researcher"):
        other = as_role(role)
        assert other.get(address).status_code == 404, role
        assert other.get(address + "/file").status_code == 404, role
    assert as_role("lawyer").get("/dossier/prepared/" + "A" * 32).status_code == 404


def test_the_worker_refuses_a_queue_that_runs_jobs_at_once(app):
    """Does ``flask worker`` say, in the terminal's language, that with the "immediate" queue it has
    nothing to do, instead of waiting for jobs that never come?"""
    result = run_command(app, "worker", env={"LANG": "uk_UA.UTF-8"})
    assert result.exit_code != 0
    assert "immediate" in result.output and "обробникові нічого робити" in result.output
