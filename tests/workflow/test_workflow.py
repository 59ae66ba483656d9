"""The review workflow: four eyes, comments, pending revisions, retraction."""
from __future__ import annotations

import os

import pytest

from incidents import audit, workflow
from incidents.errors import Conflict, Forbidden, NotFound, ValidationFailed
from incidents.evidence.store import EvidenceStore
from incidents.models import CustodyEvent, EvidenceItem, Incident, PublishedIncident, ReviewEvent, Revision, StoredFile
from incidents.records import service
from incidents.revisions import diff, get_revision, latest_number, snapshot
from tests.factories import JPEG, MAX_TEXT, attach_file, edit, make_incident, move, publish


def test_full_cycle_publishes_and_logs_every_step(users, facility):
    """draft -> in_review -> published, each step a review event and an audit entry."""
    incident = make_incident(users["contributor"], facility)
    assert incident.status == "draft" and not PublishedIncident.select().exists()
    move(incident.id, users["contributor"], "submit")
    move(incident.id, users["reviewer"], "approve")
    incident = Incident.get_by_id(incident.id)
    assert incident.status == "published" and incident.published_revision == 1
    assert [e.action for e in incident.review_events.order_by(ReviewEvent.id)] == ["submit", "approve"]
    assert PublishedIncident.get_by_id(incident.id).title["ru"] == "Пытки в больнице"
    assert audit.verify() is None


@pytest.mark.parametrize("action", ["approve", "request_changes", "reject"])
def test_nobody_reviews_what_they_submitted(users, facility, action):
    incident = make_incident(users["reviewer"], facility)
    move(incident.id, users["reviewer"], "submit")
    with pytest.raises(Forbidden):
        move(incident.id, users["reviewer"], action, comment="why")
    assert Incident.get_by_id(incident.id).status == "in_review"


def test_a_reviewer_who_edited_cannot_approve(users, facility):
    """Editing during review makes it the reviewer's work: another reviewer must approve."""
    incident = make_incident(users["contributor"], facility)
    move(incident.id, users["contributor"], "submit")
    edit(incident.id, users["reviewer"], "title", "en", "Corrected title")
    with pytest.raises(Forbidden):
        move(incident.id, users["reviewer"], "approve")
    move(incident.id, users["reviewer2"], "approve")
    assert PublishedIncident.get_by_id(incident.id).title["en"] == "Corrected title"


def test_contributors_and_lawyers_cannot_review(users, facility):
    incident = make_incident(users["reviewer"], facility)
    move(incident.id, users["reviewer"], "submit")
    with pytest.raises(NotFound):  # a contributor may not even see someone else's working copy
        move(incident.id, users["contributor"], "approve")
    with pytest.raises(Forbidden):
        move(incident.id, users["lawyer"], "approve")


def test_request_changes_needs_a_comment_the_author_sees(users, facility, as_role):
    incident = make_incident(users["contributor"], facility)
    move(incident.id, users["contributor"], "submit")
    with pytest.raises(ValidationFailed):
        move(incident.id, users["reviewer"], "request_changes", comment="  ")
    move(incident.id, users["reviewer"], "request_changes",
                        comment="Add the date the video was received.")
    assert Incident.get_by_id(incident.id).status == "draft"
    page = as_role("contributor").get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "Add the date the video was received." in page
    edit(incident.id, users["contributor"], "narrative", "en", "Received on 5 October 2021.")
    move(incident.id, users["contributor"], "submit")
    review_page = as_role("reviewer").get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "1 field changed since it was returned for changes" in review_page
    assert "Received on 5 October 2021." in review_page


def test_wrong_state_is_a_conflict(users, facility):
    incident = make_incident(users["contributor"], facility)
    with pytest.raises(Conflict):
        move(incident.id, users["reviewer"], "approve")
    with pytest.raises(ValidationFailed):
        move(incident.id, users["reviewer"], "destroy")


def test_stale_version_is_refused(users, facility):
    incident = make_incident(users["contributor"], facility)
    move(incident.id, users["contributor"], "submit")
    with pytest.raises(Conflict):
        workflow.transition(incident.id, users["reviewer"], "approve", version=incident.version - 1)


def test_editing_published_keeps_the_public_version_until_approved(users, facility, client):
    incident = make_incident(users["contributor"], facility)
    publish(incident, users["contributor"], users["reviewer"])
    edit(incident.id, users["contributor"], "narrative", "en", "A new, unreviewed claim.")
    assert Incident.get_by_id(incident.id).status == "draft"
    public = client.get(f"/incidents/{incident.id}?lang=en").get_data(as_text=True)
    assert "A new, unreviewed claim." not in public and "A prisoner was tied to a bed." in public
    base, changes = service.changes_for_review(Incident.get_by_id(incident.id))
    assert base == "published" and [field for field, _old, _new in changes] == ["narrative"]
    move(incident.id, users["contributor"], "submit")
    move(incident.id, users["reviewer"], "approve")
    public = client.get(f"/incidents/{incident.id}?lang=en").get_data(as_text=True)
    assert "A new, unreviewed claim." in public


def test_rejecting_a_pending_edit_restores_the_published_version(users, facility):
    incident = make_incident(users["contributor"], facility)
    publish(incident, users["contributor"], users["reviewer"])
    edit(incident.id, users["contributor"], "title", "en", "Unfounded change")
    move(incident.id, users["contributor"], "submit")
    move(incident.id, users["reviewer"], "reject", comment="Not supported by a source.")
    incident = Incident.get_by_id(incident.id)
    assert incident.status == "published" and incident.title["en"] == "Torture in the hospital"
    assert PublishedIncident.get_by_id(incident.id).title["en"] == "Torture in the hospital"


def test_reject_and_retract_keep_the_record(users, facility, client):
    rejected = make_incident(users["contributor"], facility)
    move(rejected.id, users["contributor"], "submit")
    move(rejected.id, users["reviewer"], "reject", comment="Duplicate of INC-000001.")
    published = make_incident(users["contributor"], facility)
    publish(published, users["contributor"], users["reviewer"])
    assert client.get(f"/incidents/{published.id}").status_code == 200
    move(published.id, users["reviewer"], "retract", comment="Consent withdrawn.")
    for incident in (rejected, published):
        assert Incident.get_by_id(incident.id).status in ("rejected", "retracted")
        assert client.get(f"/incidents/{incident.id}").status_code == 404
        assert Revision.select().where(Revision.incident == incident.id).exists()
    assert not PublishedIncident.select().exists()


def test_transition_from_the_page_needs_csrf_and_shows_the_result(users, facility, as_role):
    incident = make_incident(users["contributor"], facility)
    contributor = as_role("contributor")
    no_token = contributor.client.post(f"/incidents/{incident.id}/transition", data={"action": "submit"})
    assert no_token.status_code == 400
    assert Incident.get_by_id(incident.id).status == "draft"
    response = contributor.post(f"/incidents/{incident.id}/transition",
                                data={"action": "submit", "version": incident.version})
    assert response.status_code == 302
    assert Incident.get_by_id(incident.id).status == "in_review"
    reviewer = as_role("reviewer")
    queue = reviewer.get("/review").get_data(as_text=True)
    assert incident.reference in queue
    reviewer.post(f"/incidents/{incident.id}/transition",
                  data={"action": "approve", "version": Incident.get_by_id(incident.id).version})
    assert Incident.get_by_id(incident.id).status == "published"


def test_own_work_is_marked_in_the_queue(users, facility, as_role):
    incident = make_incident(users["reviewer"], facility)
    move(incident.id, users["reviewer"], "submit")
    page = as_role("reviewer").get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert 'value="approve"' not in page
    assert 'value="approve"' in as_role("reviewer2").get(f"/incidents/{incident.id}").get_data(as_text=True)


VERSION_MISSING = "the version of the incident you read is missing"


@pytest.mark.parametrize("action", ["submit", "approve", "request_changes", "reject", "retract"])
def test_no_transition_is_taken_without_the_version_read(users, facility, action):
    """Whoever moves an incident names the version they read: an approval without one would
    publish whatever the text had become since."""
    incident = make_incident(users["contributor"], facility)
    if action != "submit":
        incident = publish(incident, users["contributor"], users["reviewer"])
        if action != "retract":
            edit(incident.id, users["contributor"], "title", "en", "A change nobody reviewed")
            incident = move(incident, users["contributor"], "submit")
    for version in (None, ""):
        with pytest.raises(ValidationFailed) as refused:
            workflow.transition(incident.id, users["reviewer2"], action, comment="Why", version=version)
        assert VERSION_MISSING in str(refused.value.message) and refused.value.fields["version"]
    after = Incident.get_by_id(incident.id)
    assert (after.status, after.version) == (incident.status, incident.version)


def test_a_page_transition_without_version_is_refused_with_a_clear_message(users, facility, as_role):
    incident = make_incident(users["contributor"], facility)
    contributor = as_role("contributor")
    response = contributor.post(f"/incidents/{incident.id}/transition", data={"action": "submit"})
    assert Incident.get_by_id(incident.id).status == "draft"
    assert response.status_code == 302
    assert VERSION_MISSING in contributor.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    move(incident, users["contributor"], "submit")
    reviewer = as_role("reviewer")
    response = reviewer.post(f"/incidents/{incident.id}/transition", data={"action": "approve", "version": ""})
    assert VERSION_MISSING in reviewer.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert Incident.get_by_id(incident.id).status == "in_review" and not PublishedIncident.select().exists()


def test_an_edit_page_sent_without_its_version_says_so_and_saves_nothing(users, facility, as_role):
    incident = make_incident(users["contributor"], facility)
    response = as_role("contributor").post(f"/incidents/{incident.id}/edit?lang=en",
                                           data={"title_en": "Saved over what nobody read"})
    assert response.status_code == 422
    assert VERSION_MISSING in response.get_data(as_text=True)
    after = Incident.get_by_id(incident.id)
    assert after.version == incident.version and after.title["en"] == "Torture in the hospital"


def test_history_shows_every_revision_and_is_audited(users, facility, as_role):
    from incidents.models import AuditEvent
    incident = make_incident(users["contributor"], facility)
    edit(incident.id, users["contributor"], "title", "en", "Second title")
    page = as_role("lawyer").get(f"/incidents/{incident.id}/history?lang=en")
    assert page.status_code == 200 and "Second title" in page.get_data(as_text=True)
    assert facility.names["en"] in page.get_data(as_text=True)  # the place by its name, not its number
    assert AuditEvent.select().where(AuditEvent.action == "incident.view_history").count() == 1
    assert as_role("researcher").get(f"/incidents/{incident.id}/history").status_code == 404


def test_reviewers_are_told_what_waits(users, facility, as_role):
    incident = make_incident(users["contributor"], facility)
    move(incident.id, users["contributor"], "submit")
    home = as_role("reviewer").get("/?lang=en").get_data(as_text=True)
    assert "1 incident is waiting for review." in home
    assert "waiting for review" not in as_role("lawyer").get("/?lang=en").get_data(as_text=True)


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
    """A rejected revision leaves nothing of itself on the incident: the file and link it brought
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
    _base, changes = service.changes_for_review(Incident.get_by_id(incident.id))
    assert [field for field, _old, _new in changes] == ["title"]
    assert client.get(f"/evidence/{photo.id}").status_code == 404
    assert as_role("contributor").get(f"/evidence/{photo.id}").status_code == 404  # no longer on their incident
    page = as_role("reviewer").get(f"/evidence/{photo.id}?lang=en")  # staff who keep the archive still may
    assert page.status_code == 200 and "Detached: the edit that brought it was rejected" in page.get_data(as_text=True)


def test_a_returned_pending_edit_keeps_its_evidence_with_its_author(app, users, facility, as_role):
    """Requesting changes is not rejecting: the edit, files included, goes back to its author."""
    incident, photo, link = _pending_edit_with_new_evidence(app, users, facility)
    move(incident, users["reviewer2"], "request_changes", comment="Say where the photo was taken.")
    assert Incident.get_by_id(incident.id).status == "draft"
    assert {EvidenceItem.get_by_id(item.id).incident_id for item in (photo, link)} == {incident.id}
    assert as_role("contributor").get(f"/evidence/{photo.id}").status_code == 200


def test_an_assessment_of_a_rejected_file_no_longer_speaks_for_the_incident(app, users, facility):
    from incidents.evidence import verification
    incident, photo, _link = _pending_edit_with_new_evidence(app, users, facility)
    verification.record_assessment(users["reviewer"], photo.id, {
        "part": "technical", "outcome": "inconsistent", "method": "Error level analysis shows a pasted region."})
    assert Incident.get_by_id(incident.id).verification != "unassessed"
    move(incident, users["reviewer2"], "reject", comment="The photo is edited.")
    assert Incident.get_by_id(incident.id).verification == "unassessed"


def test_after_a_rejection_staff_still_see_the_working_status_of_what_stays(app, users, facility):
    """The working status comes from the items' working statuses, not from what the public was shown."""
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
    """An item tied from the ingest archive during a rejected round goes back there, unassigned and
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
    """People renamed, added or removed and responses added in the rejected round are as published again."""
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
    """The rejection and its detaching are one transaction: a failure midway leaves all as it was."""
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
    """Migration 0018 on a database made before it: the column is the foreign key's own
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
