"""Fuzzing the conversation on an incident (its comments, by the API and by the page) and the
choice of e-mails about notifications."""
from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from incidents.models import Comment, User
from tests.guarantees.fuzz.expectations import (
    Text,
    api_refusal,
    assert_unchanged,
    db_state,
    normalised,
    send_json,
    tally,
)
from tests.guarantees.fuzz.strategies import fuzz, hostile_text, json_values, text_for

BODY = Text(("body",), "body", "body", 5000, True, required="This field is required.")


def _parent_refused(world, parent) -> bool:
    """Whether the app must refuse ``parent``: anything but none or the id of a comment of the incident."""
    if parent is None or parent == "":
        return False
    number = parent if isinstance(parent, int) and not isinstance(parent, bool) else \
        int(parent) if isinstance(parent, str) and parent.isdecimal() and len(parent) < 11 else None
    return number is None or not Comment.select().where((Comment.id == number)
                                                        & (Comment.incident == world.incident.id)).exists()


def _problem(body) -> str | None:
    return BODY.problem(body) if isinstance(body, str) else BODY.required if body is None else "Must be text."


@fuzz(30)
@given(body=st.one_of(text_for(BODY, surrogates=True), json_values), parent=st.one_of(st.none(), json_values))
@example(body="   ", parent=None)
@example(body="Свидетель — см. протокол", parent=None)
@example(body="ok", parent="1 OR 1=1")
def test_api_comments(world, body, parent):
    """Does a comment through the API refuse any body that is not usable text, or a parent that is no
    comment of the incident (nothing saved), and otherwise keep the body as cleaned?"""
    before = db_state()
    response = send_json(world.client, "POST", f"/api/v1/incidents/{world.incident.id}/comments",
                         {"body": body, "parent": parent}, world.tokens["contributor"])
    problem = _problem(body)
    tally("comment", response.status_code == 201)
    if problem or _parent_refused(world, parent):
        api_refusal(response, {"body": {problem}} if problem else {"parent": {"No such comment"}})
        assert_unchanged(before)
    else:
        assert response.status_code == 201, response.get_json()
        assert Comment.get_by_id(response.get_json()["id"]).body == normalised(body)


@fuzz(20)
@given(body=text_for(BODY), parent=st.one_of(st.just(""), hostile_text()))
@example(body="", parent="")
def test_page_comments(world, body, parent):
    """Does the page's comment form refuse an unusable body or parent with a message, nothing saved,
    and otherwise save the comment alone?"""
    browser, token = world.browser("contributor")
    before = db_state()
    response = browser.client.post(f"/incidents/{world.incident.id}/comments",
                                   data={"body": body, "parent": parent, "csrf_token": token},
                                   headers={"X-Requested-With": "fetch"})
    problem = BODY.problem(body)
    tally("comment page", response.status_code == 201)
    if problem or _parent_refused(world, parent):
        assert response.status_code == 422, response.get_data(as_text=True)[:300]
        assert response.get_json()["error"]["message"]
        assert_unchanged(before)
    else:
        assert response.status_code == 201
        assert Comment.get_by_id(response.get_json()["comment"]["id"]).body == normalised(body)


@fuzz(15)
@given(value=st.one_of(st.sampled_from(["on", "off"]), hostile_text()))
def test_page_email_setting(world, value):
    """Does the account's e-mail choice take "on" or "off" and refuse anything else, nothing changed?"""
    browser, token = world.browser("contributor")
    before = db_state()
    response = browser.client.post("/account/email-notifications", data={"email": value, "csrf_token": token})
    if value in ("on", "off"):
        assert response.status_code == 302
        assert User.get_by_id(world.users["contributor"].id).email_notifications is (value == "on")
    else:
        assert response.status_code == 400
        assert_unchanged(before)
