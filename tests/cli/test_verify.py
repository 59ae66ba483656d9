"""`flask verify`: direct database edits that leave the audit chain whole are still caught and named."""
from __future__ import annotations

import pytest

from incidents import audit, workflow
from incidents.evidence import verification
from incidents.models import (
    Assessment,
    AuditEvent,
    EvidenceItem,
    PublishedCount,
    PublishedIncident,
    PublishedTerm,
    ReviewEvent,
)
from incidents.publication import facet_counts, projection
from incidents.revisions import get_revision
from tests.factories import JPEG, attach_file, make_facility, make_incident, publish
from tests.helpers import ENGLISH
from tests.helpers import run_command as run


@pytest.fixture
def published(app, users):
    facility = make_facility(users["contributor"])
    incident = make_incident(users["contributor"], facility)
    attach_file(app, incident, users["contributor"], JPEG + b"1", "one.jpg")
    attach_file(app, incident, users["contributor"], JPEG + b"2", "two.jpg")
    return publish(incident, users["contributor"], users["reviewer"])


def test_an_untouched_instance_verifies(app, published):
    """Does "flask verify" pass an installation nobody has tampered with, every check passing?"""
    result = run(app, "verify")
    assert result.exit_code == 0, result.output
    assert "Verdict: intact, all 8 checks passed." in result.output
    assert "FAILED" not in result.output


def test_a_clean_instance_after_the_demo_verifies(app):
    """Does an installation filled with the demo data pass both "verify" and "evidence verify"?"""
    assert run(app, "demo").exit_code == 0
    result = run(app, "verify")
    assert result.exit_code == 0, result.output
    assert run(app, "evidence", "verify").exit_code == 0


def test_an_item_repointed_to_another_original_is_named(app, published):
    """If an evidence item is pointed at another original straight in the database, do both "verify"
    commands name that item, and only it?"""
    first, second = EvidenceItem.select().where(EvidenceItem.stored_file.is_null(False)).order_by(EvidenceItem.id)
    EvidenceItem.update(stored_file=second.stored_file_id).where(EvidenceItem.id == first.id).execute()
    for command in (["evidence", "verify"], ["verify"]):
        result = run(app, *command)
        assert result.exit_code == 1, result.output
        assert f"FAILED evidence item {first.id}: its file {second.stored_file_id} is not the one" in result.output
        assert f"evidence item {second.id}" not in result.output


def test_an_edited_published_title_is_named(app, published):
    """If a published title is edited straight in the database, does "verify" name the incident though
    the audit chain itself is whole?"""
    row = PublishedIncident.get_by_id(published.id)
    PublishedIncident.update(title=dict(row.title, en="Nothing happened")).where(
        PublishedIncident.incident == published.id).execute()
    result = run(app, "verify")
    assert result.exit_code == 1
    assert f"FAILED published incident {published.id}: differs from what audit event #" in result.output
    assert "published incidents: FAILED" in result.output and "audit trail: OK" in result.output


def test_edited_public_data_a_deleted_and_an_inserted_projection_are_named(app, users, published):
    """Does "verify" name a published incident whose public data was edited, deleted, or inserted
    without going through review?"""
    row = PublishedIncident.get_by_id(published.id)
    PublishedIncident.update(public_data=dict(row.public_data, victims_count=0)).where(
        PublishedIncident.incident == published.id).execute()
    assert f"published incident {published.id}: differs" in run(app, "verify").output
    PublishedIncident.delete().where(PublishedIncident.incident == published.id).execute()
    assert f"published incident {published.id}: missing, though audit event" in run(app, "verify").output
    draft = make_incident(users["contributor"], make_facility(users["contributor"], names={"en": "Other"}))
    projection.publish(draft, get_revision(draft, 1))  # a projection written past the workflow, as a direct insert would
    result = run(app, "verify")
    assert result.exit_code == 1 and f"published incident {draft.id}: no audit event published it" in result.output


def test_a_review_events_changed_actor_is_named(app, users, published):
    """If the reviewer recorded on an approval is changed in the database, does "verify" name the
    event?"""
    approval = ReviewEvent.get((ReviewEvent.incident == published.id) & (ReviewEvent.action == "approve"))
    ReviewEvent.update(actor=users["admin"]).where(ReviewEvent.id == approval.id).execute()
    result = run(app, "verify")
    assert result.exit_code == 1
    assert f"FAILED review event {approval.id}: differs from audit event #" in result.output


def test_a_review_events_changed_revision_or_a_deleted_one_is_named(app, users, published):
    """Does "verify" name a review event whose revision was changed, and an incident whose review event
    was deleted?"""
    submission = ReviewEvent.get((ReviewEvent.incident == published.id) & (ReviewEvent.action == "submit"))
    ReviewEvent.update(revision=submission.revision + 5).where(ReviewEvent.id == submission.id).execute()
    assert f"review event {submission.id}: differs" in run(app, "verify").output
    ReviewEvent.delete().where(ReviewEvent.id == submission.id).execute()
    result = run(app, "verify")
    assert result.exit_code == 1 and f"FAILED incident {published.id}: audit event #" in result.output


def test_projections_published_before_the_check_are_vouched_for_once_by_init_db(app, users, monkeypatch):
    """Are incidents published before this check existed flagged by "verify" until init-db records a
    baseline once, and checked against it from then on?

    An approval by the code before this check kept no digest: `verify` says so until init-db records
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
    """Does "verify" report in the terminal's language, Russian or Ukrainian?"""
    PublishedIncident.update(title={"en": "Nothing happened"}).where(
        PublishedIncident.incident == published.id).execute()
    russian = run(app, "verify", env=dict(ENGLISH, LANG="ru_RU.UTF-8"))
    assert russian.exit_code == 1 and "Итог" in russian.output and "Verdict" not in russian.output
    ukrainian = run(app, "verify", env=dict(ENGLISH, LANG="uk_UA.UTF-8"))
    assert ukrainian.exit_code == 1 and "Підсумок" in ukrainian.output


def published_files(incident):
    """The two files of the fixture's incident (its link carries no id in the public projection)."""
    return list(EvidenceItem.select().where((EvidenceItem.incident == incident.id)
                                            & EvidenceItem.stored_file.is_null(False)).order_by(EvidenceItem.id))


def confirmed_by_a_second_reviewer(users, item_id):
    """Three consistent assessments by the reviewer, confirmed by the admin: the genuine path."""
    for part in ("source", "technical", "content"):
        verification.record_assessment(users["reviewer"], item_id,
                                       {"part": part, "outcome": "consistent", "method": "checked"})
    return verification.confirm(users["admin"], item_id, {"status": "verified"})


def test_a_second_reviewers_confirmation_leaves_the_instance_intact(app, users, published):
    """Does a verification status confirmed the proper way, by a second reviewer, leave the
    installation passing "verify"?"""
    item = published_files(published)[0]
    confirmed_by_a_second_reviewer(users, item.id)
    assert PublishedIncident.get_by_id(published.id).verification == "verified"
    result = run(app, "verify")
    assert result.exit_code == 0, result.output


def test_a_public_verification_status_put_straight_into_the_database_is_named(app, users, published):
    """If "verified" is written straight into the database, skipping the second reviewer, does "verify"
    name it, even with the projection and counts made to agree?

    "Verified" written into the projection, or into an item with the projection and the counts
    made to agree, skipped the second reviewer: both are named."""
    assert run(app, "init-db").exit_code == 0
    PublishedIncident.update(verification="verified").where(PublishedIncident.incident == published.id).execute()
    result = run(app, "verify")
    assert result.exit_code == 1
    assert (f"FAILED published incident {published.id}: its verification status is not the one its published "
            "evidence was confirmed with") in result.output
    assert "FAILED the count of published incidents with verification = verified: 0 kept, 1 counted" in result.output
    item = published_files(published)[0]
    EvidenceItem.update(confirmed_verification="verified").where(EvidenceItem.id == item.id).execute()
    facet_counts.rebuild()
    result = run(app, "verify")
    assert result.exit_code == 1 and "published incidents: OK" in result.output
    assert (f"FAILED evidence item {item.id}: its public verification status was set by no confirmation in "
            "the audit trail") in result.output


def test_a_confirmations_changed_confirmer_or_status_is_named(app, users, published):
    """If who confirmed a verification status, or the status itself, is changed in the database, does
    "verify" name the item?"""
    item = published_files(published)[0]
    confirmed_by_a_second_reviewer(users, item.id)
    EvidenceItem.update(confirmed_by=users["reviewer"]).where(EvidenceItem.id == item.id).execute()
    result = run(app, "verify")
    assert result.exit_code == 1
    assert (f"FAILED evidence item {item.id}: its public verification status or who confirmed it differs from "
            "audit event #") in result.output
    EvidenceItem.update(confirmed_by=users["admin"], confirmed_verification="disputed").where(
        EvidenceItem.id == item.id).execute()
    assert f"FAILED evidence item {item.id}: its public verification status or who" in run(app, "verify").output


def test_edited_counts_and_filter_terms_are_named(app, published):
    """Does "verify" name published counts and filter terms that were edited in the database?"""
    PublishedCount.update(count=PublishedCount.count + 40).where(PublishedCount.dimension == "total").execute()
    PublishedTerm.create(incident=published.id, vocabulary="abuse", code="rape")
    result = run(app, "verify")
    assert result.exit_code == 1
    assert "FAILED the count of all published incidents: 41 kept, 1 counted" in result.output
    assert (f"FAILED published incident {published.id}: its abuse or perpetrator types, as filters find them, "
            "are not the ones it published") in result.output


def test_statuses_carried_over_by_the_migration_are_vouched_for_once_by_init_db(app, users, published):
    """Are public verification statuses carried over by migration 0017 flagged until init-db records a
    baseline once, and is a status set the same way afterwards named?

    Migration 0017 kept the public statuses of before, with no confirmer: `verify` asks for a
    baseline once, init-db records it, and a status put in the same way afterwards is named."""
    first, second = published_files(published)
    EvidenceItem.update(confirmed_verification="unverifiable").where(EvidenceItem.id == first.id).execute()
    PublishedIncident.update(verification="unverifiable").where(PublishedIncident.incident == published.id).execute()
    facet_counts.rebuild()
    result = run(app, "verify")
    assert result.exit_code == 1 and f"FAILED evidence item {first.id}: its public verification status was " \
                                      "carried over" in result.output
    assert "Recorded in the audit trail the 1 public verification status(es)" in run(app, "init-db").output
    assert run(app, "verify").exit_code == 0
    EvidenceItem.update(confirmed_verification="disputed").where(EvidenceItem.id == second.id).execute()
    PublishedIncident.update(verification="disputed").where(PublishedIncident.incident == published.id).execute()
    facet_counts.rebuild()
    assert "public verification status" not in run(app, "init-db").output
    result = run(app, "verify")
    assert result.exit_code == 1
    assert f"FAILED evidence item {second.id}: its public verification status was set by no" in result.output


def test_verify_with_a_noted_head_names_events_deleted_from_the_end(app, users, published):
    """Given the head of the audit chain noted earlier, does "verify" catch events deleted from the end
    of the trail?

    An event no other record leans on (a lawyer's reading), deleted from the end of the trail."""
    head = audit.record(users["lawyer"], "incident.read_confidential", published).hash
    assert run(app, "verify", "--head", head).exit_code == 0
    AuditEvent.delete().where(AuditEvent.hash == head).execute()
    assert run(app, "verify").exit_code == 0  # the chain is whole without its last event
    result = run(app, "verify", "--head", head)
    assert result.exit_code == 1 and f"FAILED the head {head} noted earlier: is not in the trail" in result.output


def test_an_assessments_changed_assessor_or_outcome_is_named(app, users, published):
    """Does "verify" name an assessment whose assessor or outcome was changed in the database, or that
    was deleted?

    An assessment moved to another reviewer's name would let its real author confirm it."""
    item = published_files(published)[0]
    confirmed_by_a_second_reviewer(users, item.id)
    first, second, _third = Assessment.select().where(Assessment.item == item.id).order_by(Assessment.id)
    Assessment.update(assessor=users["reviewer2"]).where(Assessment.id == first.id).execute()
    result = run(app, "verify")
    assert result.exit_code == 1
    assert f"FAILED assessment {first.id}: differs from audit event #" in result.output
    Assessment.update(outcome="inconsistent").where(Assessment.id == second.id).execute()
    result = run(app, "verify")
    assert f"FAILED assessment {second.id}: differs from audit event #" in result.output
    assert (f"FAILED evidence item {item.id}: its verification status is not the one its assessments give"
            in result.output)
    Assessment.delete().where(Assessment.id == second.id).execute()
    assert f"FAILED evidence item {item.id}: audit event #" in run(app, "verify").output
