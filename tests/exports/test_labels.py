"""Exports people can read: beside each code its label in the language asked, files named for what
they hold and when, and exactly the incidents the list shows under the same filters."""
from __future__ import annotations

import csv
import datetime
import io

import pytest

from incidents import vocab
from incidents.publication.open_data_row import CODED_COLUMNS
from tests.factories import make_facility, make_incident, publish


@pytest.fixture
def token(bearer):
    return bearer("researcher")


@pytest.fixture
def published(users):
    colony = make_facility(users["contributor"], names={"en": "Penal Colony No. 96", "ru": "ИК-96", "uk": "ВК-96"},
                           type="penal_colony", region="RU-TVE", aliases=[])
    made = [make_incident(users["contributor"], colony, date_start="2019-05-02", date_precision="day",
                          perpetrators=["010105000000", "x-prison-special-forces"], original_language="uk",
                          title={"uk": "Побиття в колонії", "en": "Beating in the colony"},
                          narrative={"uk": "Засудженого побили в колонії."}),
            make_incident(users["contributor"], make_facility(users["contributor"], original_language="ru"),
                          date_start="2020"),
            make_incident(users["contributor"], colony, date_start="2021-03", date_precision="month",
                          abuse=["031701000000"], violation_status=None)]
    for incident in made:
        publish(incident, users["contributor"], users["reviewer"])
    return made


def csv_records(client, token, query: str) -> tuple[list[str], list[dict]]:
    response = client.get(f"/api/v1/export/incidents.csv?{query}", headers=token)
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_each_code_has_its_label_beside_it_in_the_language_asked(client, token, published):
    header, records = csv_records(client, token, "lang=ru")
    for code, label in (("date_precision", "date_precision_label"), ("country", "country_name"),
                        ("region", "region_name"), ("facility_type", "facility_type_label"),
                        ("abuse", "abuse_labels"), ("perpetrators", "perpetrators_labels"),
                        ("violation_status", "violation_status_label"),
                        ("original_language", "original_language_name")):
        assert header.index(label) == header.index(code) + 1, label
    first = next(r for r in records if r["id"] == str(published[0].id))
    assert (first["country"], first["country_name"]) == ("RU", "Российская Федерация")
    assert (first["region"], first["region_name"]) == ("RU-TVE", "Тверская область")
    assert (first["facility"], first["facility_type"], first["facility_type_label"]) == (
        "ИК-96", "penal_colony", vocab.label("facility_types", "penal_colony", "ru"))
    assert first["date_precision_label"] == "Точная дата"
    assert (first["violation_status"], first["violation_status_label"]) == ("040000000000", "Вероятно")
    assert first["perpetrators"] == "010105000000;x-prison-special-forces"
    assert first["perpetrators_labels"] == " | ".join(
        vocab.label("perpetrators", code, "ru") for code in ("010105000000", "x-prison-special-forces"))
    assert first["abuse_labels"].startswith("Изнасилование") and " | Связывание" in first["abuse_labels"]
    assert (first["original_language"], first["original_language_name"]) == ("uk", "украинский")
    assert first["title_uk"] == "Побиття в колонії" and first["date_start"] == "2019-05-02"
    second = next(r for r in records if r["id"] == str(published[1].id))
    assert second["facility"] == "Туберкулёзная больница № 1"
    _header, ukrainian = csv_records(client, token, "lang=uk")  # no Ukrainian name: the original, Russian
    assert next(r for r in ukrainian if r["id"] == str(published[1].id))["facility"] == "Туберкулёзная больница № 1"
    last = next(r for r in records if r["id"] == str(published[2].id))
    assert (last["violation_status"], last["violation_status_label"], last["violation_status_huridocs"]) == ("", "", "")
    assert last["date_precision_label"] == "Известен месяц"


def test_the_json_export_carries_the_same_labels_in_ukrainian(client, token, published):
    items = client.get("/api/v1/export/incidents.json?lang=uk", headers=token).get_json()
    first = next(item for item in items if item["id"] == published[0].id)
    assert (first["country_name"], first["region_name"], first["facility"]) == ("Російська Федерація", "Тверська область", "ВК-96")
    assert first["original_language_name"] == "українська" and first["violation_status_label"] == "Імовірно"
    assert first["facility_type_label"] == vocab.label("facility_types", "penal_colony", "uk")
    assert set(first) >= {name for name, _tag in CODED_COLUMNS}
    header, _records = csv_records(client, token, "lang=uk")
    assert list(first) == header  # the same columns, in the same order


def test_files_are_named_for_what_they_hold_and_when(client, token, published):
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    for query, name in (("csv", f"incidents-{today}.csv"), ("csv?hxl=1", f"incidents-{today}.hxl.csv"),
                        ("json", f"incidents-{today}.json"), ("json?hxl=1", f"incidents-{today}.json")):
        response = client.get(f"/api/v1/export/incidents.{query}", headers=token)
        assert response.status_code == 200 and response.get_data()
        assert response.headers["Content-Disposition"] == f"attachment; filename={name}"


@pytest.mark.parametrize("query", ["", "region=RU-TVE", "abuse=031701000000", "perpetrator=x-prison-special-forces",
                                   "date_from=2020-01-01", "date_to=2020-12-31", "q=колонии", "sort=date",
                                   "facility={colony}&date_from=2019-01-01&date_to=2019-12-31", "verification=unassessed"])
def test_an_export_holds_exactly_what_the_list_shows(client, token, published, query):
    query = query.format(colony=published[0].facility_id)
    listed = client.get(f"/api/v1/incidents?{query}&per_page=100", headers=token).get_json()
    _header, records = csv_records(client, token, query)
    items = client.get(f"/api/v1/export/incidents.json?{query}", headers=token).get_json()
    shown = [item["id"] for item in listed["items"]]
    assert [int(r["id"]) for r in records] == shown == [item["id"] for item in items]
    assert len(shown) == listed["total"] and shown  # each filter here matches something


def test_a_language_not_offered_is_refused_clearly(client, token, published):
    response = client.get("/api/v1/export/incidents.csv?lang=de", headers=token)
    assert response.status_code == 422 and "lang" in response.get_json()["error"]["fields"]


def test_the_lists_download_links_survive_a_query_naming_their_own_arguments(as_role, published):
    page = as_role("researcher").get("/incidents?fmt=xml&hxl=2&region=RU-TVE")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "/api/v1/export/incidents.json?region=RU-TVE" in text
    assert "/api/v1/export/incidents.csv?hxl=1&amp;region=RU-TVE" in text
