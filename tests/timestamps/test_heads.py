"""The audit chain's head, timestamped once a day: asked for once however many workers look, kept
only when the authority gave a valid token, listed by "audit verify", and a kept token that was
tampered with, or that no longer fits the trail, named."""
from __future__ import annotations

import dataclasses
import datetime

import pytest

from incidents.models import AuditEvent, AuditStamp, Job, utcnow
from incidents.timestamps import heads
from tests.helpers import hold_jobs
from tests.helpers import run_command as run

SUBJECT = "C=UA, O=Тестовий центр, CN=Test TSA"


@pytest.fixture
def settings(settings, tsa):
    return {**settings, "TSA_URL": tsa.url, "TSA_CA": tsa.ca_file}


def stamp_events() -> int:
    return AuditEvent.select().where(AuditEvent.action == heads.STAMPED).count()


def listed(row: AuditStamp) -> str:
    return (f"Timestamped: the head {row.head} (audit event #{row.event_id}), at "
            f"{row.stamped_at:%Y-%m-%d %H:%M:%S} UTC by {SUBJECT}.")


def test_the_head_is_stamped_once_a_day_and_audit_verify_lists_it(app, users, monkeypatch):
    """Does the worker ask for one stamp of the head when none is a day old, keep the authority's
    token over the head's hash with an audit event, and does "audit verify" list it as holding?"""
    head = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    drain = hold_jobs(app)
    with app.app_context():
        heads.due_head_stamp()
        heads.due_head_stamp()  # a second worker's hour: the first's job still waits
    assert Job.select().where(Job.kind == "audit_stamp").count() == 1
    assert drain() == 1
    row = AuditStamp.get()
    assert (row.event_id, row.head) == (head.id, head.hash) and stamp_events() == 1
    assert abs(row.stamped_at - utcnow()) < datetime.timedelta(minutes=1)
    with app.app_context():
        heads.due_head_stamp()  # stamped just now: not due
    assert drain() == 0
    later = utcnow() + datetime.timedelta(days=1, minutes=1)
    monkeypatch.setattr(heads, "utcnow", lambda: later)
    with app.app_context():
        heads.due_head_stamp()
    assert drain() == 1 and AuditStamp.select().count() == 2
    second = AuditStamp.select().order_by(AuditStamp.id.desc()).get()
    assert AuditEvent.get_by_id(second.event_id).action == heads.STAMPED  # the first stamp's own event

    result = run(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert listed(row) in result.output and listed(second) in result.output
    assert "FAILED" not in result.output


def test_audit_stamp_stamps_the_head_at_once(app, users):
    """Does "audit stamp" have the head stamped now, and say when and by whom?"""
    head = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    result = run(app, "audit", "stamp")
    assert result.exit_code == 0, result.output
    row = AuditStamp.get()
    assert row.head == head.hash and result.output.strip() == listed(row)



def test_an_authority_at_a_long_address_is_kept(app, users, tsa):
    """Is a stamp kept on both databases when the authority's address is longer than 255 characters
    (a query string of the service's own), which a bounded column refused on PostgreSQL?"""
    long = tsa.url + "?account=" + "a" * 300
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], TSA_URL=long)
    result = run(app, "audit", "stamp")
    assert result.exit_code == 0, result.output
    assert AuditStamp.get().authority == long

def _flip_token(row):
    token = bytes(row.token)
    AuditStamp.update(token=token[:-1] + bytes([token[-1] ^ 1])).where(AuditStamp.id == row.id).execute()


def _other_head(row):
    other = AuditEvent.select().where(AuditEvent.id != row.event_id).first()
    AuditStamp.update(head=other.hash, event_id=other.id).where(AuditStamp.id == row.id).execute()


def _moved_to_another_event(row):
    other = AuditEvent.select().where(AuditEvent.id != row.event_id).first()
    AuditStamp.update(event_id=other.id).where(AuditStamp.id == row.id).execute()


def _earlier_time(row):
    AuditStamp.update(stamped_at=row.stamped_at - datetime.timedelta(days=30)).where(AuditStamp.id == row.id).execute()


def _delete_the_row(row):
    AuditStamp.delete_by_id(row.id)


@pytest.mark.parametrize("tamper, problem", [
    (_flip_token, "the authority's signature does not match: the token was altered after it was signed"),
    (_other_head, "it stamps other bytes: its message imprint is not their SHA-256"),
    (_moved_to_another_event, "the stamped head is no longer that event in the trail"),
    (_earlier_time, "the time kept beside the token is not the time in the token"),
    (_delete_the_row, "deleted, though audit event #"),
])
def test_a_kept_stamp_that_no_longer_holds_is_named(app, users, tamper, problem):
    """Do "audit verify" and "verify" fail, and name the stamp and what is wrong, when its token was
    altered, moved to another head or event, its kept time changed, or its row deleted?"""
    assert run(app, "audit", "stamp").exit_code == 0
    row = AuditStamp.get()
    tamper(row)
    result = run(app, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert f"FAILED: timestamp #{row.id} of the head" in result.output and problem in result.output
    assert "1 timestamp(s) of the trail's head do not hold." in result.output
    everything = run(app, "verify")
    assert everything.exit_code == 1 and f"timestamp #{row.id} of audit event" in everything.output
    assert problem in everything.output


@pytest.mark.parametrize("mode, reason", [
    ("down", "did not answer"),
    ("junk", "answered more than 262144 bytes"),
    ("rejection", "the authority refused: status rejection"),
])
def test_an_authority_that_fails_leaves_nothing_kept(app, users, tsa, mode, reason):
    """When the authority is down, sends 10 MB of junk or refuses, do "audit stamp" and the daily job
    fail, saying why, keeping no stamp and writing no audit event (the job is tried again later)?"""
    if mode == "down":
        app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], TSA_URL=tsa.down_url())
    else:
        tsa.mode = mode
    events = AuditEvent.select().count()
    result = run(app, "audit", "stamp")
    assert result.exit_code == 1 and "Error: Nothing was timestamped:" in result.output and reason in result.output
    drain = hold_jobs(app)
    with app.app_context():
        heads.due_head_stamp()
    assert drain() == 1
    job = Job.get(Job.kind == "audit_stamp")
    assert job.state == "queued" and reason in job.error
    assert AuditStamp.select().count() == 0 and AuditEvent.select().count() == events


def test_without_an_authority_nothing_is_stamped(app, users):
    """With no authority configured, is no stamp asked for, does "audit stamp" say what to set, and
    does "audit verify" say why no head is stamped?"""
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], TSA_URL="", TSA_CA="")
    drain = hold_jobs(app)
    with app.app_context():
        heads.due_head_stamp()
    assert drain() == 0
    refused = run(app, "audit", "stamp")
    assert refused.exit_code == 1 and "No timestamp authority is configured: set INCIDENTS_TSA_URL." in refused.output
    listing = run(app, "audit", "verify")
    assert listing.exit_code == 0 and "no timestamp authority is configured" in listing.output
