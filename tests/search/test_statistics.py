"""Statistics: counts under any filter, as SVG with a table beside it, and as CSV."""
from __future__ import annotations

import csv
import io

import pytest

from tests.factories import make_facility, make_incident, publish


@pytest.fixture
def counted(users):
    saratov = make_facility(users["contributor"])
    moscow = make_facility(users["contributor"], names={"en": "=SIZO-1"}, aliases=[], region="RU-MOW")
    for place, start, abuse in ((saratov, "2019", ["030101000000"]), (saratov, "2020", ["030101000000"]),
                                (moscow, "2020", ["030502000000"])):
        publish(make_incident(users["contributor"], place, date_start=start, abuse=abuse),
                users["contributor"], users["reviewer"])
    make_incident(users["contributor"], moscow, date_start="2021")  # a draft: never counted
    return {"saratov": saratov, "moscow": moscow}


def test_statistics_page_counts_under_filters(as_role, counted):
    """Does the statistics page count the published incidents under the chosen filters, drawn as SVG
    without inline script?"""
    researcher = as_role("researcher")
    page = researcher.get("/statistics?lang=en").get_data(as_text=True)
    assert "3 published incidents under these filters." in page and "<svg" in page
    # Only the app's own script files (app.js; drafts.js for a signed-in reader), nothing inline.
    assert page.count("<script") == page.count('<script src="/static/') >= 1
    filtered = researcher.get(f"/statistics?lang=en&facility={counted['saratov'].id}").get_data(as_text=True)
    assert "2 published incidents under these filters." in filtered


def test_statistics_download_as_csv(as_role, counted):
    """Can a researcher download the counts as CSV by year, facility or region under filters, with no
    formula reaching a spreadsheet and unknown dimensions refused?"""
    researcher = as_role("researcher")
    rows = list(csv.reader(io.StringIO(researcher.get("/statistics.csv?dimension=year&lang=en")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [["value", "label", "count"], ["2019", "2019", "1"], ["2020", "2020", "2"]]
    facilities = researcher.get("/statistics.csv?dimension=facility&lang=en").get_data(as_text=True)
    assert "'=SIZO-1" in facilities  # no formula reaches a spreadsheet
    regions = researcher.get("/statistics.csv?dimension=region&abuse=030502000000").get_data(as_text=True)
    assert "RU-MOW" in regions and "RU-SAR" not in regions
    assert researcher.get("/statistics.csv?dimension=secrets").status_code == 400


def test_facility_pages_show_their_timeline(client, counted):
    """Does a facility's public page show its incidents per year and most frequent abuse?"""
    page = client.get(f"/facilities/{counted['saratov'].id}?lang=en").get_data(as_text=True)
    assert "Incidents per year" in page and "Most frequent abuse types" in page and "<svg" in page


def test_the_statistics_form_offers_every_filter_and_keeps_the_words_searched(as_role, counted):
    """Can a researcher choose a region and an abuse type on the statistics page (the choices under
    the current filters), and does a search reached by a link (``q``) stay in the form, so that
    applying another filter counts within it rather than dropping it?"""
    researcher = as_role("researcher")
    page = researcher.get("/statistics?lang=en").get_data(as_text=True)
    assert 'value="RU-SAR"' in page and 'value="RU-MOW"' in page
    assert 'value="030101000000"' in page and 'value="030502000000"' in page
    searched = researcher.get("/statistics?lang=en&q=SIZO").get_data(as_text=True)
    assert 'name="q" value="SIZO"' in searched
    assert "1 published incident under these filters." in searched


def test_a_page_past_the_last_says_so_and_links_to_the_last(client, counted):
    """Does a list asked for a page after its last (a stale link) say that there is no such page and
    link to the last one, instead of "nothing matches" under a count of what does?"""
    for path in ("/incidents?lang=en&page=9", "/facilities?lang=en&page=9",
                 f"/facilities/{counted['saratov'].id}?lang=en&page=9"):
        page = client.get(path).get_data(as_text=True)
        assert "There is no page 9: the last is page 1." in page, path
        assert "page=1" in page and "No published incident" not in page and "No facility matches" not in page
