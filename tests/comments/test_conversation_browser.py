"""The conversation in a real browser, in Russian: a reviewer returns a case with a comment; its author
sees the unread count, opens the edit form, reads the request and answers it there without losing
what they typed in the form; the reviewer reads the answer."""
from __future__ import annotations

import pytest

from incidents.models import Incident
from tests.factories import move
from tests.helpers import new_page, sign_in, translated

pytestmark = pytest.mark.browser


def test_reviewer_returns_author_answers_on_the_edit_form_in_russian(app, users, incident, live_server, chromium):
    """In Russian, does the author see the reviewer's request counted in the header and shown on the edit
    form, answer it there while the form keeps what was typed, and does the reviewer read the answer?"""
    move(incident, users["contributor"], "submit")
    errors = []
    reviewer = new_page(chromium, errors)
    sign_in(reviewer, live_server, users["reviewer"])
    reviewer.goto(f"{live_server}/incidents/{incident.id}/confirm?action=request_changes&version="
                  f"{Incident.get_by_id(incident.id).version}")
    reviewer.fill("textarea[name=comment]", "Уточните, в какой камере это было.")
    reviewer.click("button[value=request_changes]")
    reviewer.wait_for_load_state()
    assert Incident.get_by_id(incident.id).status == "draft"

    author = new_page(chromium, errors)
    sign_in(author, live_server, users["contributor"])
    author.goto(live_server + "/")
    assert author.inner_text(".notifications-link .count") == "1"
    author.click(".notifications-link")
    author.wait_for_load_state()
    reference = Incident.get_by_id(incident.id).reference
    assert translated(app, "Returned to you: %(reference)s") % {"reference": reference} in author.inner_text("main")

    author.goto(f"{live_server}/incidents/{incident.id}/edit")
    request = author.locator(".review-request")
    assert translated(app, "The reviewer asks for changes") in request.inner_text()
    assert "Уточните, в какой камере это было." in request.inner_text()
    author.fill("input[name=title_ru]", "Избиение в камере № 3")  # typed, not yet saved
    request.locator("textarea[name=body]").fill("Камера № 3, исправлю в описании.")
    request.locator("button[type=submit]").click()
    request.locator(".comment-sent").wait_for(state="visible")
    assert translated(app, "Your comment was sent.") in request.locator(".comment-sent").inner_text()
    assert "Камера № 3, исправлю в описании." in request.locator(".thread").inner_text()
    assert author.input_value("input[name=title_ru]") == "Избиение в камере № 3"  # nothing typed was lost
    assert author.url.endswith(f"/incidents/{incident.id}/edit")

    reviewer.goto(f"{live_server}/incidents/{incident.id}")
    assert reviewer.inner_text(".notifications-link .count") == "2"  # submitted to them, then the answer
    assert "Камера № 3, исправлю в описании." in reviewer.inner_text("#review-request .thread")
    assert errors == []
