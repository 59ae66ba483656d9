"""The review workflow: four eyes, comments, pending revisions, retraction."""
from __future__ import annotations

import pytest

from incidents import audit, workflow
from incidents.errors import Conflict, Forbidden, NotFound, ValidationFailed
from incidents.models import Incident, PublishedIncident, ReviewEvent, Revision
from incidents.records import service
from tests.factories import edit, make_incident, move, publish


def test_full_cycle_publishes_and_logs_every_step(users, facility):
    """Does a draft reach the public only through submission and approval, each step leaving a review
    event and an intact audit chain?

    draft -> in_review -> published, each step a review event and an audit entry."""
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
    """Can a reviewer approve, return or reject an incident they submitted themselves?"""
    incident = make_incident(users["reviewer"], facility)
    move(incident.id, users["reviewer"], "submit")
    with pytest.raises(Forbidden):
        move(incident.id, users["reviewer"], action, comment="why")
    assert Incident.get_by_id(incident.id).status == "in_review"


def test_a_reviewer_who_edited_cannot_approve(users, facility):
    """Can a reviewer who edited an incident during its review still approve it, or must another
    reviewer?

    Editing during review makes it the reviewer's work: another reviewer must approve."""
    incident = make_incident(users["contributor"], facility)
    move(incident.id, users["contributor"], "submit")
    edit(incident.id, users["reviewer"], "title", "en", "Corrected title")
    with pytest.raises(Forbidden):
        move(incident.id, users["reviewer"], "approve")
    move(incident.id, users["reviewer2"], "approve")
    assert PublishedIncident.get_by_id(incident.id).title["en"] == "Corrected title"


def test_contributors_and_lawyers_cannot_review(users, facility):
    """Can a contributor or a lawyer approve an incident that waits for review?"""
    incident = make_incident(users["reviewer"], facility)
    move(incident.id, users["reviewer"], "submit")
    with pytest.raises(NotFound):  # a contributor may not even see someone else's working copy
        move(incident.id, users["contributor"], "approve")
    with pytest.raises(Forbidden):
        move(incident.id, users["lawyer"], "approve")


def test_request_changes_needs_a_comment_the_author_sees(users, facility, as_role):
    """Must a reviewer who returns an incident say why, does the author see it, and does the next
    reviewer see what changed since?"""
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
    """Is approving a draft that was never submitted refused, and is an action that does not exist
    refused?"""
    incident = make_incident(users["contributor"], facility)
    with pytest.raises(Conflict):
        move(incident.id, users["reviewer"], "approve")
    with pytest.raises(ValidationFailed):
        move(incident.id, users["reviewer"], "destroy")


def test_stale_version_is_refused(users, facility):
    """Is an approval refused when the reviewer read an older version of the incident than the current
    one?"""
    incident = make_incident(users["contributor"], facility)
    move(incident.id, users["contributor"], "submit")
    with pytest.raises(Conflict):
        workflow.transition(incident.id, users["reviewer"], "approve", version=incident.version - 1)


def test_editing_published_keeps_the_public_version_until_approved(users, facility, client):
    """When a published incident is edited, does the public keep the approved text until the edit is
    approved, and does the reviewer see only what changed?"""
    incident = make_incident(users["contributor"], facility)
    publish(incident, users["contributor"], users["reviewer"])
    edit(incident.id, users["contributor"], "narrative", "en", "A new, unreviewed claim.")
    assert Incident.get_by_id(incident.id).status == "draft"
    public = client.get(f"/incidents/{incident.id}?lang=en").get_data(as_text=True)
    assert "A new, unreviewed claim." not in public and "A prisoner was tied to a bed." in public
    base, changes = service.changes_for_review(Incident.get_by_id(incident.id), users["reviewer"])
    assert base == "published" and [change.name for change in changes] == ["narrative"]
    move(incident.id, users["contributor"], "submit")
    move(incident.id, users["reviewer"], "approve")
    public = client.get(f"/incidents/{incident.id}?lang=en").get_data(as_text=True)
    assert "A new, unreviewed claim." in public


def test_rejecting_a_pending_edit_restores_the_published_version(users, facility):
    """Does rejecting an edit to a published incident bring back the published text, for staff and
    public alike?"""
    incident = make_incident(users["contributor"], facility)
    publish(incident, users["contributor"], users["reviewer"])
    edit(incident.id, users["contributor"], "title", "en", "Unfounded change")
    move(incident.id, users["contributor"], "submit")
    move(incident.id, users["reviewer"], "reject", comment="Not supported by a source.")
    incident = Incident.get_by_id(incident.id)
    assert incident.status == "published" and incident.title["en"] == "Torture in the hospital"
    assert PublishedIncident.get_by_id(incident.id).title["en"] == "Torture in the hospital"


def test_reject_and_retract_keep_the_record(users, facility, client):
    """Do rejected and retracted incidents vanish from the public site while their revisions stay in
    the database?"""
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
    """Can an incident be submitted and approved from its page only with a CSRF token, and does it show
    in the review queue meanwhile?"""
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
    """Is the approve button withheld from the reviewer who submitted an incident, and offered to
    another reviewer?"""
    incident = make_incident(users["reviewer"], facility)
    move(incident.id, users["reviewer"], "submit")
    page = as_role("reviewer").get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "action=approve" not in page
    assert "action=approve" in as_role("reviewer2").get(f"/incidents/{incident.id}").get_data(as_text=True)


VERSION_MISSING = "the version of the incident you read is missing"


@pytest.mark.parametrize("action", ["submit", "approve", "request_changes", "reject", "retract"])
def test_no_transition_is_taken_without_the_version_read(users, facility, action):
    """Is every workflow step refused, with a clear message and nothing changed, when it does not name
    the version that was read?

    Whoever moves an incident names the version they read: an approval without one would
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
    """Does a submit or approve sent from the page without the version read change nothing and tell the
    user why?"""
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
    """Is an edit form sent without the version it was based on refused with a message, saving nothing?"""
    incident = make_incident(users["contributor"], facility)
    response = as_role("contributor").post(f"/incidents/{incident.id}/edit?lang=en",
                                           data={"title_en": "Saved over what nobody read"})
    assert response.status_code == 422
    assert VERSION_MISSING in response.get_data(as_text=True)
    after = Incident.get_by_id(incident.id)
    assert after.version == incident.version and after.title["en"] == "Torture in the hospital"


def test_history_shows_every_revision_and_is_audited(users, facility, as_role):
    """Can a lawyer read an incident's revision history with places named, is each reading audited, and
    is it hidden from a researcher?"""
    from incidents.models import AuditEvent
    incident = make_incident(users["contributor"], facility)
    edit(incident.id, users["contributor"], "title", "en", "Second title")
    page = as_role("lawyer").get(f"/incidents/{incident.id}/history?lang=en")
    assert page.status_code == 200 and "Second title" in page.get_data(as_text=True)
    assert facility.names["en"] in page.get_data(as_text=True)  # the place by its name, not its number
    assert AuditEvent.select().where(AuditEvent.action == "incident.view_history").count() == 1
    assert as_role("researcher").get(f"/incidents/{incident.id}/history").status_code == 404


def test_reviewers_are_told_what_waits(users, facility, as_role):
    """Does a reviewer's home page say how many incidents wait for review, while a lawyer's says
    nothing of it?"""
    incident = make_incident(users["contributor"], facility)
    move(incident.id, users["contributor"], "submit")
    home = as_role("reviewer").get("/?lang=en").get_data(as_text=True)
    assert "1 incident is waiting for review." in home
    assert "waiting for review" not in as_role("lawyer").get("/?lang=en").get_data(as_text=True)
