"""The JSON API of docs/api.md: the same rules as the pages, answered as JSON."""
from __future__ import annotations

import pytest

from incidents.models import Incident, PublishedIncident
from tests.factories import incident_data, make_facility, make_incident, publish


def test_create_read_update_and_publish(client, bearer, facility):
    """Can a contributor create, edit and submit an incident through the API, with stale edits and
    self-approval refused, and once a reviewer approves it does the public read it without legal names?"""
    contributor, reviewer = bearer("contributor"), bearer("reviewer")
    created = client.post("/api/v1/incidents", json=incident_data(facility), headers=contributor)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "draft" and body["facility"]["id"] == facility.id
    assert body["persons"][0]["legal_name"] == "Иванов Иван Иванович"  # the author may see it
    incident_id, version = body["id"], body["version"]
    patched = client.patch(f"/api/v1/incidents/{incident_id}",
                           json={"version": version, "victims_count": 2}, headers=contributor)
    assert patched.status_code == 200 and patched.get_json()["victims_count"] == 2
    assert patched.get_json()["title"]["ru"] == "Пытки в больнице"  # untouched fields kept
    stale = client.patch(f"/api/v1/incidents/{incident_id}", json={"version": version, "victims_count": 3},
                         headers=contributor)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "conflict"
    submit = client.post(f"/api/v1/incidents/{incident_id}/transitions",
                         json={"action": "submit", "version": patched.get_json()["version"]}, headers=contributor)
    assert submit.get_json()["status"] == "in_review"
    version = submit.get_json()["version"]
    own = client.post(f"/api/v1/incidents/{incident_id}/transitions", json={"action": "approve", "version": version},
                      headers=contributor)
    assert own.status_code == 403
    approved = client.post(f"/api/v1/incidents/{incident_id}/transitions",
                           json={"action": "approve", "version": version}, headers=reviewer)
    assert approved.get_json()["status"] == "published"
    public = client.get(f"/api/v1/incidents/{incident_id}").get_json()
    assert public["status"] == "published" and "legal_name" not in public["persons"][0]
    assert public["url"].endswith(f"/incidents/{incident_id}")


def test_list_filters_and_facets(client, users, facility):
    """Does the API's incident list filter and count published incidents only, with labelled facets, and
    refuse malformed filters?"""
    publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])
    make_incident(users["contributor"], facility)  # a draft: never listed for the public
    body = client.get(f"/api/v1/incidents?facility={facility.id}&abuse=030502000000&lang=ru").get_json()
    assert body["total"] == 1 and body["page"] == 1 and len(body["items"]) == 1
    assert set(body["facets"]) >= {"facility", "region", "abuse", "year", "country", "perpetrator"}
    assert body["facets"]["country"] == [{"value": "RU", "label": "Российская Федерация", "count": 1}]
    assert body["facets"]["perpetrator"][0]["value"] == "010105000000"
    assert client.get("/api/v1/incidents?perpetrator=010105000000").get_json()["total"] == 1
    assert client.get("/api/v1/incidents?perpetrator=010104000000").get_json()["total"] == 0
    assert client.get("/api/v1/incidents?perpetrator=nonsense").status_code == 422
    assert {"value": "RU-SAR", "label": "Саратовская область", "count": 1} in body["facets"]["region"]
    assert body["facets"]["year"] == [{"value": 2020, "label": "2020", "count": 1}]
    assert client.get("/api/v1/incidents?per_page=201").status_code == 422
    assert client.get("/api/v1/incidents?date_from=yesterday").get_json()["error"]["fields"]["date_from"]


def test_status_filter_is_for_staff(client, bearer, users, facility):
    """Can anyone but staff list incidents by status, such as drafts, through the API?"""
    make_incident(users["contributor"], facility)
    assert client.get("/api/v1/incidents?status=draft").status_code == 401
    assert client.get("/api/v1/incidents?status=draft", headers=bearer("researcher")).status_code == 403
    body = client.get("/api/v1/incidents?status=draft", headers=bearer("lawyer")).get_json()
    assert body["total"] == 1 and body["items"][0]["status"] == "draft"


def test_writes_need_a_token_not_a_cookie(as_role, facility):
    """Can a signed-in browser's cookie be used to write through the API, as a cross-site request would?

    A signed-in browser may read the API, but its cookie never authorises a write (no CSRF)."""
    browser = as_role("contributor")
    assert browser.get("/api/v1/incidents").status_code == 200
    response = browser.client.post("/api/v1/incidents", json=incident_data(facility))
    assert response.status_code == 401
    assert not Incident.select().exists()


def test_bad_token_and_bad_bodies(client, bearer, facility):
    """Does the API refuse an unknown token, malformed JSON and invalid or wrongly typed fields, naming the
    fields and storing nothing?"""
    assert client.get("/api/v1/incidents", headers={"Authorization": "Bearer nope"}).status_code == 401
    headers = bearer("contributor")
    not_json = client.post("/api/v1/incidents", data="{", headers=headers, content_type="application/json")
    assert not_json.status_code == 400
    invalid = client.post("/api/v1/incidents", json=incident_data(facility, date_start="2099-01-01",
                                                                  abuse=["nope"], evidence=[{"kind": "x"}]),
                          headers=headers)
    fields = invalid.get_json()["error"]["fields"]
    assert invalid.status_code == 422 and {"date_start", "abuse", "evidence-0-kind", "evidence-0-url"} <= set(fields)
    assert client.post("/api/v1/incidents", json=[1, 2], headers=headers).status_code == 400
    wrong_types = client.post("/api/v1/incidents", json=incident_data(facility, title="text", graphic="yes",
                                                                      persons="many"), headers=headers)
    assert wrong_types.status_code == 422
    assert not Incident.select().exists()


def test_researcher_cannot_create(client, bearer, facility):
    """Can a researcher create an incident through the API?"""
    response = client.post("/api/v1/incidents", json=incident_data(facility), headers=bearer("researcher"))
    assert response.status_code == 403


def test_facilities_stay_unknown_to_the_public_until_something_is_published(client, bearer, users, facility):
    """Can the public learn that a facility is in the database before any incident about it is published?

    A facility entered with a draft would tell the public that someone documents something there."""
    assert client.get("/api/v1/facilities?q=otb-1").get_json()["items"] == []
    assert client.get(f"/api/v1/facilities/{facility.id}").status_code == 404
    assert client.get(f"/facilities/{facility.id}").status_code == 404
    staff = client.get("/api/v1/facilities?q=otb-1", headers=bearer("contributor")).get_json()
    assert [f["id"] for f in staff["items"]] == [facility.id]
    publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])
    assert [f["id"] for f in client.get("/api/v1/facilities?q=otb-1").get_json()["items"]] == [facility.id]
    assert client.get("/api/v1/facilities?q=Туберкулёзная").get_json()["total"] == 1


def test_facets_never_name_a_facility_the_reader_may_not_know_of(client, bearer, users, facility):
    """Can a visitor learn the name of a facility that only drafts mention by filtering on its id in the
    API, the incident list or the statistics?

    Choosing a draft-only facility in a filter must not make the facets name it (issue 12, 1)."""
    secret = make_facility(users["contributor"], names={"en": "Secret colony", "ru": "Тайная колония"},
                           aliases=["ИК-99"])
    make_incident(users["contributor"], secret)
    publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])
    query = f"/api/v1/incidents?facets=facility&per_page=1&facility={facility.id}&facility={secret.id}&facility=999999"
    public = client.get(query).get_json()["facets"]["facility"]
    assert [entry["value"] for entry in public] == [facility.id]
    page = client.get(f"/incidents?facility={secret.id}&lang=ru").get_data(as_text=True)
    assert "Тайная колония" not in page and "Secret colony" not in page
    assert "Тайная колония" not in client.get(f"/statistics?facility={secret.id}&lang=ru").get_data(as_text=True)
    staff = client.get(query, headers=bearer("contributor")).get_json()["facets"]["facility"]
    assert {entry["value"]: entry["label"] for entry in staff}[secret.id] == "Secret colony"


def test_facilities_and_vocabularies(client, bearer, facility):
    """Can a contributor add a facility through the API, with invalid ones refused, and does every
    vocabulary list its terms with their codes, labels, HURIDOCS codes and parents?"""
    created = client.post("/api/v1/facilities", headers=bearer("contributor"), json={
        "names": {"en": "IK-7"}, "type": "penal_colony", "country": "RU", "region": "RU-KR"})
    assert created.status_code == 201
    bad = client.post("/api/v1/facilities", headers=bearer("contributor"),
                      json={"names": {}, "type": "castle", "country": "ZZ"})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) >= {"names", "type", "country"}
    for name in ("abuse", "perpetrators", "violation_status", "evidence_kinds", "facility_types"):
        items = client.get(f"/api/v1/vocabularies/{name}?lang=uk").get_json()["items"]
        assert items and all({"code", "label", "huridocs", "parent"} <= set(t) for t in items)
    abuse = {t["code"]: t for t in client.get("/api/v1/vocabularies/abuse").get_json()["items"]}
    assert "030000000000" not in abuse  # a heading is only named as a parent
    assert abuse["030502000000"]["parent"] == "030500000000"
    assert client.get("/api/v1/vocabularies/nope").status_code == 404


def test_unpublished_is_404_not_403(client, bearer, users, facility):
    """Does asking the API for an unpublished incident one may not read answer "not found", so it does not
    reveal that the incident exists?"""
    draft = make_incident(users["reviewer"], facility)
    assert client.get(f"/api/v1/incidents/{draft.id}", headers=bearer("researcher")).status_code == 404
    assert client.get(f"/api/v1/incidents/{draft.id}", headers=bearer("contributor")).status_code == 404
    assert client.get(f"/api/v1/incidents/{draft.id}", headers=bearer("lawyer")).status_code == 200


def test_staff_lists_are_filtered_and_confidential_reads_audited(client, bearer, users, facility):
    """Do staff lists in the API honour the filters, and is reading confidential fields in them audited?"""
    from incidents.models import AuditEvent
    make_incident(users["contributor"], facility)
    make_incident(users["contributor"], facility, abuse=["030101000000"], persons=[])
    lawyer = bearer("lawyer")
    body = client.get("/api/v1/incidents?status=draft&abuse=030502000000", headers=lawyer).get_json()
    assert body["total"] == 1 and body["items"][0]["persons"][0]["legal_name"]
    assert AuditEvent.select().where(AuditEvent.action == "incident.view_confidential").count() == 1
    assert client.get("/api/v1/incidents?status=draft&region=RU-MOW", headers=lawyer).get_json()["total"] == 0


@pytest.mark.parametrize("body", [{}, {"version": None}, {"version": ""}])
def test_a_transition_without_the_version_read_is_refused(client, bearer, users, facility, body):
    """Can an incident be submitted or approved through the API without naming the version that was read?

    An approval must name the version the reviewer read, or it would publish whatever the text
    has become since: without one, a 422 naming the field, and nothing changes."""
    incident = make_incident(users["contributor"], facility)
    submitted = client.post(f"/api/v1/incidents/{incident.id}/transitions",
                            json={"action": "submit", **body}, headers=bearer("contributor"))
    assert submitted.status_code == 422
    error = submitted.get_json()["error"]
    assert error["code"] == "validation_failed" and error["message"] and error["fields"]["version"]
    assert Incident.get_by_id(incident.id).status == "draft"
    client.post(f"/api/v1/incidents/{incident.id}/transitions",
                json={"action": "submit", "version": incident.version}, headers=bearer("contributor"))
    version = Incident.get_by_id(incident.id).version
    approved = client.post(f"/api/v1/incidents/{incident.id}/transitions",
                           json={"action": "approve", **body}, headers=bearer("reviewer"))
    assert approved.status_code == 422 and approved.get_json()["error"]["fields"]["version"]
    after = Incident.get_by_id(incident.id)
    assert after.status == "in_review" and after.version == version
    assert not PublishedIncident.select().exists()


def test_an_edit_without_the_version_read_is_refused(client, bearer, users, facility):
    """Can an incident be edited through the API without naming the version that was read?"""
    incident = make_incident(users["contributor"], facility)
    for body in ({"victims_count": 7}, {"victims_count": 7, "version": None}):
        response = client.patch(f"/api/v1/incidents/{incident.id}", json=body, headers=bearer("contributor"))
        assert response.status_code == 422 and response.get_json()["error"]["fields"]["version"]
    assert Incident.get_by_id(incident.id).victims_count == 1
