"""Open data: CSV and JSON of published incidents, streamed, safe to open in a spreadsheet."""
from __future__ import annotations

import csv
import io

import pytest

from tests.factories import make_facility, make_incident, publish


@pytest.fixture
def token(bearer):
    return bearer("researcher")


@pytest.fixture
def data(users):
    facility = make_facility(users["contributor"])
    hostile = make_incident(users["contributor"], facility, title={"en": "=HYPERLINK(\"http://evil\")", "ru": "+1"},
                            narrative={"en": "@SUM(A1)", "ru": "-2"})
    publish(hostile, users["contributor"], users["reviewer"])
    plain = make_incident(users["contributor"], facility, title={"en": "Beating", "ru": "Избиение"})
    publish(plain, users["contributor"], users["reviewer"])
    draft = make_incident(users["contributor"], facility, title={"en": "Secret draft", "ru": "Черновик"})
    return {"hostile": hostile, "plain": plain, "draft": draft}


def test_csv_is_utf8_with_codes_hxl_and_no_formulas(client, token, data):
    """Is the CSV export a UTF-8 download of published incidents only, with HXL tags and HURIDOCS codes, no
    legal name, and no cell a spreadsheet would run as a formula?"""
    response = client.get("/api/v1/export/incidents.csv?hxl=1", headers=token)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header, tags, body = rows[0], rows[1], rows[2:]
    assert tags[0] == "#meta+id" and len(header) == len(tags)
    records = [dict(zip(header, row, strict=True)) for row in body]
    assert {r["id"] for r in records} == {str(data["hostile"].id), str(data["plain"].id)}
    hostile = next(r for r in records if r["id"] == str(data["hostile"].id))
    assert hostile["title_en"] == "'=HYPERLINK(\"http://evil\")" and hostile["title_ru"] == "'+1"
    assert hostile["narrative_en"] == "'@SUM(A1)" and hostile["narrative_ru"] == "'-2"
    assert hostile["abuse_huridocs"] == "030502000000;031701000000"
    assert hostile["url"].endswith(f"/incidents/{data['hostile'].id}") and hostile["region"] == "RU-SAR"
    assert "Secret draft" not in text and "Иванов" not in text


def test_json_export_follows_the_filters(client, token, data):
    """Does the JSON export follow the search filters and refuse nonsense ones?"""
    everything = client.get("/api/v1/export/incidents.json", headers=token).get_json()
    assert len(everything) == 2 and all("narrative_ru" in item for item in everything)
    only = client.get("/api/v1/export/incidents.json?q=beating", headers=token).get_json()
    assert [item["id"] for item in only] == [data["plain"].id]
    assert client.get("/api/v1/export/incidents.json?date_from=nonsense", headers=token).status_code == 422


def test_exports_are_for_signed_in_users(client, data):
    """Can an anonymous visitor download the open data exports?"""
    assert client.get("/api/v1/export/incidents.csv").status_code == 401
    assert client.get("/api/v1/export/incidents.xml").status_code in (401, 404)


def test_csv_cells_keep_quotes_commas_and_line_breaks_and_follow_the_facility(client, token, users):
    """Do exported cells keep quotes, commas and line breaks intact, and do exports show a facility's
    current name and region after it is edited?"""
    from incidents.records import service
    from tests.factories import facility_data
    facility = make_facility(users["contributor"])
    title = 'He said "stop", then left; 100%'  # titles are one line; narratives keep line breaks
    text = 'He said "stop", then\nleft; 100%'
    case = make_incident(users["contributor"], facility, title={"en": title, "ru": "Избиение"},
                         narrative={"ru": "Заключённого избили.", "en": text})
    publish(case, users["contributor"], users["reviewer"])
    service.update_facility(facility.id, facility_data(names={"en": "Renamed colony"}, region="RU-TVE"),
                            users["admin"])
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/export/incidents.csv", headers=token)
                                           .get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1 and rows[0]["title_en"] == title and rows[0]["title_ru"] == "Избиение"
    assert rows[0]["narrative_en"] == text
    assert (rows[0]["facility"], rows[0]["region"]) == ("Renamed colony", "RU-TVE")
    assert rows[0]["id"] == str(case.id) and rows[0]["date_start"] == "2020-01-01"
    item = client.get("/api/v1/export/incidents.json", headers=token).get_json()[0]
    assert item["narrative_en"] == text and item["region"] == "RU-TVE" and item["facility"] == "Renamed colony"


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_an_incident_published_in_a_new_facility_as_the_export_began_is_in_it(client, token, users, data,
                                                                             monkeypatch, kind):
    """A facility created, and an incident published in it, after the export read the facilities' names
    and before it read the rows: is the incident in the file with its facility's name, not a broken
    download?"""
    from incidents.exports import open_data
    real = open_data.rows_in_order if kind == "csv" else open_data.streamed

    def meanwhile(*args, **kwargs):
        newer = make_facility(users["contributor"], names={"en": "Colony opened today"})
        made = make_incident(users["contributor"], newer, title={"en": "Beating on arrival"}, original_language="en")
        publish(made, users["contributor"], users["reviewer"])
        return real(*args, **kwargs)
    monkeypatch.setattr(open_data, "rows_in_order" if kind == "csv" else "streamed", meanwhile)
    response = client.get(f"/api/v1/export/incidents.{kind}", headers=token)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Beating on arrival" in text and "Colony opened today" in text
