"""No silent duplicate facility: a new facility whose name or alias, in any script, is one already
kept is refused with the match offered (pages and API), unless its creator confirms it is another."""
from __future__ import annotations

import pytest

from incidents.models import Facility, Incident
from tests.factories import facility_data
from tests.records.test_records import form_for

SARATOV = {"names": {"ru": "ОТБ-1 Саратов"}, "aliases": []}


@pytest.mark.parametrize("names, aliases", [
    ({"ru": "ОТБ-1 Саратов"}, []), ({"en": "OTB-1 Saratov"}, []), ({"uk": "Лікарня"}, ["Otb-1"]),
    ({"en": "Tuberculosis Hospital No. 1 of the FSIN"}, []),
])
def test_the_api_refuses_a_likely_duplicate_and_names_it(client, bearer, facility, names, aliases):
    """Is creating a facility whose name or alias holds an existing one's, in any script, a 409
    possible_duplicate naming the existing facility, with nothing created?"""
    response = client.post("/api/v1/facilities", json=facility_data(names=names, aliases=aliases),
                           headers=bearer("contributor"))
    assert response.status_code == 409, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "possible_duplicate"
    assert [m["id"] for m in error["matches"]] == [facility.id] and error["matches"][0]["region_name"]
    assert Facility.select().count() == 1


def test_the_api_creates_it_when_confirmed_new(client, bearer, facility):
    """With "confirm_new": true, is the facility created all the same?"""
    response = client.post("/api/v1/facilities", json={**facility_data(**SARATOV), "confirm_new": True},
                           headers=bearer("contributor"))
    assert response.status_code == 201 and Facility.select().count() == 2


@pytest.mark.parametrize("names, aliases", [({"ru": "ИК-10"}, ["IK-10"]), ({"ru": "ОТБ-12"}, ["Больница № 2"])])
def test_another_facility_is_not_taken_for_a_duplicate(client, bearer, facility, names, aliases):
    """Is a facility that merely shares a number or a word created without a warning?"""
    response = client.post("/api/v1/facilities", json=facility_data(names=names, aliases=aliases),
                           headers=bearer("contributor"))
    assert response.status_code == 201, response.get_json()


def test_the_facility_form_offers_the_existing_one_then_creates_it_anyway(as_role, facility):
    """Does the facility form come back naming the likely duplicate, with a link to it and a box to
    create it anyway, and does ticking the box create it?"""
    contributor = as_role("contributor")
    data = {"name_ru": "ОТБ-1 Саратов", "type": "prison_hospital", "country": "RU", "region": "RU-SAR"}
    response = contributor.post("/facilities/new?lang=ru", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and Facility.select().count() == 1
    assert f'href="/facilities/{facility.id}"' in page and 'name="confirm_new"' in page
    assert contributor.post("/facilities/new", data={**data, "confirm_new": "y"}).status_code == 302
    assert Facility.select().count() == 2


def test_the_incident_form_offers_the_existing_facility(as_role, facility):
    """When a new facility typed with an incident is likely one already kept, does the form come back
    offering it, saving nothing; and does taking the offer save the incident there?"""
    contributor = as_role("contributor")
    data = form_for(facility, facility="new", **{
        "new_facility-name": "ОТБ-1 Саратов", "new_facility-name_language": "ru",
        "new_facility-type": "prison_hospital", "new_facility-country": "RU", "new_facility-region": "RU-SAR"})
    response = contributor.post("/incidents/new?lang=uk", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and not Incident.select().exists() and Facility.select().count() == 1
    assert f'href="/facilities/{facility.id}"' in page and 'name="new_facility-confirm_new"' in page
    assert f'name="use_facility" value="{facility.id}"' in page
    assert contributor.post("/incidents/new", data={**data, "use_facility": str(facility.id)}).status_code == 302
    assert Incident.get().facility_id == facility.id and Facility.select().count() == 1


def test_the_incident_form_creates_the_facility_anyway_when_confirmed(as_role, facility):
    """With "create it anyway" ticked, is the new facility created with the incident?"""
    data = form_for(facility, facility="new", **{
        "new_facility-name": "ОТБ-1 Саратов", "new_facility-name_language": "ru",
        "new_facility-type": "prison_hospital", "new_facility-country": "RU",
        "new_facility-confirm_new": "y"})
    assert as_role("contributor").post("/incidents/new", data=data).status_code == 302
    assert Incident.get().facility.names == {"ru": "ОТБ-1 Саратов"}

