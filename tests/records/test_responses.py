"""Responses (ESF Intervention): what happened after an incident, entered by staff and published
without the ones marked confidential."""
from __future__ import annotations

import datetime
import importlib

import pytest

from incidents.db import database, migrate
from incidents.models import AuditEvent, Incident, PublishedIncident, Response, Revision
from incidents.records import service
from incidents.revisions import diff, snapshot
from tests.factories import MAX_TEXT, incident_data, make_incident, move, publish

INQUIRY = {"kind": "inquiry", "date": "2021-10-06", "body": "Investigative Committee, Saratov region",
           "description": "An inquiry was opened.\nNo result yet.", "confidential": False}
# Distinct words, so that a page or an export can be searched for any trace of it.
COMPLAINT = {"kind": "complaint", "date": "2021-09-01", "body": "Zzconfidentialbody prosecutor",
             "description": "Zzconfidentialtext names the victim", "confidential": True}
# Two days ahead, not one: the value is fixed when the tests are collected, and a run that crosses
# midnight would send what has become today.
AFTER_TOMORROW = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()


def form_for(place, **overrides) -> dict:
    """The incident form as a browser sends it: one response row, no person, no link."""
    data = {"facility": str(place.id), "date_precision": "year", "date_start": "2020",
            "original_language": "ru", "title_ru": "Пытки в ОТБ-1", "narrative_ru": "Избиение.",
            "abuse": ["030502000000"], "responses-0-kind": "criminal_case",
            "responses-0-date": "2021-10-07", "responses-0-body": "Следственный комитет",
            "responses-0-description": "Возбуждено дело.", "responses-0-confidential": "y"}
    data.update(overrides)
    return data


def test_the_vocabulary_is_served_with_local_terms(client):
    """Does the API serve the vocabulary of responses, in its order, translated, and marked as local terms
    with no HURIDOCS code?"""
    body = client.get("/api/v1/vocabularies/responses?lang=ru").get_json()
    codes = [item["code"] for item in body["items"]]
    assert codes == ["complaint", "inquiry", "case_refused", "criminal_case", "charges", "court_ruling",
                     "staff_dismissed", "official_denial", "official_statement",
                     "international_submission", "other"]
    assert all(item["local"] and item["huridocs"] is None for item in body["items"])
    assert body["items"][2]["label"] == "Отказ в возбуждении уголовного дела"


def test_create_and_edit_through_the_api(client, bearer, facility):
    """Can responses be entered and edited through the API, with a row kept by its id, a row left out
    removed, and responses kept when an edit leaves them out?

    Responses come back in order with ids; an id sent back keeps the row, a missing one removes it."""
    headers = bearer("contributor")
    created = client.post("/api/v1/incidents", json=incident_data(facility, responses=[INQUIRY, COMPLAINT]),
                          headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert [dict(r, id=None) for r in body["responses"]] == [dict(INQUIRY, id=None), dict(COMPLAINT, id=None)]
    kept = dict(body["responses"][1], body="Prosecutor's office", date=None)
    patched = client.patch(f"/api/v1/incidents/{body['id']}", json={"version": body["version"], "responses": [
        kept, {"kind": "official_denial"}]}, headers=headers)
    assert patched.status_code == 200, patched.get_json()
    responses = patched.get_json()["responses"]
    assert responses[0] == kept and responses[1]["kind"] == "official_denial"
    assert [r.id for r in Response.select().order_by(Response.position)] == [kept["id"], responses[1]["id"]]
    untouched = client.patch(f"/api/v1/incidents/{body['id']}", json={"version": body["version"] + 1,
                                                                      "victims_count": 3}, headers=headers)
    assert untouched.get_json()["responses"] == responses  # fields left out keep their values


@pytest.mark.parametrize("responses, field", [
    ([{"kind": "apology"}], "responses-0-kind"),
    ([{"kind": "030000000000"}], "responses-0-kind"),  # a code of another vocabulary
    ([{"date": "2021-01-01"}], "responses-0-kind"),
    ([{"kind": "other", "date": AFTER_TOMORROW}], "responses-0-date"),
    ([{"kind": "other", "date": "1899-12-31"}], "responses-0-date"),
    ([{"kind": "other", "date": "31.02.2021"}], "responses-0-date"),
    ([{"kind": "other", "date": "2021-13"}], "responses-0-date"),
    ([{"kind": "other", "date": "<b>2021</b>"}], "responses-0-date"),
    ([{"kind": "other", "date": "2021-10-06T00:00"}], "responses-0-date"),
    ([{"kind": "other", "date": "2" * 5000}], "responses-0-date"),
    ([{"kind": "other", "date": 20211006}], "responses-0-date"),
    ([{"kind": "other", "body": "x" * 301}], "responses-0-body"),
    ([{"kind": "other", "body": "two\nlines"}], "responses-0-body"),
    ([{"kind": "other", "description": "x" * 5001}], "responses-0-description"),
    ([{"kind": "other", "confidential": "yes"}], "responses-0-confidential"),
    ([INQUIRY, {"kind": "other", "description": ["a list"]}], "responses-1-description"),
    ({"kind": "other"}, "responses"),
    ("complaint", "responses"),
    ([["complaint"]], "responses"),
    ([{"kind": "other"}] * 201, "responses"),
])
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(client, bearer, facility, responses, field):
    """Is each kind of bad response sent to the API (unknown kind, bad date, over-long or multi-line text,
    wrong types, too many rows) refused on its field, saving nothing?"""
    response = client.post("/api/v1/incidents", json=incident_data(facility, responses=responses),
                           headers=bearer("contributor"))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert not Incident.select().exists() and not Response.select().exists()


def test_enter_and_edit_through_the_form(as_role, facility):
    """Can a contributor enter a response through the incident form and edit it later, the same row kept?"""
    contributor = as_role("contributor")
    created = contributor.post("/incidents/new", data=form_for(facility))
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    row = Response.get()
    assert (row.kind, row.date, row.body, row.confidential) == (
        "criminal_case", "2021-10-07", "Следственный комитет", True)
    incident = Incident.get()
    page = contributor.get(f"/incidents/{incident.id}/edit").get_data(as_text=True)
    assert f'name="responses-0-id" type="hidden" value="{row.id}"' in page
    assert 'value="2021-10-07"' in page and 'name="responses-1-kind"' in page  # and a blank row
    edited = contributor.post(f"/incidents/{incident.id}/edit", data=form_for(
        facility, version=str(incident.version), **{"responses-0-id": str(row.id),
                                                    "responses-0-body": "СК по Саратовской области",
                                                    "responses-0-confidential": ""}))
    assert edited.status_code == 302
    assert [(r.id, r.body, r.confidential) for r in Response.select()] == [
        (row.id, "СК по Саратовской области", False)]


def test_a_form_error_is_shown_on_the_row_it_came_from(as_role, facility):
    """Is an error in a response shown on the row it came from, even after a blank row before it is
    dropped?

    A blank first row is dropped before checking; the error still lands on the second row."""
    data = form_for(facility, **{"responses-0-kind": "", "responses-0-date": "", "responses-0-body": "",
                                 "responses-0-description": "", "responses-1-kind": "court_ruling",
                                 "responses-1-date": AFTER_TOMORROW})
    response = as_role("contributor").post("/incidents/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="responses-1-date-error"' in html and "in the future" in html
    assert not Incident.select().exists() and not Response.select().exists()


def test_a_confidential_response_never_reaches_the_public(client, as_role, bearer, users, facility):
    """Can a response marked confidential reach the public or a researcher, on a page, in the API or in an
    export, and do staff who may read it see it marked, their view audited?"""
    incident = make_incident(users["contributor"], facility, persons=[], responses=[INQUIRY, COMPLAINT])
    publish(incident, users["contributor"], users["reviewer"])
    public = {k: v for k, v in INQUIRY.items() if k != "confidential"}
    assert PublishedIncident.get().public_data["responses"] == [public]
    assert client.get(f"/api/v1/incidents/{incident.id}").get_json()["responses"] == [public]
    assert client.get("/api/v1/incidents").get_json()["items"][0]["responses"] == [public]
    page = client.get(f"/incidents/{incident.id}?lang=en").get_data(as_text=True)
    assert "What happened after" in page and INQUIRY["body"] in page
    token = bearer("researcher")
    answers = [client.get(path, headers=token).get_data(as_text=True) for path in (
        "/api/v1/export/incidents.csv", "/api/v1/export/incidents.json", f"/api/v1/incidents/{incident.id}")]
    for text in [page, *answers]:
        assert "Zzconfidential" not in text
    # Staff who may read it see it, marked, and their look is recorded.
    staff_page = as_role("lawyer").get(f"/incidents/{incident.id}?lang=en").get_data(as_text=True)
    assert COMPLAINT["description"] in staff_page and '<tr class="confidential">' in staff_page
    assert AuditEvent.select().where(AuditEvent.action == "incident.view_confidential").exists()


def test_revisions_keep_responses_and_the_review_shows_the_change(as_role, users, facility):
    """Do revisions keep an incident's responses, does the review show a change to them (and not a mere
    change of ids), and does rejecting an edit bring them back?"""
    incident = make_incident(users["contributor"], facility, responses=[INQUIRY])
    publish(incident, users["contributor"], users["reviewer"])
    data = snapshot(Incident.get_by_id(incident.id))
    data["responses"] = [dict(data["responses"][0], body="Investigative Committee of Russia"),
                         dict(INQUIRY, kind="criminal_case", date="2021-11-01")]
    service.update_incident(incident.id, data, users["contributor"],
                            version=Incident.get_by_id(incident.id).version, max_text=MAX_TEXT)
    first, second = (Revision.get(Revision.number == n).snapshot for n in (1, 2))
    assert first["responses"][0]["body"] == INQUIRY["body"] and len(second["responses"]) == 2
    assert [change.name for change in diff(first, second)] == ["responses"]
    same = dict(second, responses=[dict(r, id=r["id"] + 100) for r in second["responses"]])
    assert diff(second, same) == []  # ids are not a change
    before_responses = {k: v for k, v in first.items() if k != "responses"}  # saved before they existed
    assert diff(before_responses, dict(first, responses=[])) == []
    page = as_role("reviewer2").get(f"/incidents/{incident.id}?lang=en").get_data(as_text=True)
    assert "What happened after" in page and "Investigative Committee of Russia" in page
    # Rejecting the pending edit brings back the published responses, dates and all.
    move(incident.id, users["contributor"], "submit")
    move(incident.id, users["reviewer2"], "reject", comment="Not confirmed")
    restored = snapshot(Incident.get_by_id(incident.id))["responses"]
    assert [dict(r, id=None) for r in restored] == [dict(INQUIRY, id=None)]


def test_the_migration_creates_the_table_once(app):
    """Does the migration that adds responses create their table once, and can it run again harmlessly?"""
    database.execute_sql("DROP TABLE response")
    database.execute_sql("DELETE FROM schema_migration WHERE name = '0011_responses'")
    assert migrate() == ["0011_responses"] and Response.table_exists()
    assert migrate() == []
    from playhouse.migrate import SchemaMigrator
    step = importlib.import_module("incidents.migrations.0011_responses")
    step.up(SchemaMigrator.from_database(database.obj), database.obj)  # again, on the table it made
    assert Response.table_exists()


def test_the_demo_carries_the_saratov_responses(app):
    """Does the demo data include the Saratov incident's public responses, and keep its confidential ones
    out of the public record?"""
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    saratov = PublishedIncident.get(PublishedIncident.region == "RU-SAR")
    assert [r["kind"] for r in saratov.public_data["responses"]] == ["inquiry", "staff_dismissed",
                                                                      "official_statement"]
    assert Response.select().where(Response.confidential).exists()
    assert not any(r.get("kind") == "complaint" for row in PublishedIncident.select()
                   for r in row.public_data["responses"])
