"""`flask verify`: direct database edits that leave the audit chain whole are still caught and named."""
from __future__ import annotations

import pytest

from factories import JPEG, attach_file, make_facility, make_incident, publish
from incidents import workflow
from incidents.models import EvidenceItem, PublishedIncident, ReviewEvent

ENGLISH = {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "en_GB.UTF-8"}


@pytest.fixture
def published(app, users):
    facility = make_facility(users["contributor"])
    incident = make_incident(users["contributor"], facility)
    attach_file(app, incident, users["contributor"], JPEG + b"1", "one.jpg")
    attach_file(app, incident, users["contributor"], JPEG + b"2", "two.jpg")
    return publish(incident, users["contributor"], users["reviewer"])


def run(app, *args, env=ENGLISH):
    return app.test_cli_runner().invoke(args=list(args), env=env)


def test_an_untouched_instance_verifies(app, published):
    result = run(app, "verify")
    assert result.exit_code == 0, result.output
    assert "Verdict: intact, all 5 checks passed." in result.output
    assert "FAILED" not in result.output


def test_a_clean_instance_after_the_demo_verifies(app):
    assert run(app, "demo").exit_code == 0
    result = run(app, "verify")
    assert result.exit_code == 0, result.output
    assert run(app, "evidence", "verify").exit_code == 0


def test_an_item_repointed_to_another_original_is_named(app, published):
    first, second = EvidenceItem.select().where(EvidenceItem.stored_file.is_null(False)).order_by(EvidenceItem.id)
    EvidenceItem.update(stored_file=second.stored_file_id).where(EvidenceItem.id == first.id).execute()
    for command in (["evidence", "verify"], ["verify"]):
        result = run(app, *command)
        assert result.exit_code == 1, result.output
        assert f"FAILED evidence item {first.id}: its file {second.stored_file_id} is not the one" in result.output
        assert f"evidence item {second.id}" not in result.output


def test_an_edited_published_title_is_named(app, published):
    row = PublishedIncident.get_by_id(published.id)
    PublishedIncident.update(title=dict(row.title, en="Nothing happened")).where(
        PublishedIncident.incident == published.id).execute()
    result = run(app, "verify")
    assert result.exit_code == 1
    assert f"FAILED published incident {published.id}: differs from what audit event #" in result.output
    assert "published incidents: FAILED" in result.output and "audit trail: OK" in result.output


def test_edited_public_data_a_deleted_and_an_inserted_projection_are_named(app, users, published):
    row = PublishedIncident.get_by_id(published.id)
    PublishedIncident.update(public_data=dict(row.public_data, victims_count=0)).where(
        PublishedIncident.incident == published.id).execute()
    assert f"published incident {published.id}: differs" in run(app, "verify").output
    PublishedIncident.delete().where(PublishedIncident.incident == published.id).execute()
    assert f"published incident {published.id}: missing, though audit event" in run(app, "verify").output
    draft = make_incident(users["contributor"], make_facility(users["contributor"], names={"en": "Other"}))
    workflow.publish(draft, 1)  # a projection written past the workflow, as a direct insert would
    result = run(app, "verify")
    assert result.exit_code == 1 and f"published incident {draft.id}: no audit event published it" in result.output


def test_a_review_events_changed_actor_is_named(app, users, published):
    approval = ReviewEvent.get((ReviewEvent.incident == published.id) & (ReviewEvent.action == "approve"))
    ReviewEvent.update(actor=users["admin"]).where(ReviewEvent.id == approval.id).execute()
    result = run(app, "verify")
    assert result.exit_code == 1
    assert f"FAILED review event {approval.id}: differs from audit event #" in result.output


def test_a_review_events_changed_revision_or_a_deleted_one_is_named(app, users, published):
    submission = ReviewEvent.get((ReviewEvent.incident == published.id) & (ReviewEvent.action == "submit"))
    ReviewEvent.update(revision=submission.revision + 5).where(ReviewEvent.id == submission.id).execute()
    assert f"review event {submission.id}: differs" in run(app, "verify").output
    ReviewEvent.delete().where(ReviewEvent.id == submission.id).execute()
    result = run(app, "verify")
    assert result.exit_code == 1 and f"FAILED incident {published.id}: audit event #" in result.output


def test_projections_published_before_the_check_are_vouched_for_once_by_init_db(app, users, monkeypatch):
    """An approval by the code before this check kept no digest: `verify` says so until init-db records
    a baseline, and checks the projection against it from then on."""
    monkeypatch.setattr(workflow, "_projection_written", lambda incident, action: {})
    incident = publish(make_incident(users["contributor"], make_facility(users["contributor"])),
                       users["contributor"], users["reviewer"])
    monkeypatch.undo()
    result = run(app, "verify")
    assert result.exit_code == 1 and "published before this check existed" in result.output
    assert "Recorded in the audit trail what 1 incident(s)" in run(app, "init-db").output
    assert "Recorded in the audit trail" not in run(app, "init-db").output
    assert run(app, "verify").exit_code == 0
    PublishedIncident.update(reference="X-1").where(PublishedIncident.incident == incident.id).execute()
    assert f"published incident {incident.id}: differs" in run(app, "verify").output


def test_verify_speaks_the_terminals_language(app, published):
    PublishedIncident.update(title={"en": "Nothing happened"}).where(
        PublishedIncident.incident == published.id).execute()
    russian = run(app, "verify", env=dict(ENGLISH, LANG="ru_RU.UTF-8"))
    assert russian.exit_code == 1 and "Итог" in russian.output and "Verdict" not in russian.output
    ukrainian = run(app, "verify", env=dict(ENGLISH, LANG="uk_UA.UTF-8"))
    assert ukrainian.exit_code == 1 and "Підсумок" in ukrainian.output
