"""No cliff after a publication (issue 15, point 5): the in-memory facet arrays follow what is published,
retracted and edited from the log of changes instead of being built again, and count exactly what a
fresh build counts, under every filter."""
from __future__ import annotations

import pytest

from incidents.db import database
from incidents.models import Facility
from incidents.publication import facet_counts, facet_index
from incidents.publication.projection import refresh_facility
from incidents.records import service as records
from incidents.revisions import snapshot
from incidents.search import facets
from tests.factories import MAX_TEXT, make_facility, make_incident, move, publish

QUERIES = ["", "q=beating", "region=RU-SAR", "date_from=2013-01-01&date_to=2016-06-30", "date_to=2012-12-31",
           "abuse=031701000000", "abuse=030502000000&country=RU", "verification=unassessed", "q=beating&region=RU-MOW",
           # Pages under several filters are picked from the arrays (PAGED_BELOW), in either order.
           "region=RU-SAR&date_from=2011-01-01&per_page=2&page=2", "abuse=030502000000&region=RU-SAR&sort=date"]


@pytest.fixture
def world(users):
    author = users["contributor"]
    places = [make_facility(author, names={"en": f"Colony {i}"}, region=region)
              for i, region in enumerate(("RU-SAR", "RU-MOW", "RU-SAR"))]
    incidents = [publish(make_incident(author, places[index % 3], title={"en": f"Beating {index}"},
                                       original_language="en", date_start=f"201{index}-0{index % 9 + 1}-1{index}",
                                       date_precision="day",
                                       abuse=[["030502000000"], ["031701000000", "030101000000"]][index % 2]),
                         author, users["reviewer"]) for index in range(8)]
    return places, incidents


def answers(client):
    return [(body["total"], body["facets"], [item["id"] for item in body["items"]]) for body in
            (client.get("/api/v1/incidents?" + query).get_json() for query in QUERIES)]


@pytest.fixture
def builds(monkeypatch):
    """How many times the arrays were built from every published incident."""
    counted = []
    build = facet_index.Arrays.__init__

    def counting(self):
        counted.append(1)
        build(self)
    monkeypatch.setattr(facet_index.Arrays, "__init__", counting)
    monkeypatch.setitem(facet_index._built, "generation", None)
    monkeypatch.setitem(facet_index._built, "arrays", None)
    monkeypatch.setattr(facet_index, "REBUILD_SHARE", 1.0)  # a handful of incidents: follow them all
    monkeypatch.setattr(facets, "IN_MEMORY_FROM", 1)
    monkeypatch.setattr(facets, "PAGED_BELOW", 1.0)  # a handful of incidents: every page from the arrays
    return counted


def in_sql(client, monkeypatch):
    monkeypatch.setattr(facets, "IN_MEMORY_FROM", 10**9)
    expected = answers(client)
    monkeypatch.setattr(facets, "IN_MEMORY_FROM", 1)
    return expected


def edited(incident_id, user, **changes):
    from incidents.models import Incident
    data = snapshot(Incident.get_by_id(incident_id))
    data.update(changes)
    return records.update_incident(incident_id, data, user, version=Incident.get_by_id(incident_id).version,
                                   max_text=MAX_TEXT)


@pytest.mark.parametrize("few_terms", [10**9, 0], ids=["codes-counted-by-code", "codes-counted-by-incident"])
def test_publishing_retracting_and_editing_are_followed_without_a_rebuild(client, users, world, builds, monkeypatch,
                                                                          few_terms):
    """After each publication, retraction and edit of a published incident, do the in-memory counts equal
    SQL's under every filter, while the arrays were built only once? Whichever way the vocabularies'
    codes are counted: through each code's incidents (many selected) or each incident's codes (a few)."""
    monkeypatch.setattr(facet_index, "FEW_TERMS", few_terms)
    places, incidents = world
    author, reviewer = users["contributor"], users["reviewer"]
    elsewhere = make_facility(author, names={"en": "A new colony"}, region="RU-MOW")

    steps = [
        lambda: publish(make_incident(author, elsewhere, title={"en": "Beating anew"}, original_language="en",
                                      date_start="2009-03-01", date_precision="day", abuse=["030200000000"]),
                        author, reviewer),
        lambda: move(incidents[2], reviewer, "retract", comment="The source withdrew it."),
        lambda: (edited(incidents[3].id, author, date_start="2016-05-05", abuse=["030502000000"]),
                 publish(incidents[3], author, reviewer)),
        lambda: move(incidents[5], reviewer, "retract", comment="A duplicate."),
        lambda: publish(make_incident(author, places[0], title={"en": "Beating at last"}, original_language="en",
                                      date_start="2013-04-14", date_precision="day"), author, reviewer),
    ]
    assert in_sql(client, monkeypatch) == answers(client)
    assert builds == [1]
    for step in steps:
        step()
        expected = in_sql(client, monkeypatch)
        assert answers(client) == expected
    assert builds == [1], "the arrays were built again"
    assert expected[0][0] == 8  # 8, and 2 published, 2 retracted


def test_a_change_to_many_incidents_at_once_builds_the_arrays_afresh(client, users, world, builds, monkeypatch):
    """When a facility moves to another region (all its incidents change at once), are the arrays built
    again and right?"""
    places, _incidents = world
    assert in_sql(client, monkeypatch) == answers(client)
    facility = Facility.get_by_id(places[1].id)
    with database.atomic():
        facility.region = "RU-SAR"
        facility.save()
        refresh_facility(facility)
    assert in_sql(client, monkeypatch) == answers(client)
    assert builds == [1, 1]


def test_arrays_too_far_behind_the_log_are_built_afresh(client, users, world, builds, monkeypatch):
    """When the log no longer reaches back to what a process holds (pruned, or the counts rebuilt), is the
    process's copy built anew rather than left wrong?"""
    places, _incidents = world
    author, reviewer = users["contributor"], users["reviewer"]
    assert in_sql(client, monkeypatch) == answers(client)
    publish(make_incident(author, places[0], title={"en": "Beating later"}, original_language="en"), author, reviewer)
    facet_counts.rebuild()  # as after a migration: the generation moves on without a log entry
    assert in_sql(client, monkeypatch) == answers(client)
    assert builds == [1, 1]
