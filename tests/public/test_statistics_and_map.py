"""Public statistics and the map: only published incidents, the same numbers for everyone, every
chart's downloads, the regions and facilities as links, coordinates nobody can misread."""
from __future__ import annotations

import csv
import html
import io
import re
import xml.etree.ElementTree as ET

import pytest

from incidents.duplicates import service as duplicates
from incidents.evidence import verification as assessments
from incidents.models import EvidenceItem, Incident
from tests.factories import attach_file, make_facility, make_incident, move, publish
from tests.helpers import translated

LONG_NAME = "Исправительная колония № 96 (для бывших сотрудников правоохранительных органов)"


@pytest.fixture
def world(users):
    """Three published incidents in two regions, a same-event pair among them, and work that is not
    published (a draft, one in review) at a facility that has nothing else."""
    contributor, reviewer = users["contributor"], users["reviewer"]
    saratov = make_facility(contributor, latitude=51.53, longitude=46.03)
    colony = make_facility(contributor, names={"ru": LONG_NAME}, aliases=[], type="penal_colony",
                           region="RU-KIR", locality="Киров", latitude=58.6, longitude=49.66)
    hidden = make_facility(contributor, names={"ru": "Тайная колония"}, aliases=[], region="RU-MOW",
                           locality="Москва", latitude=55.75, longitude=37.62)
    first = make_incident(contributor, saratov, date_start="15.03.2020", date_precision="day")
    again = make_incident(contributor, saratov, date_start="16.03.2020", date_precision="day")
    other = make_incident(contributor, colony, date_start="2019", abuse=["030101000000"])
    for incident in (first, again, other):
        publish(incident, contributor, reviewer)
    duplicates.mark(reviewer, again.id, first.id, "same")
    make_incident(contributor, hidden, date_start="2021")  # a draft
    move(make_incident(contributor, hidden, date_start="2021"), contributor, "submit")
    return {"saratov": saratov, "colony": colony, "hidden": hidden}


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_a_visitor_sees_the_statistics_a_reviewer_sees_and_nothing_unpublished(client, as_role, world):
    """Can a visitor open the statistics without signing in, in Russian and Ukrainian with every
    chart's title translated, and are the numbers the same a reviewer (who may read drafts) sees:
    the same event once, no draft or incident in review, the facility with only unpublished work
    never named?"""
    counts = {}
    for reader, who in ((client, "public"), (as_role("reviewer"), "reviewer")):
        counts[who] = [_rows(reader.get(f"/statistics/{name}.csv?lang=en"))
                       for name in ("time", "region", "facility", "facility_type", "verification")]
    assert counts["public"] == counts["reviewer"]
    time, regions, facilities, types, verification = counts["public"]
    assert time[1:] == [["2019", "2019", "1"], ["2020", "2020", "1"]]  # the 2021 draft is not there
    assert {row[0] for row in regions[1:]} == {"RU-SAR", "RU-KIR"}
    assert [row[2] for row in facilities[1:]] == ["1", "1"] and "Тайная" not in str(facilities)
    assert sorted(row[0] for row in types[1:]) == ["penal_colony", "prison_hospital"]
    assert sum(int(row[2]) for row in verification[1:]) == 2
    for language, words in (("ru", ("Инциденты по годам", "по типу учреждения", "Скачать")),
                            ("uk", ("Інциденти за роками", "за типом установи", "Завантажити"))):
        page = client.get(f"/statistics?lang={language}").get_data(as_text=True)
        assert all(word in page for word in words), language
        assert "Тайная колония" not in page and "Incidents per" not in page and "Download" not in page
        assert re.search(r"— 2 \w", page)  # "По этим фильтрам — 2 опубликованных инцидента": two events


def test_the_monthly_series_counts_months_and_says_what_it_leaves_out(client, world):
    """Does the time series by month list every month from the first to the last (a month without
    incidents as 0) and say how many incidents dated only to a year are not in it?"""
    rows = _rows(client.get("/statistics/time.csv?period=month&lang=en"))
    assert rows[1:] == [["2020-03", "Mar 2020", "1"]]
    page = client.get("/statistics?period=month&lang=en").get_data(as_text=True)
    assert "1 incident dated only to a year or approximately is not in the monthly series." in page
    assert "earlier" not in page


def test_a_long_monthly_series_shows_the_last_ten_years_and_says_what_came_before(client, users, world):
    """An incident dated 1950 among ones of 2020: does the series by month still reach March 2020,
    showing the last 120 months and saying that one earlier incident is left out of it (not the
    recent decades dropped while the total still counts them)?"""
    old = make_incident(users["contributor"], world["saratov"], date_start="05.1950", date_precision="month")
    publish(old, users["contributor"], users["reviewer"])
    rows = _rows(client.get("/statistics/time.csv?period=month&lang=en"))[1:]
    assert len(rows) == 120 and rows[0][0] == "2010-04" and rows[-1] == ["2020-03", "Mar 2020", "1"]
    for language, words in (("en", "1 earlier incident is not in it"), ("ru", "1 более ранний инцидент"),
                            ("uk", "1 раніший інцидент")):
        assert words in client.get(f"/statistics?period=month&lang={language}").get_data(as_text=True), language


def test_each_chart_downloads_as_csv_svg_and_png_with_names_that_say_what_they_are(client, world):
    """Does each chart download as CSV, SVG and PNG with the right type and a file name saying what it
    counts, the SVG holding the long facility name whole in a title and wrapped, never cut, in its
    text, and the PNG being a picture?"""
    for extension, kind in (("csv", "text/csv"), ("svg", "image/svg+xml"), ("png", "image/png")):
        response = client.get(f"/statistics/facility.{extension}?lang=ru&region=RU-KIR")
        assert response.status_code == 200 and response.mimetype == kind
        assert re.fullmatch(rf"attachment; filename=incidents-by-facility-\d{{4}}-\d\d-\d\d\.{extension}",
                            response.headers["Content-Disposition"])
    svg = client.get("/statistics/facility.svg?lang=ru").get_data(as_text=True)
    tree = ET.fromstring(svg.split("?>", 1)[1])
    titles = [t.text for t in tree.iter("{http://www.w3.org/2000/svg}title")]
    assert any(t.startswith(LONG_NAME) for t in titles)
    texts = " ".join(t.text for t in tree.iter("{http://www.w3.org/2000/svg}text"))
    assert "Исправительная колония № 96" in texts and "(для бывших" in texts  # on a second line
    assert client.get("/statistics/facility.png").get_data()[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/statistics/time.csv?period=month").headers["Content-Disposition"].startswith(
        "attachment; filename=incidents-per-month-")


@pytest.mark.parametrize("path", [
    "/statistics?date_from=someday", "/statistics?period=decade", "/statistics/region.csv?region=XX-YY",
    "/statistics/secrets.csv", "/map?abuse=<script>", "/statistics.csv?dimension=x"])
def test_bad_query_input_is_a_clear_400(client, world, path):
    """Is a filter, period, chart or format nobody can mean refused with a 400 that names what was
    wrong, and nothing counted?"""
    response = client.get(path + ("&" if "?" in path else "?") + "lang=en")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Unknown" in page or "Must be" in page
    assert "<script>" not in page


@pytest.mark.parametrize("language, field", [("ru", "С"), ("uk", "Від")])
def test_a_refused_filter_is_named_as_the_form_names_it(app, client, world, language, field):
    """A download asked with a wrong date and period: does a Russian or Ukrainian visitor read which
    fields were wrong in their words, not "date_from"?"""
    page = html.unescape(re.sub(r"<[^>]+>", " ", client.get(
        f"/statistics/region.csv?date_from=someday&period=decade&lang={language}").get_data(as_text=True)))
    assert f"{field}: " in page and f"{translated(app, 'Time series', language)}: " in page
    assert "date_from" not in page and "period:" not in page


def test_the_map_links_points_to_facilities_and_regions_to_the_list(client, world):
    """Does the map, for a visitor in Ukrainian, draw the published facilities as links to their pages
    and their regions as links to the list filtered by region (keeping the other filters), with
    accessible names, loading nothing from elsewhere, and never the facility with only unpublished
    work?"""
    page = client.get("/map?lang=uk&date_from=2019").get_data(as_text=True)
    assert f'href="/facilities/{world["saratov"].id}"' in page and f'href="/facilities/{world["hidden"].id}"' not in page
    region = re.search(r'<a href="(/incidents\?[^"]*region=RU-SAR[^"]*)" aria-label="([^"]+)"', page)
    assert region and "date_from=2019" in region.group(1) and "Саратовська область" in region.group(2)
    assert "RU-MOW" not in re.findall(r"region=([A-Z-]+)", page)
    assert "Тайная колония" not in page and "http://" not in page.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", "")
    assert "51,53° пн. ш., 46,03° сх. д." in page
    assert client.get("/incidents?region=RU-SAR&lang=uk").status_code == 200



def test_the_maps_counts_are_written_as_the_readers_language_writes_numbers(client, world, monkeypatch):
    """Does a point or region of thousands of incidents say "12 345" to a Russian reader and "12,345"
    to an English one, not "12345"?"""
    from incidents.public import statistics
    found = statistics.places

    def many(*args):
        places = found(*args)
        return {**places, "regions": {code: 12345 for code in places["regions"]},
                "facilities": [(*point[:4], 12345) for point in places["facilities"]]}
    monkeypatch.setattr(statistics, "places", many)
    for language, written in (("en", "12,345"), ("ru", "12\xa0345"), ("uk", "12\xa0345")):
        names = re.findall(r'aria-label="([^"]+)"', html.unescape(client.get(f"/map?lang={language}").get_data(as_text=True)))
        counted = [name for name in names if "12" in name]
        assert counted and all(written in name for name in counted), (language, names)


OTHER_PERPETRATOR = "010104000000"


@pytest.fixture
def assessed(app, users, world):
    """One more published incident, in Tver, by another perpetrator type and with its evidence
    assessed and confirmed by a second reviewer: the only one whose public status is not
    "not assessed yet"."""
    tver = make_facility(users["contributor"], names={"ru": "СИЗО-1 Твери"}, aliases=[], region="RU-TVE",
                         locality="Тверь", latitude=56.86, longitude=35.9)
    incident = make_incident(users["contributor"], tver, perpetrators=[OTHER_PERPETRATOR])
    item = attach_file(app, incident, users["contributor"])  # a file: a link keeps no id in public, nor a status
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer"])
    assessments.record_assessment(users["reviewer"], item.id, {"part": "source", "outcome": "consistent",
                                                               "method": "Asked the sender."})
    status = EvidenceItem.get_by_id(item.id).verification
    assessments.confirm(users["reviewer2"], item.id, {"status": status})
    return {"tver": tver, "status": status}


@pytest.mark.parametrize("query", ["perpetrator=" + OTHER_PERPETRATOR, "verification={status}"])
def test_the_map_filters_by_perpetrator_and_verification_as_the_list_does(client, world, assessed, query):
    """Filtered by a perpetrator type or a verification status, does the map draw only the facility
    and the region of the incident that matches (no point, no region link for the others), offer
    that filter chosen in its form, and does the region's link carry the filter to the list, which
    then shows that incident alone?"""
    query = query.format(status=assessed["status"])
    response = client.get(f"/map?lang=ru&{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    drawing = page.split("<svg", 1)[1].split("</svg>")[0]
    assert set(re.findall(r'<a href="/facilities/(\d+)"', drawing)) == {str(assessed["tver"].id)}
    regions = re.findall(r'<a href="(/incidents\?[^"]*)"', drawing)
    assert {re.search(r"region=([A-Z-]+)", link).group(1) for link in regions} == {"RU-TVE"}
    link = html.unescape(regions[0])
    assert query in link
    name, value = query.split("=")
    form = page.split('<form class="filters', 1)[1].split("</form>")[0]
    assert re.search(rf'<select id="m-{name}" name="{name}">.*?<option value="{value}" selected>', form, re.S)
    listed = client.get(link + "&lang=ru").get_data(as_text=True)
    assert "Найден 1 инцидент" in listed and "СИЗО-1 Твери" in listed, link


def test_the_statistics_and_the_map_offer_the_same_filters(client, world):
    """Do the statistics and the map offer one and the same set of filters, each box with a label
    of its own (ids begin with the page's letter), the statistics adding only their time series?"""
    boxes = {}
    for path in ("/statistics", "/map"):
        form = client.get(path + "?lang=en").get_data(as_text=True).split('<form class="filters', 1)[1]
        form = form.split("</form>")[0]
        names = re.findall(r'name="([a-z_]+)"', form)
        labelled = re.findall(r'<label for="([a-z]-[a-z_]+)"', form)
        boxes_ids = [i for i in re.findall(r' id="([a-z]-[a-z_]+)"', form) if not i.endswith("-hint")]
        assert sorted(labelled) == sorted(boxes_ids) and len(set(labelled)) == len(labelled)
        boxes[path] = sorted(set(names))
    assert boxes["/statistics"] == sorted(boxes["/map"] + ["period"])
    assert {"perpetrator", "verification", "facility", "region", "abuse", "q", "date_from", "date_to"} <= \
        set(boxes["/map"])


def test_a_bad_period_on_the_statistics_page_is_said_under_the_time_series(client, world):
    """The statistics asked for a time series "by decade", in Russian: does the page answer 400
    and say what is wrong under the time-series field, in Russian, while the charts, by year,
    still count the incidents under the other filters?"""
    response = client.get("/statistics?period=decade&region=RU-KIR&lang=ru")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    series = page.split("<legend>Динамика</legend>", 1)[1].split("</fieldset>")[0]
    assert "Неизвестное значение: decade. Выберите «по годам» или «по месяцам»." in series
    assert 'value="year" checked' in series
    assert "— 1 опубликованный инцидент" in page  # the region filter still applies
    assert "Инциденты по годам" in page and "<svg" in page
    assert page.count('class="error"') == 1


def test_coordinates_read_the_same_in_every_language(client, world):
    """Does a facility's page write its coordinates with the hemisphere, never as four bare numbers?"""
    pages = {lang: client.get(f"/facilities/{world['saratov'].id}?lang={lang}").get_data(as_text=True)
             for lang in ("en", "ru", "uk")}
    assert "51.53° N, 46.03° E" in pages["en"]
    assert "51,53° с. ш., 46,03° в. д." in pages["ru"]
    assert "51,53° пн. ш., 46,03° сх. д." in pages["uk"]
