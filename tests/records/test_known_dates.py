"""Dates of responses and of evidence as people know them (issue 14, point 8): a year, a month or a
day, typed in the reader's order, kept at that precision, given back as typed, shown as known."""
from __future__ import annotations

import io

import pytest

from incidents.models import EvidenceItem, Incident, Response
from tests.factories import JPEG
from tests.records.test_records import form_for

LINK = {"kind": "220904051501", "url": "https://example.org/video"}


@pytest.mark.parametrize("typed, kept, shown_ru, given_back_ru, given_back_en", [
    ("2020", "2020", "2020", "2020", "2020"),
    ("03.2020", "2020-03", "март 2020\u202fг.", "03.2020", "2020-03"),
    ("2020-03", "2020-03", "март 2020\u202fг.", "03.2020", "2020-03"),
    ("15.03.2020", "2020-03-15", "15 марта 2020\u202fг.", "15.03.2020", "2020-03-15"),
])
def test_a_response_date_keeps_its_precision_through_the_form(as_role, facility, typed, kept, shown_ru,
                                                               given_back_ru, given_back_en):
    """Is a response dated "2020" or "03.2020" in the form kept as that year or month (not its first
    day), shown so on the incident's page in Russian, and given back in the edit form as typed, in
    the order of the form's language?"""
    contributor = as_role("contributor")
    created = contributor.post("/incidents/new", data=form_for(facility, **{"responses-0-kind": "criminal_case",
                                                                               "responses-0-date": typed}))
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    assert Response.get().date == kept
    incident = Incident.get()
    page = contributor.get(f"/incidents/{incident.id}?lang=ru").get_data(as_text=True)
    assert f'data-label="Когда">{shown_ru}</td>' in page
    for language, given_back in (("ru", given_back_ru), ("en", given_back_en)):
        form = contributor.get(f"/incidents/{incident.id}/edit?lang={language}").get_data(as_text=True)
        assert f'name="responses-0-date" type="text" value="{given_back}"' in form
    saved_again = contributor.post(f"/incidents/{incident.id}/edit", data=form_for(
        facility, version=str(incident.version), **{"responses-0-id": str(Response.get().id),
                                                    "responses-0-kind": "criminal_case", "responses-0-date": given_back_ru}))
    assert saved_again.status_code == 302 and Response.get().date == kept


def test_the_api_reads_and_writes_a_response_date_as_precisely_as_known(client, bearer, facility):
    """Does the API take a response's "2020-03" and answer with "2020-03", not 2020-03-01?"""
    from tests.factories import incident_data
    created = client.post("/api/v1/incidents", headers=bearer("contributor"), json=incident_data(
        facility, responses=[{"kind": "other", "date": "2020-03"}, {"kind": "other", "date": "2019"}]))
    assert created.status_code == 201, created.get_json()
    read = client.get(f"/api/v1/incidents/{created.get_json()['id']}", headers=bearer("contributor")).get_json()
    assert [r["date"] for r in read["responses"]] == ["2020-03", "2019"]


def test_evidence_dates_keep_their_precision_from_the_api_to_the_page(client, bearer, as_role, incident):
    """Is a file received "in 2021" and claimed to be filmed "in March 2020" kept so, answered so by the
    API, and shown so on the item's page in Ukrainian?"""
    answer = client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=bearer("contributor"),
                         content_type="multipart/form-data",
                         data={"kind": "160815201501", "received_on": "2021", "captured_on": "03.2020",
                               "file": (io.BytesIO(JPEG), "photo.jpg")})
    assert answer.status_code == 201, answer.get_json()
    item = answer.get_json()
    assert (item["received_on"], item["captured_on"]) == ("2021", "2020-03")
    assert client.get(f"/api/v1/evidence/{item['id']}", headers=bearer("contributor")).get_json()[
        "captured_on"] == "2020-03"
    page = as_role("contributor").get(f"/evidence/{item['id']}?lang=uk").get_data(as_text=True)
    assert "<dd>березень 2020\u202fр.</dd>" in page and "<dd>2021</dd>" in page


@pytest.mark.parametrize("field, typed", [
    ("captured_on", "31.02.2020"), ("captured_on", "2020-13"), ("received_on", "<script>2020</script>"),
    ("received_on", "9" * 10_000), ("captured_on", "0000"), ("received_on", "2999"),
])
def test_an_impossible_evidence_date_is_refused_and_nothing_is_kept(client, bearer, incident, field, typed):
    """Is an impossible, hostile, enormous or future date of a file refused on its field, with no item
    kept?"""
    before = EvidenceItem.select().count()
    answer = client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=bearer("contributor"),
                         json={**LINK, field: typed})
    assert answer.status_code == 422 and field in answer.get_json()["error"]["fields"]
    assert EvidenceItem.select().count() == before


def test_the_attach_form_asks_for_text_dates_not_a_browser_date_picker(as_role, incident):
    """Does the incident page's attach form take the file's dates as text with an example, instead of a
    browser date picker that takes only whole days in the browser's order?"""
    page = as_role("contributor").get(f"/incidents/{incident.id}?lang=ru").get_data(as_text=True)
    assert 'type="date"' not in page
    assert 'id="ev-received" type="text"' in page and 'id="ev-captured" type="text"' in page
    assert "Например: 15.03.2020, 2020-03 или 2020." in page
