"""The conversation on an incident: who reads and writes it, what a comment may hold, where it never
appears, and the reviewer's request for changes as part of it (issue 14, point 6)."""
from __future__ import annotations

import json

import pytest

from incidents.comments import service as comments
from incidents.db import database
from incidents.errors import NotFound, ValidationFailed
from incidents.models import AuditEvent, Comment, Incident, PublishedIncident, PublishedRow
from tests.factories import make_incident, move, publish

SECRET = "Свидетель Иван Петров, тел. +7 900 000-00-00"


@pytest.fixture
def returned(users, incident):
    """The contributor's incident, submitted and returned by the reviewer with a comment."""
    move(incident, users["contributor"], "submit")
    move(incident, users["reviewer"], "request_changes", comment="Уточните дату и место.")
    return incident


def test_request_for_changes_starts_a_thread(users, returned):
    """Does the reviewer's request for changes enter the conversation, shown as the open request?"""
    conversation = comments.conversation(users["contributor"], returned.id)
    assert conversation.request is not None
    assert conversation.request.root.body == "Уточните дату и место."
    assert conversation.request.action == "request_changes"


def test_author_answers_and_reviewer_reads_it(users, returned):
    """Is an answer threaded under the request, and read by the reviewer?"""
    asked = comments.conversation(users["contributor"], returned.id).request.root
    comments.post(users["contributor"], returned.id, "Исправила дату.", asked.id)
    thread = comments.conversation(users["reviewer"], returned.id).threads[0]
    assert [reply.body for reply in thread.replies] == ["Исправила дату."]


def test_who_takes_part(users, facility, returned):
    """May another contributor, a lawyer, a researcher or a visitor read or write another's conversation?"""
    other = make_incident(users["contributor"], facility)
    for role in ("lawyer", "researcher"):
        with pytest.raises(NotFound):
            comments.conversation(users[role], returned.id)
        with pytest.raises(NotFound):
            comments.post(users[role], returned.id, "Hello")
    from incidents.accounts import credentials
    stranger = credentials.create_user("other@example.org", "contributor", None, "Other")
    with pytest.raises(NotFound):
        comments.conversation(stranger, returned.id)
    with pytest.raises(NotFound):
        comments.post(stranger, other.id, "Hello")
    for role in ("contributor", "reviewer", "reviewer2", "admin"):
        assert comments.conversation(users[role], returned.id).threads


@pytest.mark.parametrize("body", ["", "   ", None, 42, ["a"], "a" * 5001, "bad\x00byte", "esc\x1b[31m"])
def test_hostile_bodies_are_refused_and_nothing_saved(users, returned, body):
    """Is an empty, oversized, non-text or control-character body refused with a clear error, and nothing saved?"""
    before = Comment.select().count()
    with pytest.raises(ValidationFailed) as refused:
        comments.post(users["contributor"], returned.id, body)
    assert "body" in refused.value.fields
    assert Comment.select().count() == before


def test_parent_must_be_on_the_same_incident(users, facility, returned):
    """Can an answer hang under a comment of another incident?"""
    other = make_incident(users["contributor"], facility)
    elsewhere = comments.post(users["contributor"], other.id, "Elsewhere")
    with pytest.raises(ValidationFailed):
        comments.post(users["contributor"], returned.id, "Answer", elsewhere.id)
    with pytest.raises(ValidationFailed):
        comments.post(users["contributor"], returned.id, "Answer", "1 OR 1=1")


def test_bodies_are_sealed_and_never_public(app, users, returned):
    """Is a comment's text unreadable in the database, out of the audit trail, and absent from what the public reads?"""
    comments.post(users["contributor"], returned.id, SECRET)
    raw = database.execute_sql("SELECT body FROM comment").fetchall()
    assert raw and all("Петров" not in str(row[0]) for row in raw)
    assert all("Петров" not in json.dumps(event.detail, ensure_ascii=False) for event in AuditEvent.select())
    move(returned, users["contributor"], "submit")
    move(returned, users["reviewer"], "approve")
    public = [json.dumps(row.public_data, ensure_ascii=False) for row in PublishedIncident.select()]
    public += [json.dumps(row.__data__, ensure_ascii=False, default=str) for row in PublishedRow.select()]
    assert public and not any("Петров" in text or "Уточните" in text for text in public)
    client = app.test_client()
    for path in (f"/incidents/{returned.id}", "/api/v1/incidents", f"/api/v1/incidents/{returned.id}",
                 "/api/v1/export/incidents.csv", "/api/v1/export/incidents.json"):
        assert "Петров" not in client.get(path).get_data(as_text=True), path


def test_visitors_never_read_it(app, users, facility):
    """Does a visitor get the thread of a published incident from its page or the API?"""
    incident = make_incident(users["contributor"], facility)
    comments.post(users["contributor"], incident.id, SECRET)
    publish(incident, users["contributor"], users["reviewer"])
    client = app.test_client()
    assert "Петров" not in client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert client.get(f"/api/v1/incidents/{incident.id}/comments").status_code == 401


def test_pages_show_the_request_and_take_an_answer_on_its_own(users, as_role, returned):
    """Does the edit form show the request with a reply form outside the incident form, and does the answer save alone?"""
    author = as_role("contributor")
    html = author.get(f"/incidents/{returned.id}/edit").get_data(as_text=True)
    assert "Уточните дату и место." in html
    record_form = html[html.index('<form class="record"'):]
    record_form = record_form[:record_form.index("</form>")]
    assert "comment-form" not in record_form and "comment-form" in html
    version = Incident.get_by_id(returned.id).version
    asked = comments.conversation(users["contributor"], returned.id).request.root
    response = author.post(f"/incidents/{returned.id}/comments",
                           {"body": "Исправила.", "parent": asked.id, "back": f"/incidents/{returned.id}/edit"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/incidents/{returned.id}/edit#conversation")
    assert Incident.get_by_id(returned.id).version == version  # the incident itself untouched
    assert "Исправила." in as_role("reviewer").get(f"/incidents/{returned.id}").get_data(as_text=True)


def test_page_post_needs_csrf_and_refuses_strangers(users, as_role, returned):
    """Is a comment without its CSRF token refused, and one on an incident the poster takes no part in a 404?"""
    author = as_role("contributor")
    assert author.post(f"/incidents/{returned.id}/comments", {"body": "x", "csrf_token": "forged"}).status_code == 400
    assert as_role("lawyer").post(f"/incidents/{returned.id}/comments", {"body": "x"}).status_code == 404
    assert Comment.select().count() == 1


def test_page_post_oversized_by_script_keeps_nothing(users, as_role, returned):
    """Does the script's request get a clear JSON error for an oversized body, with nothing saved?"""
    response = as_role("contributor").post(f"/incidents/{returned.id}/comments", {"body": "я" * 5001},
                                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 422 and "5000" in response.get_json()["error"]["message"].replace("\u202f", "").replace(",", "")
    assert Comment.select().count() == 1


def test_api_reads_and_writes(users, bearer, client, returned):
    """Do GET and POST /api/v1/incidents/ID/comments follow the same rules as the pages?"""
    listed = client.get(f"/api/v1/incidents/{returned.id}/comments", headers=bearer("contributor")).get_json()
    assert listed["items"][0]["review_action"] == "request_changes"
    created = client.post(f"/api/v1/incidents/{returned.id}/comments", headers=bearer("contributor"),
                          json={"body": "Ответ", "parent": listed["items"][0]["id"]})
    assert created.status_code == 201 and created.get_json()["parent"] == listed["items"][0]["id"]
    assert client.get(f"/api/v1/incidents/{returned.id}/comments", headers=bearer("lawyer")).status_code == 404
    assert client.post(f"/api/v1/incidents/{returned.id}/comments", headers=bearer("contributor"),
                       json={"body": "x" * 5001}).status_code == 422
    assert client.post(f"/api/v1/incidents/{returned.id}/comments", json={"body": "cookie-less"}).status_code == 401
