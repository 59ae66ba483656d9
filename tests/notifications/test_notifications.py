"""Notifications: returned to the author, submitted to the reviewers who may review it, a new comment
to those taking part, a possible duplicate to the other incident's author; each only for someone
who may read the incident; read one and all; the unread count in the header (issue 14, point 6)."""
from __future__ import annotations

import pytest

from incidents.accounts import credentials
from incidents.comments import service as comments
from incidents.errors import NotFound
from incidents.models import Notification, User
from incidents.notifications import service as notifications
from tests.factories import make_incident, move, publish


def kinds(user) -> list[tuple[str, int]]:
    return [(n.kind, n.incident_id) for n in notifications.listing(user)]


def test_submitted_goes_to_reviewers_who_may_review_it(users, incident):
    """Are reviewers and admins told of a submission, but not the contributor who submitted, nor a lawyer?"""
    move(incident, users["contributor"], "submit")
    for role in ("reviewer", "reviewer2", "admin"):
        assert kinds(users[role]) == [("submitted", incident.id)]
    for role in ("contributor", "lawyer", "researcher"):
        assert kinds(users[role]) == []


def test_submitted_skips_a_reviewer_whose_own_work_it_is(users, facility):
    """Is a reviewer who wrote the incident left out of those asked to review it?"""
    own = make_incident(users["reviewer"], facility)
    move(own, users["reviewer"], "submit")
    assert kinds(users["reviewer"]) == []
    assert kinds(users["reviewer2"]) == [("submitted", own.id)]


@pytest.mark.parametrize("action", ["request_changes", "reject"])
def test_returned_goes_to_the_author(users, incident, action):
    """Is the author told their incident came back, and nobody else?"""
    move(incident, users["contributor"], "submit")
    Notification.delete().execute()
    move(incident, users["reviewer"], action, comment="Нужны источники.")
    assert kinds(users["contributor"]) == [("returned", incident.id)]
    for role in ("reviewer", "reviewer2", "admin", "lawyer"):
        assert kinds(users[role]) == []


def test_comment_goes_to_those_taking_part_only(users, incident):
    """Is a new comment told to the author and the reviewer who acted, never to the commenter nor to bystanders?"""
    move(incident, users["contributor"], "submit")
    move(incident, users["reviewer"], "request_changes", comment="Уточните.")
    Notification.delete().execute()
    comments.post(users["contributor"], incident.id, "Готово.")
    assert kinds(users["reviewer"]) == [("comment", incident.id)]
    assert kinds(users["contributor"]) == []
    for role in ("reviewer2", "admin", "lawyer", "researcher"):
        assert kinds(users[role]) == []


def test_nobody_is_told_of_what_they_may_not_read(users, incident):
    """Is a contributor who stopped being able to read an incident never shown a notification of it?"""
    move(incident, users["contributor"], "submit")
    move(incident, users["reviewer"], "request_changes", comment="Уточните.")
    assert notifications.unread_count(users["contributor"]) == 1
    # The incident changes hands: its old author keeps the row but may not read the incident.
    newcomer = credentials.create_user("new@example.org", "contributor", None, "New")
    incident.created_by = newcomer
    incident.save()
    assert notifications.unread_count(users["contributor"]) == 0 and kinds(users["contributor"]) == []


def test_possible_duplicate_is_told_only_where_both_are_readable(users, facility):
    """Is the author of an incident told of a possible duplicate only if they may read that duplicate too, and once?"""
    mine = make_incident(users["contributor"], facility)
    other = credentials.create_user("other@example.org", "contributor", None, "Other")
    theirs = make_incident(other, facility)
    assert notifications.possible_duplicate(theirs, mine) == []  # another's draft: not theirs to see
    publish(theirs, other, users["reviewer"])
    told = notifications.possible_duplicate(theirs, mine)
    assert [(n.recipient_id, n.kind, n.incident_id, n.other_id) for n in told] == \
        [(users["contributor"].id, "duplicate", mine.id, theirs.id)]
    assert notifications.possible_duplicate(theirs, mine) == []  # still unread: not again
    reviewers_own = make_incident(users["reviewer"], facility)
    assert len(notifications.possible_duplicate(mine, reviewers_own)) == 1  # a reviewer reads every draft


def test_mark_read_one_and_all(users, facility):
    """Does marking one read lower the count by one, marking all empty it, and marking another's fail?"""
    for _n in range(3):
        move(make_incident(users["contributor"], facility), users["contributor"], "submit")
    reviewer = users["reviewer"]
    first = notifications.listing(reviewer)[0]
    with pytest.raises(NotFound):
        notifications.mark_read(users["admin"], first.id)
    notifications.mark_read(reviewer, first.id)
    assert notifications.unread_count(reviewer) == 2
    notifications.mark_all_read(reviewer)
    assert notifications.unread_count(reviewer) == 0
    assert notifications.unread_count(users["admin"]) == 3


def test_pages_count_list_and_mark(users, as_role, incident):
    """Does the header show the unread count, the page list it, and its buttons (with CSRF) mark it read?"""
    move(incident, users["contributor"], "submit")
    reviewer = as_role("reviewer")
    html = reviewer.get("/").get_data(as_text=True)
    assert 'class="notifications-link unread"' in html
    page = reviewer.get("/notifications").get_data(as_text=True)
    assert incident.reference in page
    notification = notifications.listing(users["reviewer"])[0]
    assert reviewer.post(f"/notifications/{notification.id}/read", {"csrf_token": "forged"}).status_code == 400
    assert as_role("admin").post(f"/notifications/{notification.id}/read").status_code == 404
    assert reviewer.post(f"/notifications/{notification.id}/read").status_code == 302
    assert notifications.unread_count(users["reviewer"]) == 0
    assert as_role("admin").post("/notifications/read").status_code == 302
    assert notifications.unread_count(users["admin"]) == 0
    assert 'notifications-link unread' not in reviewer.get("/").get_data(as_text=True)


def test_visitors_have_no_notifications(client):
    """Are the notification page and API closed to visitors?"""
    assert client.get("/notifications").status_code == 302
    assert client.get("/api/v1/notifications").status_code == 401


def test_api_lists_and_marks(users, bearer, client, incident):
    """Does the API list the caller's notifications with the unread count, and mark one and all read?"""
    move(incident, users["contributor"], "submit")
    headers = bearer("reviewer")
    listed = client.get("/api/v1/notifications", headers=headers).get_json()
    assert listed["unread"] == 1 and listed["items"][0]["kind"] == "submitted"
    assert listed["items"][0]["incident"]["reference"] == incident.reference
    assert client.post(f"/api/v1/notifications/{listed['items'][0]['id']}/read", headers=bearer("admin")).status_code == 404
    assert client.post(f"/api/v1/notifications/{listed['items'][0]['id']}/read", headers=headers).get_json() == {"unread": 0}
    assert client.post("/api/v1/notifications/read", headers=bearer("admin")).get_json() == {"unread": 0}


def test_email_choice_on_the_account_page(users, as_role):
    """Can a person turn e-mails off and on again from their account page, and nothing else?"""
    contributor = as_role("contributor")
    assert "Turn e-mails off" in contributor.get("/account").get_data(as_text=True)
    assert contributor.post("/account/email-notifications", {"email": "off"}).status_code == 302
    assert User.get_by_id(users["contributor"].id).email_notifications is False
    assert contributor.post("/account/email-notifications", {"email": "maybe"}).status_code == 400
    assert contributor.post("/account/email-notifications", {"email": "on"}).status_code == 302
    assert User.get_by_id(users["contributor"].id).email_notifications is True
