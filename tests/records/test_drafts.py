"""Drafts of the incident form (issue 14 point 1): kept sealed for their author only, through a JSON
endpoint that wants the CSRF token, refused when oversized or malformed, gone once saved."""
from __future__ import annotations

import datetime
import json

import pytest

from incidents.db import database
from incidents.errors import BadRequest, Forbidden
from incidents.models import Draft
from incidents.records import drafts
from tests.records.test_records import form_for

NAME = "Петров Пётр Иванович"
FIELDS = [["title_ru", "Избиение в ОТБ-1"], ["persons-0-legal_name", NAME], ["abuse", "030502000000"],
          ["abuse", "031701000000"]]


def put(browser, path, body, token=None, **kwargs):
    token = token if token is not None else browser.csrf_token("/incidents/new")
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return browser.client.put(path, data=data, content_type="application/json",
                              headers={"X-CSRFToken": token} if token else {}, **kwargs)


def test_a_draft_is_kept_sealed_and_read_back_by_its_author(as_role, users):
    """Does a contributor's draft come back to them whole, with the legal name never in the database
    as plain text?"""
    contributor = as_role("contributor")
    response = put(contributor, "/incidents/new/draft", {"fields": FIELDS})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = contributor.get("/incidents/new/draft").get_json()["draft"]
    assert body["fields"] == FIELDS and body["version"] is None and body["saved_at"]
    raw = database.execute_sql("SELECT fields FROM draft").fetchone()[0]
    assert NAME not in raw and "legal_name" not in raw


def test_the_csrf_token_is_required(as_role):
    """Is a draft written without the page's CSRF token (a forged cross-site request) refused, and
    nothing kept?"""
    contributor = as_role("contributor")
    assert put(contributor, "/incidents/new/draft", {"fields": FIELDS}, token="").status_code == 400
    assert put(contributor, "/incidents/new/draft", {"fields": FIELDS}, token="forged").status_code == 400
    assert contributor.client.delete("/incidents/new/draft").status_code == 400
    assert Draft.select().count() == 0


def test_nobody_else_reads_or_overwrites_a_draft(as_role, users, incident):
    """Can another user (a reviewer or an admin editing the same incident included) read, replace or
    discard someone's draft? Each gets only their own."""
    author = as_role("contributor")
    path = f"/incidents/{incident.id}/draft"
    fields = [["version", str(incident.version)], *FIELDS]
    assert put(author, path, {"fields": fields}).status_code == 200
    for role in ("reviewer", "admin"):
        other = as_role(role)
        assert other.get(path).get_json() == {"draft": None}  # they have none of their own yet
        assert put(other, path, {"fields": [["title_ru", role]]}).status_code == 200
        assert other.client.delete(path, headers={"X-CSRFToken": other.csrf_token()}).status_code == 204
    for role in ("lawyer", "researcher"):
        other = as_role(role)
        assert other.get(path).status_code in (403, 404)
        assert put(other, path, {"fields": [["title_ru", "x"]]}).status_code in (403, 404)
    assert author.get(path).get_json()["draft"]["fields"] == fields
    assert Draft.select().count() == 1


def test_signed_out_nothing_is_kept(client, users):
    """Is a signed-out request sent to sign in (never a draft kept or read)?"""
    response = client.put("/incidents/new/draft", json={"fields": FIELDS})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/incidents/new/draft").status_code == 302
    assert Draft.select().count() == 0


@pytest.mark.parametrize("body", [
    b"not json", "[]", {"fields": "text"}, {"fields": [["title_ru"]]}, {"fields": [["title_ru", 5]]},
    {"fields": [["title_ru", ["nested"]]]}, {"fields": [["<script>", "x"]]}, {"fields": [["../x", "x"]]},
    {"fields": [["title_ru", "x", "y"]]}, {"fields": [{"title_ru": "x"}]},
    {"fields": [["title_ru", "x"]] * (drafts.MAX_FIELDS + 1)},
    {"fields": [["title_ru", "x" * (drafts.MAX_VALUE + 1)]]},
])
def test_malformed_drafts_are_refused(as_role, body):
    """Is a draft that is not a list of (field name, text) pairs refused with a 400 and nothing kept?"""
    response = put(as_role("contributor"), "/incidents/new/draft", body)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"
    assert Draft.select().count() == 0


def test_oversized_drafts_are_refused_unread(as_role):
    """Is a draft over the size limit refused with a clear 413, and nothing kept?"""
    contributor = as_role("contributor")
    over = {"fields": [[f"narrative_{i}", "я" * 60_000] for i in range(4)]}  # 1.4 MB as JSON escapes it
    response = put(contributor, "/incidents/new/draft", over)
    assert response.status_code == 413
    assert response.get_json()["error"]["message"]
    # Past what the site accepts of any request: refused before anything reads it.
    assert put(contributor, "/incidents/new/draft", {"fields": [["title_ru", "x" * 3_000_000]]}).status_code == 413
    assert Draft.select().count() == 0


def test_saving_the_form_removes_its_draft(as_role, users, facility, incident):
    """Once the form is saved (new or edit), is its draft gone, while others' drafts stay?"""
    contributor = as_role("contributor")
    assert put(contributor, "/incidents/new/draft", {"fields": FIELDS}).status_code == 200
    response = contributor.post("/incidents/new", data=form_for(facility))
    assert response.status_code == 302
    assert contributor.get("/incidents/new/draft").get_json() == {"draft": None}
    path = f"/incidents/{incident.id}/draft"
    assert put(contributor, path, {"fields": [["version", str(incident.version)]]}).status_code == 200
    reviewer = as_role("reviewer")
    assert put(reviewer, path, {"fields": [["title_ru", "мой"]]}).status_code == 200
    saved = contributor.post(f"/incidents/{incident.id}/edit",
                             data=form_for(facility, version=str(incident.version)))
    assert saved.status_code == 302, saved.get_data(as_text=True)[:1000]
    assert contributor.get(path).get_json() == {"draft": None}
    assert reviewer.get(path).get_json()["draft"]["fields"] == [["title_ru", "мой"]]


def test_a_discarded_draft_is_gone(as_role):
    """Is a discarded draft gone for good?"""
    contributor = as_role("contributor")
    put(contributor, "/incidents/new/draft", {"fields": FIELDS})
    token = contributor.csrf_token()
    assert contributor.client.delete("/incidents/new/draft", headers={"X-CSRFToken": token}).status_code == 204
    assert contributor.get("/incidents/new/draft").get_json() == {"draft": None}
    assert Draft.select().count() == 0


def test_an_edit_draft_keeps_the_version_it_started_from(as_role, users, incident, facility):
    """Does an edit's draft hold the version it started from, so that after someone else's save the
    page can warn, and restoring it cannot silently overwrite the newer save?"""
    contributor = as_role("contributor")
    started = incident.version
    path = f"/incidents/{incident.id}/draft"
    put(contributor, path, {"fields": [["version", str(started)], ["title_ru", "старое"]]})
    reviewer = as_role("reviewer")
    assert reviewer.post(f"/incidents/{incident.id}/edit",
                         data=form_for(facility, version=str(started))).status_code == 302
    body = contributor.get(path).get_json()["draft"]
    assert body["version"] == started and body["current_version"] == started + 1
    stale = contributor.post(f"/incidents/{incident.id}/edit", data=form_for(facility, version=str(started)))
    assert stale.status_code == 409
    assert contributor.get(path).get_json()["draft"]  # refused: the draft is still there


def test_drafts_expire(app, users):
    """Is a draft untouched for longer than the expiry no longer offered, and deleted at the next save?"""
    with app.test_request_context():
        drafts.save(users["contributor"], None, {"fields": FIELDS}, 100)
        Draft.update(updated_at=datetime.datetime(2000, 1, 1)).execute()
        assert drafts.load(users["contributor"], None) is None
        drafts.save(users["reviewer"], None, {"fields": FIELDS}, 100)
        assert [d.author_id for d in Draft.select()] == [users["reviewer"].id]


def test_the_service_refuses_whoever_may_not_fill_the_form(app, users, incident):
    """Does the service itself (the one any route calls) refuse a researcher, and bad shapes?"""
    with app.test_request_context():
        with pytest.raises(Forbidden):
            drafts.save(users["researcher"], None, {"fields": FIELDS}, 100)
        with pytest.raises(Forbidden):
            drafts.save(users["lawyer"], incident, {"fields": FIELDS}, 100)
        with pytest.raises(BadRequest):
            drafts.save(users["contributor"], None, None, 100)
        with pytest.raises(drafts.DraftTooLarge):
            drafts.save(users["contributor"], None, {"fields": FIELDS}, None)


def test_the_browser_key_is_the_authors_alone(app, users):
    """Is the browser copy's key the same for one person every time, different for everyone else and
    under another secret, and given only on their own form page?"""
    first = drafts.browser_key(users["contributor"], "secret")
    assert first == drafts.browser_key(users["contributor"], "secret")
    assert first[1] != drafts.browser_key(users["reviewer"], "secret")[1]
    assert first[1] != drafts.browser_key(users["contributor"], "other")[1]
    assert first[0] != drafts.browser_key(users["reviewer"], "secret")[0]


def test_the_form_page_gives_the_key_to_its_author_only_and_is_never_stored(as_role, users, client):
    """Does the form page carry its reader's own browser key (and no one else's), in a page and
    answers the browser must not keep on disk beside the encrypted copy?"""
    contributor = as_role("contributor")
    response = contributor.get("/incidents/new")
    name, key = drafts.browser_key(users["contributor"], "test-secret-key-not-for-production")
    html = response.get_data(as_text=True)
    assert f'data-key="{key}"' in html and f'content="{name}"' in html
    assert drafts.browser_key(users["reviewer"], "test-secret-key-not-for-production")[1] not in html
    assert response.headers["Cache-Control"] == "no-store"
    put(contributor, "/incidents/new/draft", {"fields": FIELDS})
    assert contributor.get("/incidents/new/draft").headers["Cache-Control"] == "no-store"
    assert 'name="draft-storage"' not in client.get("/").get_data(as_text=True)  # the public: none
