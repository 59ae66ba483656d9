"""The audit trail: every write is recorded, and an edited entry breaks the chain where it was edited."""
from __future__ import annotations

import datetime
import os

import pytest
from peewee import IntegrityError

from incidents import audit
from incidents.db import database
from incidents.models import AuditEvent
from tests.factories import make_facility, make_incident, publish


def test_writes_are_chained_and_tampering_is_found(users):
    """Is every write recorded in the audit trail's hash chain, and is an entry edited afterwards found?"""
    facility = make_facility(users["contributor"])
    publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert {"facility.create", "incident.create", "incident.submit", "incident.approve"} <= set(actions)
    assert audit.verify() is None
    victim = AuditEvent.select().where(AuditEvent.action == "incident.submit").get()
    AuditEvent.update(actor_email="someone-else@example.org").where(AuditEvent.id == victim.id).execute()
    assert audit.verify().id == victim.id


def test_the_chain_cannot_fork(users):
    """Can two audit entries follow the same predecessor, forking the chain?"""
    first = audit.record(users["admin"], "test.one")
    with pytest.raises(IntegrityError), database.atomic():
        AuditEvent.create(action="test.fork", prev_hash=first.prev_hash, hash="f" * 64)


def test_audit_verify_names_an_edited_entry(app, users):
    """Does the audit verify command pass an intact trail and name an entry someone edited?

    `flask audit verify` passes an intact trail and names the entry someone edited."""
    facility = make_facility(users["contributor"])
    make_incident(users["contributor"], facility)
    runner = app.test_cli_runner()
    intact = runner.invoke(args=["audit", "verify"])
    assert intact.exit_code == 0 and "OK" in intact.output
    victim = AuditEvent.select().where(AuditEvent.action == "incident.create").get()
    AuditEvent.update(detail={"note": "rewritten"}).where(AuditEvent.id == victim.id).execute()
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1 and f"#{victim.id}" in broken.output and "changed" in broken.output


def test_audit_verify_finds_a_deleted_or_inserted_entry(app, users):
    """Does the audit verify command find an entry deleted from the middle of the trail?"""
    for index in range(3):
        audit.record(users["admin"], f"test.{index}")
    middle = AuditEvent.select().where(AuditEvent.action == "test.1").get()
    AuditEvent.delete().where(AuditEvent.id == middle.id).execute()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    after = AuditEvent.select().where(AuditEvent.action == "test.2").get()
    assert result.exit_code == 1 and f"#{after.id}" in result.output and "deleted or inserted" in result.output


def test_audit_verify_with_a_noted_head_finds_a_cut_off_end(app, users):
    """Given a head hash noted earlier, does the audit verify command find entries cut off the end of the
    trail?"""
    audit.record(users["admin"], "test.kept")
    noted = audit.record(users["admin"], "test.noted").hash
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify", "--head", noted]).exit_code == 0
    AuditEvent.delete().where(AuditEvent.action == "test.noted").execute()
    assert audit.verify() is None  # the rest is a whole chain: only the noted head shows the loss
    result = runner.invoke(args=["audit", "verify", "--head", noted])
    assert result.exit_code == 1 and "deleted" in result.output


def events_of(page: str) -> str:
    """The trail's table alone: the filter's menu names every action too."""
    return page.split('<table class="list audit', 1)[1] if '<table class="list audit' in page else ""


def test_admins_browse_and_filter_the_trail(app, users, as_role):
    """Can an administrator browse the audit trail filtered by action, actor and date, nonsense filters
    ignored, and does the page say whether the chain is whole or where it breaks?"""
    facility = make_facility(users["contributor"])
    make_incident(users["contributor"], facility)
    browser = as_role("admin")
    page = browser.get("/admin/audit?action=incident.").get_data(as_text=True)
    assert "incident.create" in events_of(page) and "facility.create" not in events_of(page) and "is whole" in page
    by_actor = events_of(browser.get(f"/admin/audit?actor={users['contributor'].email}").get_data(as_text=True))
    assert "facility.create" in by_actor and "user.login" not in by_actor
    assert browser.get("/admin/audit?date_from=not-a-date&page=-3").status_code == 200
    victim = AuditEvent.select().where(AuditEvent.action == "facility.create").get()
    AuditEvent.update(actor_email="forged@example.org").where(AuditEvent.id == victim.id).execute()
    app.extensions.pop("audit_chain")  # as when the last whole walk is old
    assert f"broken at event #{victim.id}" in browser.get("/admin/audit").get_data(as_text=True)


def test_the_trails_dates_are_typed_as_people_know_them(app, users, as_role):
    """Does the audit page take its dates as text ("2019", "03.2020", "15.03.2020"; a year to its
    last day), with no browser date picker, and say so in Russian when a date is not understood
    instead of silently showing everything?"""
    facility = make_facility(users["contributor"])
    AuditEvent.update(created_at=datetime.datetime(2019, 6, 1, 12)).execute()
    make_incident(users["contributor"], facility)  # today's events
    browser = as_role("admin")
    page = browser.get("/admin/audit?lang=ru").get_data(as_text=True)
    assert 'type="date"' not in page and "Например: 15.03.2020, 2020-03 или 2020." in page
    in_2019 = events_of(browser.get("/admin/audit?date_from=2019&date_to=2019").get_data(as_text=True))
    assert "facility.create" in in_2019 and "incident.create" not in in_2019
    assert "facility.create" not in events_of(browser.get("/admin/audit?date_from=07.2019").get_data(as_text=True))
    assert "facility.create" in events_of(browser.get("/admin/audit?date_to=01.06.2019").get_data(as_text=True))
    refused = browser.get("/admin/audit?lang=ru&date_from=31.02.2019&action=incident.").get_data(as_text=True)
    # The example is written as the hint above the boxes writes it.
    assert "«С»: ожидается дата, например 15.03.2020, 2020-03 или 2020." in refused
    assert "incident.create" in events_of(refused) and "facility.create" not in events_of(refused)


def test_the_page_walks_new_events_at_every_view_and_the_whole_chain_when_its_walk_is_old(app, users, as_role,
                                                                                          monkeypatch):
    """Does the audit trail page catch tampering with new entries at every view, a cut after its last
    check, and an edit of old entries once it walks the whole chain again?"""
    from incidents.admin import audit_trail
    browser = as_role("admin")
    first = audit.record(users["admin"], "test.old")
    assert "is whole" in browser.get("/admin/audit").get_data(as_text=True)
    walked = audit.check(since=app.extensions["audit_chain"]["result"])
    assert walked.count == audit.check().count and walked.head == audit.check().head
    # An event added after the walk and then edited is caught at the next view.
    added = audit.record(users["admin"], "test.new")
    AuditEvent.update(actor_email="forged@example.org").where(AuditEvent.id == added.id).execute()
    assert f"broken at event #{added.id}" in browser.get("/admin/audit").get_data(as_text=True)
    AuditEvent.delete().where(AuditEvent.id == added.id).execute()
    assert "is whole" in browser.get("/admin/audit").get_data(as_text=True)
    # Removing the last event walked makes the next view walk everything, and see the cut.
    audit.record(users["admin"], "test.later")
    browser.get("/admin/audit")
    last = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    AuditEvent.delete().where(AuditEvent.id == last.id).execute()
    audit.record(users["admin"], "test.after-the-cut")
    assert audit.check(since=app.extensions["audit_chain"]["result"]).count == audit.check().count
    # An old event edited after the walk shows once the whole chain is walked again.
    AuditEvent.update(actor_email="forged@example.org").where(AuditEvent.id == first.id).execute()
    monkeypatch.setattr(audit_trail, "WHOLE_WALK_EVERY", 0)
    assert f"broken at event #{first.id}" in browser.get("/admin/audit").get_data(as_text=True)


def test_only_admins_see_the_trail(as_role):
    """Can a reviewer, a lawyer or a researcher see the audit trail?"""
    for role in ("reviewer", "lawyer", "researcher"):
        assert as_role(role).get("/admin/audit").status_code == 403


@pytest.mark.skipif(os.environ.get("INCIDENTS_TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="only SQLite stores text that is not a date in a date column")
def test_an_event_edited_into_nonsense_is_named_not_a_crash(app, users, as_role):
    """When an audit entry is edited into nonsense, do the verify command and the trail page name it
    instead of crashing?"""
    audit.record(users["admin"], "test.one")
    victim = audit.record(users["admin"], "test.two")
    database.execute_sql("UPDATE audit_event SET created_at = 'not a date' WHERE id = ?", (victim.id,))
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"#{victim.id}" in result.output
    assert f"broken at event #{victim.id}" in as_role("admin").get("/admin/audit").get_data(as_text=True)
