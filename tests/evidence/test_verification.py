"""Four eyes on verification: an item's status reaches the public only when a second reviewer,
who neither uploaded the item nor assessed it, confirms the status they saw."""
from __future__ import annotations

import importlib

import pytest

from incidents.db import database, migrate
from incidents.evidence import verification
from incidents.models import AuditEvent, CustodyEvent, EvidenceItem, Incident, PublishedIncident
from tests.factories import attach_file, make_facility, make_incident, publish


@pytest.fixture
def published_item(app, users):
    """A file uploaded by the contributor, in a published incident."""
    incident = make_incident(users["contributor"], make_facility(users["contributor"]))
    item = attach_file(app, incident, users["contributor"])
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer2"])
    return EvidenceItem.get_by_id(item.id)


def assess(client, headers, item, outcomes=("consistent",) * 3):
    for part, outcome in zip(("source", "technical", "content"), outcomes, strict=False):  # fewer outcomes: the rest unassessed
        response = client.post(f"/api/v1/evidence/{item.id}/assessments", headers=headers,
                               json={"part": part, "outcome": outcome, "method": f"{part} check"})
        assert response.status_code == 201, response.get_json()


def public_facet(client):
    return {e["value"]: e["count"] for e in client.get("/api/v1/incidents").get_json()["facets"]["verification"]}


def public_state(client, item):
    """Everything the public reads about the item's status: the item, the incident page, the facet."""
    page = client.get(f"/incidents/{item.incident_id}?lang=en").get_data(as_text=True)
    return (client.get(f"/api/v1/evidence/{item.id}").get_json()["verification"],
            PublishedIncident.get(PublishedIncident.incident == item.incident_id).verification,
            "Verified" in page, public_facet(client))


def test_a_reviewers_own_three_assessments_do_not_change_the_public_status(client, bearer, published_item):
    """Can one reviewer's own assessments change the verification status the public sees?"""
    before = public_state(client, published_item)
    assess(client, bearer("reviewer"), published_item)
    assert EvidenceItem.get_by_id(published_item.id).verification == "verified"  # the working status
    assert public_state(client, published_item) == before == ("unassessed", "unassessed", False, {"unassessed": 1})
    assert client.get("/api/v1/incidents?verification=verified").get_json()["total"] == 0


def test_a_second_reviewers_confirmation_makes_the_status_public(client, bearer, users, published_item):
    """Does a second reviewer's confirmation make the verification status public, recorded with who
    confirmed it in the audit trail and the item's chain of custody?"""
    assess(client, bearer("reviewer"), published_item)
    response = client.post(f"/api/v1/evidence/{published_item.id}/verification/confirm",
                           headers=bearer("admin"), json={"status": "verified"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["confirmed_verification"] == "verified"
    assert response.get_json()["awaits_confirmation"] is False
    assert public_state(client, published_item) == ("verified", "verified", True, {"verified": 1})
    item = EvidenceItem.get_by_id(published_item.id)
    assert item.confirmed_by_id == users["admin"].id and item.confirmed_at is not None
    audited = AuditEvent.select().where(AuditEvent.action == "evidence.confirm_verification").get()
    assert audited.actor_id == users["admin"].id and audited.detail == {"status": "verified", "previous": "unassessed"}
    custody = CustodyEvent.select().where(CustodyEvent.item == item.id).order_by(CustodyEvent.id.desc()).first()
    assert custody.action == "verification_confirmed" and custody.detail["status"] == "verified"


@pytest.mark.parametrize("uploader, who", [("contributor", "reviewer"), ("admin", "admin")])
def test_the_uploader_or_an_assessor_cannot_confirm(app, client, bearer, users, uploader, who):
    """Can the person who uploaded an item or assessed it confirm its verification status through the API?

    The reviewer who assessed it, or the admin who uploaded it: refused, nothing changes."""
    incident = make_incident(users["contributor"], make_facility(users["contributor"]))
    item = attach_file(app, incident, users[uploader])
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer2"])
    assess(client, bearer("reviewer"), item)
    before = public_state(client, item)
    response = client.post(f"/api/v1/evidence/{item.id}/verification/confirm",
                           headers=bearer(who), json={"status": "verified"})
    assert response.status_code == 403
    item = EvidenceItem.get_by_id(item.id)
    assert (item.confirmed_verification, item.confirmed_by_id) == ("unassessed", None)
    assert public_state(client, item) == before
    assert not AuditEvent.select().where(AuditEvent.action == "evidence.confirm_verification").exists()


def test_the_uploader_or_an_assessor_is_refused_on_the_page_too(as_role, users, published_item):
    """Can the assessor confirm an item's verification status from its page, and can a lawyer?"""
    verification.record_assessment(users["reviewer"], published_item.id,
                                   {"part": "source", "outcome": "consistent", "method": "Asked the sender."})
    assessor = as_role("reviewer")
    page = assessor.get(f"/evidence/{published_item.id}?lang=en").get_data(as_text=True)
    assert "Awaits confirmation" in page and "another reviewer confirms it" in page
    assert 'name="status"' not in page
    response = assessor.post(f"/evidence/{published_item.id}/verification/confirm", data={"status": "in_progress"})
    assert response.status_code == 302
    shown = assessor.get(response.headers["Location"]).get_data(as_text=True)
    assert "not whoever uploaded the item or assessed it" in shown
    assert EvidenceItem.get_by_id(published_item.id).confirmed_verification == "unassessed"
    assert as_role("lawyer").post(f"/evidence/{published_item.id}/verification/confirm",
                                  data={"status": "in_progress"}).status_code == 403


def test_a_lone_disputed_does_not_reach_the_public_until_confirmed(client, bearer, as_role, published_item):
    """Does a single reviewer's dispute reach the public before another reviewer confirms it?"""
    assess(client, bearer("reviewer"), published_item)
    client.post(f"/api/v1/evidence/{published_item.id}/verification/confirm", headers=bearer("admin"),
                json={"status": "verified"})
    # One reviewer finds it inconsistent: the public keeps the confirmed "verified".
    response = client.post(f"/api/v1/evidence/{published_item.id}/assessments", headers=bearer("reviewer2"),
                           json={"part": "content", "outcome": "inconsistent", "method": "Another room."})
    assert response.get_json()["verification"] == "disputed"
    assert public_state(client, published_item) == ("verified", "verified", True, {"verified": 1})
    # The admin, who assessed nothing, confirms the dispute from the page.
    admin = as_role("admin")
    page = admin.get(f"/evidence/{published_item.id}?lang=en").get_data(as_text=True)
    assert "Awaits confirmation" in page and "Found inconsistent" in page
    response = admin.post(f"/evidence/{published_item.id}/verification/confirm", data={"status": "disputed"})
    assert response.status_code == 302
    assert "the public now sees this status" in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert public_state(client, published_item)[:2] == ("disputed", "disputed")
    assert public_facet(client) == {"disputed": 1}


def test_a_confirmation_of_a_status_that_changed_since_is_refused(client, bearer, as_role, published_item):
    """Can a reviewer confirm a verification status that changed since they read it, or one that does not
    exist?"""
    assess(client, bearer("reviewer"), published_item, outcomes=("consistent", "consistent"))
    admin = as_role("admin")
    form_status = "in_progress"  # what the page showed the admin
    assess(client, bearer("reviewer"), published_item, outcomes=("consistent", "consistent", "consistent"))
    response = admin.post(f"/evidence/{published_item.id}/verification/confirm", data={"status": form_status})
    assert "The verification status changed while you were reading" in \
        admin.get(response.headers["Location"]).get_data(as_text=True)
    assert EvidenceItem.get_by_id(published_item.id).confirmed_verification == "unassessed"
    api = client.post(f"/api/v1/evidence/{published_item.id}/verification/confirm", headers=bearer("admin"),
                      json={"status": form_status})
    assert api.status_code == 409
    for bad in ({"status": "certainly"}, {}, {"status": ["verified"]}):
        refused = client.post(f"/api/v1/evidence/{published_item.id}/verification/confirm",
                              headers=bearer("admin"), json=bad)
        assert refused.status_code == 422 and "status" in refused.get_json()["error"]["fields"]
    assert EvidenceItem.get_by_id(published_item.id).confirmed_verification == "unassessed"


def test_a_confirmed_status_awaits_nothing_until_the_next_change(client, bearer, published_item):
    """Can a status that is already confirmed be confirmed a second time?"""
    assess(client, bearer("reviewer"), published_item)
    confirm = lambda: client.post(f"/api/v1/evidence/{published_item.id}/verification/confirm",  # noqa: E731
                                  headers=bearer("admin"), json={"status": "verified"})
    assert confirm().status_code == 200
    assert confirm().status_code == 409  # nothing awaits confirmation
    assert AuditEvent.select().where(AuditEvent.action == "evidence.confirm_verification").count() == 1


def test_the_migration_carries_over_only_what_was_public(app, users, client, bearer):
    """When an older database is upgraded, does a published item keep the status the public saw while an
    unpublished one starts unconfirmed, and can the step run twice?

    0017 on a database made before it: a published item keeps the status the public saw (no
    confirmer on record, so it awaits a confirmation); an unpublished one starts unconfirmed."""
    facility = make_facility(users["contributor"])
    shown = make_incident(users["contributor"], facility)
    public_item = attach_file(app, shown, users["contributor"])
    publish(Incident.get_by_id(shown.id), users["contributor"], users["reviewer2"])
    draft_item = attach_file(app, make_incident(users["contributor"], facility), users["contributor"], b"other")
    for item in (public_item, draft_item):
        assess(client, bearer("reviewer"), item)
    # As the old rule left it: the public projection showed the working status at once.
    PublishedIncident.update(verification="verified").execute()
    from peewee import SqliteDatabase
    from playhouse.migrate import SchemaMigrator
    migrator = SchemaMigrator.from_database(database.obj)
    sqlite = isinstance(database.obj, SqliteDatabase)
    if sqlite:
        database.execute_sql("PRAGMA foreign_keys = OFF")  # (only outside a transaction)
    with database.atomic():
        # On SQLite the legacy way rebuilds the table: its own DROP COLUMN refuses a foreign key.
        migrator.migrate(*[migrator.drop_column("evidence_item", column, **({"legacy": True} if sqlite else {}))
                           for column in ("confirmed_verification", "confirmed_by_id", "confirmed_at")])
        database.execute_sql("DELETE FROM schema_migration WHERE name = '0017_confirmed_verification'")
    if sqlite:
        database.execute_sql("PRAGMA foreign_keys = ON")
    assert migrate() == ["0017_confirmed_verification"]
    kept = EvidenceItem.get_by_id(public_item.id)
    assert (kept.confirmed_verification, kept.confirmed_by_id) == ("verified", None)
    assert EvidenceItem.get_by_id(draft_item.id).confirmed_verification == "unassessed"
    assert client.get(f"/api/v1/evidence/{public_item.id}").get_json()["verification"] == "verified"
    assert client.get(f"/api/v1/evidence/{public_item.id}", headers=bearer("lawyer")).get_json()["awaits_confirmation"]
    step = importlib.import_module("incidents.migrations.0017_confirmed_verification")
    step.up(migrator, database.obj)  # again, on the columns it made


@pytest.mark.parametrize("redaction", ["public", "confidential"])
def test_a_dossier_carries_only_confirmed_statuses(app, users, published_item, redaction):
    """Does a dossier, public or confidential, show only confirmed verification statuses?

    A dossier leaves the house: an assessment nobody confirmed shows in neither redaction."""
    from incidents.dossiers.assemble import DossierRequest, gather
    verification.record_assessment(users["reviewer"], published_item.id,
                                   {"part": "content", "outcome": "inconsistent", "method": "Another room."})

    def statuses():
        with app.test_request_context():
            data = gather(users["lawyer"], DossierRequest((published_item.incident_id,), redaction, "en"),
                          "Test installation").data
        incident = data["incidents"][0]
        return incident["verification"], [e["verification"] for e in incident["evidence"] if e["sha256"]]

    assert statuses() == ("unassessed", ["unassessed"])
    verification.confirm(users["admin"], published_item.id, {"status": "disputed"})
    assert statuses() == ("disputed", ["disputed"])
