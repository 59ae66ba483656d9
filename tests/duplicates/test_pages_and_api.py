"""Likely duplicates where incidents start: the API, the incident form's panel, the incident page
and the review queue; and the marks people leave on a pair."""
from __future__ import annotations

import pytest

from incidents.models import AuditEvent, DuplicateMark
from tests.factories import make_incident, move


@pytest.fixture
def twin(users, facility):
    """The contributor's incident entered again by the reviewer, re-worded, with a day inside its year."""
    return make_incident(users["reviewer"], facility, date_start="15.03.2020", date_precision="day",
                         title={"ru": "Пытки в тюремной больнице"})


def test_the_api_lists_likely_duplicates_best_first(client, bearer, incident, twin):
    """Does GET /api/v1/incidents/ID/similar answer {"items": [{"id", "reference", "score",
    "reasons"}]} for staff, with reasons labelled in the language asked for?"""
    body = client.get(f"/api/v1/incidents/{incident.id}/similar?lang=ru", headers=bearer("lawyer")).get_json()
    assert [item["id"] for item in body["items"]] == [twin.id]
    item = body["items"][0]
    assert set(item) == {"id", "reference", "score", "reasons"} and item["reference"] == twin.reference
    assert 0 < item["score"] <= 1
    assert {"code": "same_facility", "label": "То же учреждение"} in item["reasons"]


@pytest.mark.parametrize("role, status", [("researcher", 404), (None, 401)])
def test_the_api_refuses_those_who_may_not_read_the_incident(client, bearer, incident, twin, role, status):
    """Do a researcher (404, as for an incident they may not know of) and anyone unsigned (401) get nothing?"""
    headers = bearer(role) if role else {}
    response = client.get(f"/api/v1/incidents/{incident.id}/similar", headers=headers)
    assert response.status_code == status and "items" not in response.get_json()


def test_the_form_panel_asks_with_the_csrf_token(as_role, facility, incident):
    """Does the incident form carry the panel and its script, and does its endpoint answer for the
    fields as typed, with the token (and refuse without it)?"""
    reviewer = as_role("reviewer")
    page = reviewer.get("/incidents/new?lang=uk").get_data(as_text=True)
    assert 'id="similar-panel"' in page and "similar.js" in page
    fields = {"facility": str(facility.id), "date_start": "03.2020", "date_precision": "month",
              "title_ru": "Пытки в больнице", "persons-0-pseudonym": ""}
    answer = reviewer.post("/incidents/similar", data=fields).get_json()
    assert [item["reference"] for item in answer["items"]] == [incident.reference]
    assert answer["items"][0]["url"].endswith(f"/incidents/{incident.id}") and answer["items"][0]["title"]
    assert reviewer.client.post("/incidents/similar", data=fields).status_code == 400
    assert as_role("researcher").post("/incidents/similar", data=fields).status_code == 403


def test_the_incident_page_shows_them_and_marks_same_event_on_both(as_role, incident, twin):
    """Does the incident page warn of the likely duplicate for staff; does "same event" then show
    on both pages with who marked it; and does undo take it back, audited?"""
    reviewer = as_role("reviewer")
    page = reviewer.get(f"/incidents/{incident.id}?lang=ru").get_data(as_text=True)
    assert twin.reference in page and 'value="same"' in page
    response = reviewer.post(f"/incidents/{incident.id}/duplicates", data={"other": twin.reference, "verdict": "same"})
    assert response.status_code == 302 and DuplicateMark.get().verdict == "same"
    for one, other in ((incident, twin), (twin, incident)):
        page = reviewer.get(f"/incidents/{one.id}?lang=en").get_data(as_text=True)
        assert "Same event as" in page and other.reference in page and "Test reviewer" in page
    reviewer.post(f"/incidents/{twin.id}/duplicates", data={"other": str(incident.id), "undo": "1"})
    assert not DuplicateMark.select().exists()
    assert AuditEvent.select().where(AuditEvent.action == "duplicate.unmark").count() == 1


def test_not_a_duplicate_from_the_page_is_remembered(as_role, incident, twin):
    """Once marked "not a duplicate" from the page, is the pair no longer offered there?"""
    reviewer = as_role("reviewer")
    reviewer.post(f"/incidents/{incident.id}/duplicates", data={"other": str(twin.id), "verdict": "different"})
    page = reviewer.get(f"/incidents/{incident.id}?lang=en").get_data(as_text=True)
    assert "No likely duplicate found." in page and "1 incident marked not a duplicate" in page


@pytest.mark.parametrize("role, status", [("lawyer", 403), ("researcher", 404)])
def test_marking_is_for_editors_who_may_read_it(as_role, incident, twin, role, status):
    """May a lawyer (who reads but does not edit) or a researcher mark a pair? No."""
    response = as_role(role).post(f"/incidents/{incident.id}/duplicates", data={"other": str(twin.id), "verdict": "same"})
    assert response.status_code == status and not DuplicateMark.select().exists()


def test_the_review_queue_marks_rows_with_likely_duplicates(as_role, users, incident, twin, facility):
    """Does a queue row with a likely duplicate carry the mark, and one without none?"""
    move(incident, users["contributor"], "submit")
    lonely = make_incident(users["contributor"], facility, date_start="2001", title={"ru": "Голодовка"},
                           narrative={"ru": "Отказ от пищи."}, persons=[])
    move(lonely, users["contributor"], "submit")
    page = as_role("reviewer2").get("/review?lang=en").get_data(as_text=True)
    assert page.count("likely duplicate</a>") == 1
    assert f'href="/incidents/{incident.id}#similar">likely duplicate' in page
