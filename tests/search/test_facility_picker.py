"""The facility picker's suggestions (GET /api/v1/facilities?q=): names and aliases in any script
and spelling, the region with each, and never a facility the reader may not know of."""
from __future__ import annotations

import pytest

from tests.factories import make_facility, make_incident, publish
from tests.helpers import bearer_headers


def _suggested(browser_or_client, q: str, **kwargs) -> list[int]:
    response = browser_or_client.get("/api/v1/facilities", query_string={"q": q, "lang": "uk"}, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return [item["id"] for item in response.get_json()["items"]]


@pytest.mark.parametrize("typed", ["отб-1", "ОТБ-1", "OTB-1", "otb 1", "Saratov", "Сара", "Tuberkuleznaya",
                                   "туберкулезная", "больница № 1"])
def test_a_name_alias_or_transliteration_typed_suggests_the_facility(as_role, users, hospital, typed):
    """Does typing a facility's alias, name or town in either script or spelling, even half-typed,
    suggest it to a signed-in contributor (a browser session, as the picker asks)?"""
    make_facility(users["contributor"], names={"ru": "СИЗО-2"}, aliases=[], locality="Москва", region="RU-MOW")
    assert _suggested(as_role("contributor"), typed) == [hospital.id]


def test_each_suggestion_gives_its_region_in_the_readers_language(as_role, hospital):
    """Does each suggestion carry its region's name in the reader's language, for the picker to show?"""
    item = as_role("contributor").get("/api/v1/facilities?q=OTB&lang=uk").get_json()["items"][0]
    assert item["region_name"] == "Саратовська область" and item["country_name"]


def test_a_facility_only_in_a_draft_is_not_suggested_to_who_may_not_know_of_it(client, users, hospital):
    """Is a facility that appears only in unpublished work kept from the public and researchers'
    suggestions, whatever they type, until an incident there is published?"""
    make_incident(users["contributor"], hospital)
    researcher = bearer_headers(users["researcher"])
    assert _suggested(client, "OTB-1") == [] and _suggested(client, "OTB-1", headers=researcher) == []
    publish(make_incident(users["contributor"], hospital), users["contributor"], users["reviewer"])
    assert _suggested(client, "OTB-1") == [hospital.id]
    assert _suggested(client, "OTB-1", headers=researcher) == [hospital.id]


def test_the_plain_select_shows_each_facility_with_its_region(as_role, hospital):
    """Without a script, does each facility in the incident form's select say where it is?"""
    page = as_role("contributor").get("/incidents/new?lang=ru").get_data(as_text=True)
    assert "Областная туберкулёзная больница № 1 — Саратовская область" in page
    assert 'src="/static/picker.js"' in page
