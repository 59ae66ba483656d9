"""An anonymous visitor, in Ukrainian, opens the statistics and the map, and filters the list by a
region chosen on the map with the keyboard; on a phone the charts fit the screen."""
from __future__ import annotations

import pytest

from tests.factories import make_facility, make_incident, publish

pytestmark = pytest.mark.browser


def test_a_visitor_opens_statistics_and_map_in_ukrainian_and_filters_by_a_region(users, live_server, chromium):
    """Without signing in, in Ukrainian: do the statistics show their charts within a phone's width,
    does the map show the region as a link the keyboard reaches, and does following it land on the
    list filtered by that region (the other region's incident not in it), with no script error?"""
    saratov = make_facility(users["contributor"], latitude=51.53, longitude=46.03)
    kirov = make_facility(users["contributor"], names={"ru": "Исправительная колония № 96 (для бывших сотрудников)"},
                          aliases=[], region="RU-KIR", locality="Киров", latitude=58.6, longitude=49.66)
    for place, title in ((saratov, "Избиение в больнице"), (kirov, "Пытки в колонии")):
        publish(make_incident(users["contributor"], place, title={"ru": title}), users["contributor"], users["reviewer"])
    errors: list = []
    page = chromium.new_page(locale="uk-UA", viewport={"width": 375, "height": 740})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(live_server + "/statistics?lang=uk")
    assert page.locator("h1").inner_text() == "Статистика"
    assert page.locator("nav a", has_text="Мапа").count() == 1
    charts = page.locator("figure.chart svg")
    assert charts.count() == 7
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375, index
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.goto(live_server + "/map?lang=uk")
    assert page.locator("h1").inner_text() == "Мапа"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # the table beside it too
    region = page.locator("svg a.map-region[aria-label^='Саратовська область']")
    assert region.count() == 1
    assert page.locator(f"svg a.map-point[href='/facilities/{kirov.id}']").count() == 1
    region.focus()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith("Саратовська область")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/incidents?region=RU-SAR" in page.url
    listed = page.inner_text("main")
    assert "Избиение в больнице" in listed and "Пытки в колонии" not in listed
    assert not errors, errors
