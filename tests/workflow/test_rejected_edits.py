"""Rejecting a pending edit of a published incident: what it brought is detached, what was public comes back."""
from __future__ import annotations

import os

import pytest

from incidents import audit
from incidents.evidence.store import EvidenceStore
from incidents.models import CustodyEvent, EvidenceItem, Incident, StoredFile
from incidents.records import service
from incidents.revisions import diff, get_revision, latest_number, snapshot
from tests.factories import JPEG, MAX_TEXT, attach_file, edit, make_incident, move, publish


def _pending_edit_with_new_evidence(app, users, facility):
    """A published incident, then a pending edit that adds a file and a link to it, submitted."""
    from incidents.evidence import service as evidence
    incident = publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])
    photo = attach_file(app, incident, users["contributor"], content=JPEG + b"rejected", filename="new.jpg")
    link = evidence.attach_link(incident.id, users["contributor"],
                                {"kind": "220904051501", "url": "https://example.org/unfounded"})
    move(incident, users["contributor"], "submit")
    return Incident.get_by_id(incident.id), photo, link


def test_rejecting_a_pending_edit_detaches_the_evidence_attached_during_it(app, users, facility, client, as_role):
    """When a pending edit is rejected, are the file and link it brought detached but kept with their
    custody, and the incident left as published?

    A rejected revision leaves nothing of itself on the incident: the file and link it brought
    are detached, marked with the rejected revision and kept, custody and all; the working copy
    equals the published one, and the next edit does not propose them again."""
    incident, photo, link = _pending_edit_with_new_evidence(app, users, facility)
    rejected_number = latest_number(incident)
    move(incident, users["reviewer2"], "reject", comment="The file shows another place.")
    incident = Incident.get_by_id(incident.id)
    published = get_revision(incident, incident.published_revision)
    assert incident.status == "published" and diff(published.snapshot, snapshot(incident)) == []
    for item in (photo, link):
        item = EvidenceItem.get_by_id(item.id)
        assert item.incident_id is None and item.rejected_revision.number == rejected_number
        assert item.rejected_revision.incident_id == incident.id
        last = item.custody.order_by(CustodyEvent.id.desc()).first()
        assert (last.action, last.detail["reason"]) == ("detached", "revision rejected")
        assert (last.detail["incident"], last.detail["revision"]) == (incident.id, rejected_number)
        assert last.actor_id == users["reviewer2"].id
        assert [e.action for e in item.custody.order_by(CustodyEvent.id)][0] == "received"  # kept whole
    store = EvidenceStore.from_settings(app.config["SETTINGS"])
    assert StoredFile.get_by_id(photo.stored_file_id) and os.path.exists(store.path_for(photo.stored_file_id))
    edit(incident.id, users["contributor"], "title", "en", "A later, honest edit")
    _base, changes = service.changes_for_review(Incident.get_by_id(incident.id), users["reviewer"])
    assert [change.name for change in changes] == ["title"]
    assert client.get(f"/evidence/{photo.id}").status_code == 404
    assert as_role("contributor").get(f"/evidence/{photo.id}").status_code == 404  # no longer on their incident
    page = as_role("reviewer").get(f"/evidence/{photo.id}?lang=en")  # staff who keep the archive still may
    assert page.status_code == 200 and "Detached: the edit that brought it was rejected" in page.get_data(as_text=True)


def test_a_returned_pending_edit_keeps_its_evidence_with_its_author(app, users, facility, as_role):
    """When a pending edit is returned for changes, does the evidence it brought stay on the incident
    with its author?

    Requesting changes is not rejecting: the edit, files included, goes back to its author."""
    incident, photo, link = _pending_edit_with_new_evidence(app, users, facility)
    move(incident, users["reviewer2"], "request_changes", comment="Say where the photo was taken.")
    assert Incident.get_by_id(incident.id).status == "draft"
    assert {EvidenceItem.get_by_id(item.id).incident_id for item in (photo, link)} == {incident.id}
    assert as_role("contributor").get(f"/evidence/{photo.id}").status_code == 200


def test_an_assessment_of_a_rejected_file_no_longer_speaks_for_the_incident(app, users, facility):
    """Once the edit that brought a file is rejected, does the file's assessment stop counting in the
    incident's verification status?"""
    from incidents.evidence import verification
    incident, photo, _link = _pending_edit_with_new_evidence(app, users, facility)
    verification.record_assessment(users["reviewer"], photo.id, {
        "part": "technical", "outcome": "inconsistent", "method": "Error level analysis shows a pasted region."})
    assert Incident.get_by_id(incident.id).verification != "unassessed"
    move(incident, users["reviewer2"], "reject", comment="The photo is edited.")
    assert Incident.get_by_id(incident.id).verification == "unassessed"


def test_after_a_rejection_staff_still_see_the_working_status_of_what_stays(app, users, facility):
    """After a rejection, does the incident's working verification status still reflect the assessments
    of the evidence that stays?

    The working status comes from the items' working statuses, not from what the public was shown."""
    from incidents.evidence import verification
    incident = publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])
    kept = attach_file(app, incident, users["contributor"], content=JPEG + b"kept", filename="kept.jpg")
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer"])
    verification.record_assessment(users["reviewer"], kept.id, {
        "part": "content", "outcome": "inconsistent", "method": "The yard does not match the colony's."})
    attach_file(app, incident, users["contributor"], content=JPEG + b"new", filename="new.jpg")
    move(incident, users["contributor"], "submit")
    move(incident, users["reviewer2"], "reject", comment="Not this incident.")
    assert Incident.get_by_id(incident.id).verification == "disputed"  # unconfirmed: the public sees none


def test_rejecting_a_pending_edit_returns_archive_items_to_the_archive(app, users, facility, tmp_path):
    """Does rejecting an edit send an item it took from the ingest archive back to the archive,
    unassigned and with the rejection logged?

    An item tied from the ingest archive during a rejected round goes back there, unassigned and
    unmarked (it may belong to another incident), with the rejection in its custody log."""
    from incidents.evidence import service as evidence
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "otb1.mp4").write_bytes(os.urandom(5000))
    app.test_cli_runner().invoke(args=["ingest", str(folder), "--user", users["reviewer"].email])
    archived = EvidenceItem.get(EvidenceItem.batch.is_null(False))
    incident = publish(make_incident(users["contributor"], facility, evidence=[]), users["contributor"],
                       users["reviewer2"])
    evidence.assign_to_incident(users["reviewer"], archived.id, incident.id)
    move(incident, users["contributor"], "submit")
    rejected_number = latest_number(incident)
    move(incident, users["reviewer2"], "reject", comment="Not this incident.")
    item = EvidenceItem.get_by_id(archived.id)
    assert item.incident_id is None and item.batch_id == archived.batch_id and item.rejected_revision is None
    last = item.custody.order_by(CustodyEvent.id.desc()).first()
    assert last.action == "detached" and last.detail["revision"] == rejected_number
    assert last.detail["returned_to"] == "archive"
    assert [batch.unassigned for batch in evidence.archive_batches(users["reviewer"])] == [1]
    incident = Incident.get_by_id(incident.id)
    assert diff(get_revision(incident, incident.published_revision).snapshot, snapshot(incident)) == []


def test_rejecting_a_pending_edit_restores_people_and_responses(users, facility):
    """Does rejecting an edit bring back the people and the official responses as they were published?

    People renamed, added or removed and responses added in the rejected round are as published again."""
    incident = publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])
    current = Incident.get_by_id(incident.id)
    data = snapshot(current)
    data["persons"] = [{"role": "witness", "pseudonym": "Guard K.", "consent": "none"}]
    data["responses"] = [{"kind": "criminal_case", "date": "2021-03-01", "body": "Prosecutor"}]
    service.update_incident(incident.id, data, users["contributor"], version=current.version, max_text=MAX_TEXT)
    move(incident, users["contributor"], "submit")
    move(incident, users["reviewer"], "reject", comment="No source for the witness.")
    incident = Incident.get_by_id(incident.id)
    assert diff(get_revision(incident, incident.published_revision).snapshot, snapshot(incident)) == []
    assert [p.pseudonym for p in incident.persons] == ["Prisoner S."] and not incident.responses.exists()


def test_a_failed_rejection_changes_nothing(app, users, facility, monkeypatch):
    """If a rejection fails midway, are the incident and its evidence left exactly as they were?

    The rejection and its detaching are one transaction: a failure midway leaves all as it was."""
    incident, photo, _link = _pending_edit_with_new_evidence(app, users, facility)
    custody = CustodyEvent.select().count()

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")
    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        move(incident, users["reviewer2"], "reject", comment="Not supported.")
    assert Incident.get_by_id(incident.id).status == "in_review"
    assert EvidenceItem.get_by_id(photo.id).incident_id == incident.id and CustodyEvent.select().count() == custody


def test_the_rejected_revision_column_is_added_to_an_older_database(app, users, facility):
    """Does a database made before migration 0018 gain the rejected-revision column, so that rejections
    work at once?

    Migration 0018 on a database made before it: the column is the foreign key's own
    (``rejected_revision_id``), existing items stay, and a rejection can use it at once."""
    from playhouse.migrate import SchemaMigrator, SqliteMigrator

    from incidents.db import database, migrate
    incident, photo, link = _pending_edit_with_new_evidence(app, users, facility)
    migrator = SchemaMigrator.from_database(database.obj)
    sqlite = isinstance(migrator, SqliteMigrator)
    if sqlite:  # its DROP COLUMN refuses a foreign key: the table is rebuilt, with checks off meanwhile
        database.execute_sql("PRAGMA foreign_keys = OFF")
    with database.atomic():
        migrator.migrate(migrator.drop_column("evidence_item", "rejected_revision_id",
                                              **({"legacy": True} if sqlite else {})))
        database.execute_sql("DELETE FROM schema_migration WHERE name = '0018_rejected_revisions'")
    if sqlite:
        database.execute_sql("PRAGMA foreign_keys = ON")
    assert "rejected_revision_id" not in {c.name for c in database.get_columns("evidence_item")}
    assert migrate() == ["0018_rejected_revisions"]
    assert "rejected_revision_id" in {c.name for c in database.get_columns("evidence_item")}
    assert EvidenceItem.rejected_revision.column_name == "rejected_revision_id"
    move(incident, users["reviewer2"], "reject", comment="Not supported.")
    assert EvidenceItem.get_by_id(photo.id).rejected_revision.number == latest_number(incident) - 1
