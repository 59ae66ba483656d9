"""On a phone (390 px wide, Debian's chromium), in Ukrainian: the results come before the filters,
and an incident's tables fit the screen."""
from __future__ import annotations

import pytest

from tests.factories import make_facility, make_incident, publish
from tests.helpers import sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(chromium):
    return chromium.new_page(viewport=PHONE, locale="uk-UA")


def test_on_a_phone_the_first_result_shows_before_the_filters(live_server, users, phone):
    """On a phone, does the first published incident show on the first screen, with the filters folded
    away until the reader opens them?"""
    facility = make_facility(users["contributor"])
    publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])
    phone.goto(f"{live_server}/incidents?lang=uk")
    first = phone.locator(".results li").first
    assert first.bounding_box()["y"] + 40 < PHONE["height"]
    assert not phone.is_visible("form.filters")
    phone.click(".filter-panel > summary")
    assert phone.is_visible("form.filters input[name=q]")


def test_on_a_phone_an_incidents_tables_fit_the_screen(live_server, users, phone):
    """On a phone, do the people and responses of an incident (with every confidential column a lawyer
    sees, and long words) fit the screen instead of widening the page?"""
    facility = make_facility(users["contributor"])
    incident = make_incident(users["contributor"], facility, persons=[
        {"role": "victim", "pseudonym": "Заключённый С.", "legal_name": "Сергей Иванович Петров-Водкин",
         "contact": "очень-длинный-адрес-электронной-почты-без-пробелов@example.org", "sex": "male",
         "age": 34, "citizenship": "RU", "consent": "anonymised"}])
    sign_in(phone, live_server, users["lawyer"])
    phone.goto(f"{live_server}/incidents/{incident.id}?lang=uk")
    assert phone.is_visible("table.people")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_on_a_phone_the_facilities_directory_and_a_researchers_list_fit_the_screen(live_server, users, chromium):
    """In Russian on a phone, do the facilities directory (each facility a labelled block, not a table
    wider than the screen) and a researcher's list of incidents (with its long "add every incident on
    this page to the dossier" button) fit the screen?"""
    facility = make_facility(users["contributor"], names={"ru": "Исправительная колония строгого режима № 96"})
    publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])
    page = chromium.new_page(viewport=PHONE, locale="ru-RU")
    page.goto(f"{live_server}/facilities?lang=ru")
    assert page.is_visible("table.list td[data-label]")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    sign_in(page, live_server, users["researcher"])
    page.goto(f"{live_server}/incidents?lang=ru")
    assert page.locator(".results li").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
