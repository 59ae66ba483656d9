"""Search in any script and spelling, word forms, highlighted passages; nothing unpublished."""
from __future__ import annotations

import pytest

from incidents.models import ROLES
from incidents.publication.search_keys import passage, query_keys, word_keys
from tests.factories import MAX_TEXT, attach_file, facility_data, make_facility, make_incident, move, publish
from tests.helpers import bearer_headers


@pytest.mark.parametrize("spellings", [
    ("Osechkin", "Osetchkine", "Ossetschkin", "Osečkin", "Осечкин"),
    ("Saratov", "Саратов"), ("Peskov", "Песков"), ("Kherson", "Херсон"), ("Kharkiv", "Харків"),
    ("ёлка", "елка"),
])
def test_spellings_and_scripts_share_a_key(spellings):
    """Do a name's spellings in Latin and Cyrillic, with or without diacritics or ё, share a search
    key?"""
    keys = [set(word_keys(word)) for word in spellings]
    assert all(keys[0] & other for other in keys[1:]), keys


@pytest.mark.parametrize("form, other", [("пытка", "пыток"), ("пытка", "пытки"), ("tortured", "torture"),
                                         ("катування", "катуванням"), ("избиение", "избиения")])
def test_word_forms_share_a_key(form, other):
    """Do different forms of a Russian, Ukrainian or English word share a search key?"""
    assert set(word_keys(form)) & set(word_keys(other))


@pytest.fixture
def published(users):
    facility = make_facility(users["contributor"], names={"en": "TB hospital No. 1", "ru": "ОТБ-1"},
                             aliases=["Саратовская ОТБ"], locality="Саратов")
    case = make_incident(users["contributor"], facility, title={
        "ru": "Пытки в больнице", "en": "Torture in the hospital"}, narrative={
        "ru": "Осечкин рассказал о пытках заключённых. Песков обещал проверку.",
        "en": "According to Osechkin, prisoners were tortured. Peskov promised an inquiry."})
    publish(case, users["contributor"], users["reviewer"])
    ukrainian = make_incident(users["contributor"], facility, original_language="uk", title={
        "uk": "Катування в ізоляторі"}, narrative={"uk": "Затриманого катували струмом у Херсоні."})
    publish(ukrainian, users["contributor"], users["reviewer"])
    draft = make_incident(users["contributor"], facility, title={"ru": "Zyxwvut черновик"},
                          narrative={"ru": "Секретный черновик Zyxwvut."},
                          persons=[{"role": "victim", "pseudonym": "P.", "legal_name": "Qwertyname Legal",
                                    "consent": "anonymised"}])
    return {"case": case, "ukrainian": ukrainian, "draft": draft, "facility": facility}


def found(client, q: str) -> set[int]:
    body = client.get("/api/v1/incidents", query_string={"q": q, "per_page": 200}).get_json()
    return {item["id"] for item in body["items"]}


@pytest.mark.parametrize("q", ["Saratov", "Саратов", "Osetchkine", "Ossetschkin", "Osečkin", "Осечкин",
                               "Peskov", "Песков", "пытка", "пыток", "torture", "tortured", "отб-1",
                               "Peskov inquiry", "осечкин пытки"])
def test_queries_in_any_script_find_the_case(client, published, q):
    """Does a search in either script, in any spelling or word form, find the published incident?"""
    assert published["case"].id in found(client, q)


def test_ukrainian_text_is_found_in_its_own_forms_and_in_latin(client, published):
    """Is a Ukrainian incident found by its own word forms and by a place name written in Latin,
    without matching other incidents?"""
    assert published["ukrainian"].id in found(client, "катування")
    assert published["ukrainian"].id in found(client, "Kherson")
    assert published["case"].id not in found(client, "Kherson")


def test_every_query_word_must_match(client, published):
    """Must every word of a search match for an incident to be found?"""
    assert found(client, "Peskov nonexistentword") == set()


@pytest.mark.parametrize("role", (None,) + ROLES)
def test_search_never_shows_unpublished_or_confidential_text(client, as_role, users, published, role):
    """Can anyone, signed in or not, find a draft, a legal name or a confidential source through the
    public search?"""
    source = "Qsourcename Hidden"
    item = attach_file(client.application, published["case"], users["contributor"], source=source)
    assert item.source == source
    reader = as_role(role).client if role else client
    for q in ("Zyxwvut", "Qwertyname", "Qsourcename"):
        body = reader.get("/api/v1/incidents", query_string={"q": q}).get_json()
        assert body["total"] == 0, (role, q)
        page = reader.get("/incidents", query_string={"q": q}).get_data(as_text=True)
        # The query itself is echoed in the search box; what it names must not appear.
        assert "Zyxwvut черновик" not in page and "Qwertyname Legal" not in page and source not in page


@pytest.mark.parametrize("q", ['"', "*", "NEAR(a b)", "(((", "a OR", "AND", "-x", "^", "x" * 10_000,
                               "\x00\x01", "'; DROP TABLE incident; --", "col:val", "пытк*", "0_0", "a_b c", "_",
                               "١٢_٣"])
def test_hostile_queries_answer_cleanly(client, published, q):
    """Do search queries full of operators, markup, SQL or control characters get a normal answer
    rather than an error?"""
    assert client.get("/api/v1/incidents", query_string={"q": q}).status_code == 200
    assert client.get("/incidents", query_string={"q": q}).status_code == 200


def test_matching_passage_is_highlighted(client, published):
    """Is the word a search matched highlighted in the passage shown, in Latin and Cyrillic, even when
    the text around it holds markup?"""
    page = client.get("/incidents", query_string={"q": "Osetchkine", "lang": "en"}).get_data(as_text=True)
    assert "<mark>Osechkin</mark>" in page
    hostile = passage("<b>Осечкин</b> said", query_keys("Osechkin"))
    assert ("Осечкин", True) in hostile
    html = client.get("/incidents", query_string={"q": "пытках", "lang": "ru"}).get_data(as_text=True)
    assert "<mark>пытках</mark>" in html


def test_paging_newest_first_returns_every_match_once(client, users):
    """Does paging through search results, newest first, show every match exactly once?"""
    facility = make_facility(users["contributor"])
    ids = set()
    for index in range(23):
        # Several incidents share each date, so ties must be broken by id.
        incident = make_incident(users["contributor"], facility, date_start=f"2019-0{index % 3 + 1}-15",
                                 date_precision="day", title={"en": f"Beating {index}", "ru": "Избиение"})
        publish(incident, users["contributor"], users["reviewer"])
        ids.add(incident.id)
    seen = []
    for page in range(1, 6):
        body = client.get("/api/v1/incidents", query_string={"q": "beating", "per_page": 5, "page": page}).get_json()
        seen += [item["id"] for item in body["items"]]
        assert body["total"] == 23
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    dates = [client.get(f"/api/v1/incidents/{i}").get_json()["date_start"] for i in seen]
    assert dates == sorted(dates, reverse=True)


def test_staff_search_drafts_with_the_same_power(client, users, published):
    """Can staff search drafts with the same spellings and word forms as published incidents?"""
    headers = bearer_headers(users["lawyer"])
    for q in ("zyxwvut", "Секретный", "черновика"):
        body = client.get("/api/v1/incidents", query_string={"q": q, "status": "draft"}, headers=headers).get_json()
        assert [item["id"] for item in body["items"]] == [published["draft"].id], q
    body = client.get("/api/v1/incidents", query_string={"q": "Peskov", "status": "published"},
                      headers=headers).get_json()
    assert [item["id"] for item in body["items"]] == [published["case"].id]


def test_facets_list_the_most_frequent_values_and_always_the_chosen_one(client, users, monkeypatch):
    """Do the filter lists show the most frequent values, and always the one that is chosen?"""
    from incidents.search import facets
    monkeypatch.setattr(facets, "FACET_LIMIT", 2)
    places = [make_facility(users["contributor"], names={"en": f"Colony {i}"}) for i in range(4)]
    for index, place in enumerate(places):
        for _ in range(index + 1):
            publish(make_incident(users["contributor"], place), users["contributor"], users["reviewer"])
    listed = client.get("/api/v1/incidents").get_json()["facets"]["facility"]
    assert [entry["value"] for entry in listed] == [places[3].id, places[2].id]
    chosen = client.get(f"/api/v1/incidents?facility={places[0].id}").get_json()["facets"]["facility"]
    assert [(entry["value"], entry["count"]) for entry in chosen] == [(places[3].id, 4), (places[2].id, 3),
                                                                      (places[0].id, 1)]


def _kept_counts() -> set[tuple[str, str, int]]:
    from incidents.models import PublishedCount
    return {(row.dimension, row.value, row.count) for row in PublishedCount.select()
            if row.count and row.dimension != "generation"}


def test_counts_kept_with_each_publication_equal_a_fresh_count(client, users):
    """Do the counts kept up to date with each publication, edit and retraction equal a count made
    afresh?"""
    from incidents.models import Incident
    from incidents.publication import facet_counts
    from incidents.records import service
    from incidents.revisions import snapshot
    author, reviewer = users["contributor"], users["reviewer"]
    colony, prison = make_facility(author, names={"en": "Colony"}), make_facility(author, region="RU-MOW")
    cases = [make_incident(author, colony if i % 2 else prison, date_start=f"201{i}", abuse=[["030502000000"],
             ["031701000000", "030101000000"]][i % 2]) for i in range(5)]
    for case in cases:
        publish(case, author, reviewer)
    # A published edit that moves the incident to another facility, year and abuse type.
    data = snapshot(Incident.get_by_id(cases[0].id))
    data.update(facility=colony.id, date_start="2001", abuse=["031800000000"])
    service.update_incident(cases[0].id, data, author, version=Incident.get_by_id(cases[0].id).version,
                            max_text=MAX_TEXT)
    publish(cases[0], author, reviewer)
    move(cases[1].id, reviewer, "retract", comment="Duplicate")
    service.update_facility(colony.id, facility_data(names={"en": "Colony"}, region="RU-TVE"), users["admin"])
    kept = _kept_counts()
    facet_counts.rebuild()
    assert kept == _kept_counts()
    assert ("region", "RU-TVE", 2) in kept and ("year", "2001", 1) in kept and ("total", "", 4) in kept
    body = client.get("/api/v1/incidents").get_json()
    assert body["total"] == 4
    assert {e["value"]: e["count"] for e in body["facets"]["abuse"]}["031800000000"] == 1


def test_a_total_under_one_kept_filter_equals_a_count_of_the_incidents(client, users):
    """Where one facility (or a few), a region or one abuse type narrows alone, the total comes from the
    counts kept with each publication: does it equal a count of the incidents themselves, with a
    facility named twice, two abuse types asked for together, and after a retraction?"""
    from werkzeug.datastructures import MultiDict

    from incidents.search.filters import filtered, parse_filters
    author, reviewer = users["contributor"], users["reviewer"]
    colony, prison = make_facility(author, names={"en": "Colony"}), make_facility(author, region="RU-MOW")
    cases = [publish(make_incident(author, colony if i % 3 else prison, abuse=[["030502000000"],
                     ["031701000000", "030101000000"]][i % 2]), author, reviewer) for i in range(7)]
    move(cases[1].id, reviewer, "retract", comment="Duplicate")
    queries = [f"facility={colony.id}", f"facility={colony.id}&facility={prison.id}",
               f"facility={colony.id}&facility={colony.id}", "facility=999999", "region=RU-MOW", "country=RU",
               "abuse=031701000000", "abuse=031701000000&abuse=030101000000", "abuse=030502000000",
               "verification=unassessed", "region=RU-TVE"]
    for query in queries:
        args = MultiDict([pair.split("=") for pair in query.split("&")])
        expected = filtered(parse_filters(args)).count()
        assert client.get(f"/api/v1/incidents?{query}&facets=").get_json()["total"] == expected, query
    assert client.get(f"/api/v1/incidents?facility={colony.id}&facility={colony.id}").get_json()["total"] == 3


def test_facets_can_be_chosen_or_left_out(client, published):
    """Can a caller choose which filter counts to receive, or none, and is an unknown one refused?"""
    body = client.get("/api/v1/incidents?facets=facility,abuse").get_json()
    assert set(body["facets"]) == {"facility", "abuse"} and body["total"] == 2
    assert client.get("/api/v1/incidents?facets=").get_json()["facets"] == {}
    bad = client.get("/api/v1/incidents?facets=facility,nonsense")
    assert bad.status_code == 422 and "facets" in bad.get_json()["error"]["fields"]


def test_counts_in_memory_equal_counts_in_sql_under_every_filter(client, users, as_role, monkeypatch):
    """Do counts made in memory on large installations equal counts made in SQL, under every
    combination of filters, and include what was just published?

    Large installations count facets in memory (facet_index.py), small ones in SQL: the
    answers must be the same for any combination of filters."""
    from incidents.publication import facet_index
    from incidents.search import facets
    author, reviewer = users["contributor"], users["reviewer"]
    places = [make_facility(author, names={"en": f"Colony {i}"}, region=region)
              for i, region in enumerate(("RU-SAR", "RU-MOW", "RU-SAR"))]
    for index in range(9):
        publish(make_incident(author, places[index % 3], title={"en": f"Beating {index}"}, original_language="en",
                              date_start=f"201{index}-0{index % 9 + 1}-1{index}", date_precision="day",
                              date_end=f"201{index + 1}-01-01" if index % 4 == 0 else None,
                              abuse=[["030502000000"], ["031701000000", "030101000000"]][index % 2]),
                author, reviewer)
    publish(make_incident(author, places[0], title={"en": "Unrelated"}, original_language="en"), author, reviewer)
    queries = ["", "q=beating", f"q=beating&facility={places[1].id}", "q=beating&region=RU-SAR",
               "date_from=2013-01-01&date_to=2016-06-30", "date_from=2015-02-01", "abuse=031701000000",
               "abuse=031701000000&abuse=030101000000&country=RU", "perpetrator=010105000000&region=RU-MOW",
               "q=%25%25", "q=colony+beating&date_to=2014-12-31", "verification=unassessed&region=RU-SAR"]

    researcher = as_role("researcher")

    def answers():
        return [(body["total"], body["facets"]) for body in
                (client.get("/api/v1/incidents?" + q).get_json() for q in queries)] + \
            [researcher.get(f"/statistics.csv?dimension={dimension}&{q}").data
             for q in queries for dimension in ("year", "region", "facility", "abuse")]

    monkeypatch.setattr(facets, "IN_MEMORY_FROM", 10**9)
    in_sql = answers()
    monkeypatch.setitem(facet_index._built, "generation", None)
    monkeypatch.setattr(facets, "IN_MEMORY_FROM", 1)
    assert answers() == in_sql
    assert facet_index._built["generation"] is not None  # counted in memory
    assert {e["value"]: e["count"] for e in in_sql[1][1]["region"]} == {"RU-SAR": 6, "RU-MOW": 3}
    assert in_sql[4][0] == 3 and in_sql[5][0] == 5  # spans count where they overlap the period
    # What is published next is counted at once: the arrays are rebuilt.
    publish(make_incident(author, places[1], title={"en": "Beating again"}, original_language="en"), author,
            reviewer)
    regions = client.get("/api/v1/incidents?q=beating").get_json()["facets"]["region"]
    assert {e["value"]: e["count"] for e in regions} == {"RU-SAR": 6, "RU-MOW": 4}
