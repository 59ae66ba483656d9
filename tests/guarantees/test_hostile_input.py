"""Nonsense, hostile and oversized input: a clear 4xx every time, never a 500, nothing half-saved."""
from __future__ import annotations

import pytest

from incidents.models import Facility, Incident
from tests.factories import incident_data, make_incident


@pytest.fixture
def token(bearer):
    return bearer("contributor")


@pytest.mark.parametrize("overrides", [
    {"facility": 10**30}, {"facility": -1}, {"facility": "1; DROP TABLE incident"}, {"facility": [1]},
    {"date_start": 20200101}, {"date_start": "2020-02-30"}, {"date_start": "9" * 10_000},
    {"date_precision": ["day"]}, {"title": ["x"]}, {"title": {"xx": "text"}}, {"title": {"ru": 5}},
    {"narrative": {"ru": "\x00"}}, {"abuse": "030502000000"}, {"abuse": [{"code": 1}]},
    {"abuse": [None]}, {"victims_count": 10**40}, {"victims_count": 1.5}, {"victims_count": True},
    {"violation_status": 5}, {"graphic": "yes"}, {"persons": {"role": "victim"}},
    {"persons": [{"role": "victim"}]}, {"persons": [{"pseudonym": "P", "age": float("nan")}]},
    {"persons": [{"pseudonym": "P", "id": 10**30, "citizenship": "Narnia"}]},
    {"evidence": [{"kind": "220904051501", "url": "http://[::1"}]},
    {"evidence": [{"kind": "220904051501", "url": "https://" + "a" * 3000 + ".org"}]},
    {"evidence": [{"kind": "220904051501", "url": "data:text/html,<script>alert(1)</script>"}]},
    {"persons": [{"pseudonym": "P"}] * 201},
])
def test_bad_incident_json_is_refused_cleanly(client, token, facility, overrides):
    """Is every kind of nonsense, hostile or oversized incident sent to the API refused with a clear
    message rather than a server error, saving nothing?"""
    response = client.post("/api/v1/incidents", json=incident_data(facility, **overrides), headers=token)
    assert response.status_code in (400, 422), response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["message"]
    assert not Incident.select().exists()


@pytest.mark.parametrize("body", [
    {"names": {"en": "X"}, "type": "penal_colony", "country": "RU", "latitude": 10**400, "longitude": 1},
    {"names": {"en": "X"}, "type": "penal_colony", "country": "RU", "latitude": "NaN", "longitude": "1"},
    {"names": {"en": "X"}, "type": "penal_colony", "country": "RU", "latitude": 91, "longitude": 0},
    {"names": {"en": "X"}, "type": "penal_colony", "country": "RU", "latitude": 10},
    {"names": {"en": "X"}, "type": "penal_colony", "country": "RU", "region": "UA-65"},
    {"names": "X", "type": "penal_colony", "country": "RU"},
    {"names": {"en": "X"}, "type": "penal_colony", "country": ["RU"]},
    {"names": {"en": "X"}, "type": "penal_colony", "country": "RU", "aliases": ["a"] * 51},
    {"names": {"en": "X\u202e"}, "type": "penal_colony", "country": "RU"},
])
def test_bad_facility_json_is_refused_cleanly(client, token, body):
    """Is a facility with impossible coordinates, a region of another country, wrong types, too many
    aliases or a direction control character refused, saving nothing?"""
    response = client.post("/api/v1/facilities", json=body, headers=token)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert not Facility.select().exists()


def test_lowercase_codes_are_understood(client, token):
    """Are country and region codes written in lower case understood and stored in upper case?"""
    response = client.post("/api/v1/facilities", headers=token, json={
        "names": {"en": "IK-1"}, "type": "penal_colony", "country": "ru", "region": "ru-sar"})
    assert response.status_code == 201
    assert (Facility.get().country, Facility.get().region) == ("RU", "RU-SAR")


@pytest.mark.parametrize("version", ["abc", [1], {}, 1e309, 10**30, True, 1.5, -1])
def test_bad_versions_are_refused(client, users, token, facility, version):
    """Can a nonsense version number slip an edit or a transition through the API?"""
    incident = make_incident(users["contributor"], facility)
    patched = client.patch(f"/api/v1/incidents/{incident.id}", json={"version": version, "victims_count": 9},
                           headers=token)
    moved = client.post(f"/api/v1/incidents/{incident.id}/transitions",
                        json={"action": "submit", "version": version}, headers=token)
    assert patched.status_code in (409, 422) and moved.status_code in (409, 422)
    assert Incident.get_by_id(incident.id).victims_count == 1 and Incident.get_by_id(incident.id).status == "draft"


@pytest.mark.parametrize("path", ["/incidents/99999999999999999999", "/api/v1/incidents/99999999999",
                                  "/facilities/4294967296", "/api/v1/facilities/99999999999999"])
def test_huge_ids_are_404(client, path):
    """Does a huge id in an address answer "not found" rather than a server error?"""
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("query", ["q=" + "я" * 10_000, "q=%00%01", "facility=1e5", "abuse=../../etc",
                                   "date_from=2020-01-01xyz", "page=0", "page=99999999999", "sort=;drop",
                                   "region=RU-SAR%27--", "per_page=-5"])
def test_hostile_query_strings(client, query):
    """Do hostile or nonsense query strings get a clear answer from the incident and facility lists, on the
    pages and in the API, rather than a server error?"""
    page = client.get("/incidents?" + query)
    api = client.get("/api/v1/incidents?" + query)
    assert page.status_code in (200, 400) and api.status_code in (200, 422)
    # The directory is paged: a nonsense page is said to be one; any other parameter is not its own.
    assert client.get("/facilities?" + query).status_code == (400 if query.startswith("page=") else 200)
    assert client.get("/api/v1/facilities?" + query).status_code == 200


def test_oversized_json_is_413(client, token, facility):
    """Is an oversized JSON body refused as too large, with an error code?"""
    body = incident_data(facility, narrative={"ru": "я" * 3_000_000})
    response = client.post("/api/v1/incidents", json=body, headers=token)
    assert response.status_code == 413 and response.get_json()["error"]["code"]
