"""The facility picker in a real browser, in the Ukrainian interface: typed in Latin, picked by
keyboard, saved; and a new facility that is an existing one's alias caught before it is created."""
from __future__ import annotations

import pytest

from incidents.models import Facility, Incident
from tests.factories import make_facility
from tests.helpers import sign_in, translated

pytestmark = pytest.mark.browser


def test_a_contributor_types_picks_by_keyboard_and_saves_in_ukrainian(app, users, live_server, chromium):
    """In the Ukrainian interface, does typing a Latin spelling of a facility's Russian alias suggest
    it with its region, can the arrow keys and Enter pick it (Escape closing the list), and does the
    incident save with that facility, with no script error?"""
    hospital = make_facility(users["contributor"], names={"ru": "Областная туберкулёзная больница № 1"},
                             aliases=["ОТБ-1"], locality="Саратов", region="RU-SAR")
    make_facility(users["contributor"], names={"ru": "СИЗО-2"}, aliases=[], locality="Москва", region="RU-MOW")
    errors: list = []
    page = chromium.new_page(locale="uk-UA")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(live_server + "/")
    page.click("form.languages button[value=uk]")
    sign_in(page, live_server, users["contributor"])
    page.goto(live_server + "/incidents/new")

    box = page.locator("#facility-search")
    assert box.get_attribute("role") == "combobox" and page.is_hidden("select[name=facility]")
    box.focus()
    page.keyboard.type("otb", delay=30)
    option = page.locator("#facility-options [role=option]").first
    option.wait_for(timeout=10_000)
    assert "Областная туберкулёзная больница № 1" in option.inner_text()
    assert "Саратовська область" in option.inner_text()
    assert "СИЗО-2" not in page.inner_text("#facility-options")
    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    page.keyboard.press("ArrowDown")  # opens the list again
    option.wait_for(timeout=10_000)
    page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == option.get_attribute("id")
    assert option.get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")
    assert page.eval_on_selector("select[name=facility]", "s => s.value") == str(hospital.id)
    assert box.get_attribute("aria-expanded") == "false"
    assert box.input_value().startswith("Областная туберкулёзная больница № 1")
    assert page.is_hidden("#new-facility")

    page.select_option("select[name=date_precision]", "year")
    page.fill("input[name=date_start]", "2020")
    page.select_option("select[name=original_language]", "uk")
    page.fill("input[name=title_uk]", "Катування в туберкульозній лікарні")
    page.fill("textarea[name=narrative_uk]", "В'язня прив'язали до ліжка.")
    page.check("input[name=abuse][value='030502000000']")
    page.click("form.record button[type=submit]")
    page.wait_for_load_state()
    assert Incident.select().exists(), page.inner_text("main")[:2000]
    assert Incident.get().facility_id == hospital.id
    assert errors == []


def test_a_new_facility_that_is_an_alias_is_caught_in_ukrainian(app, users, live_server, chromium):
    """In Ukrainian, when a contributor adds «ОТБ-1 Саратов» as a new facility with the case, does the
    form come back naming the facility already kept under the alias ОТБ-1, with everything typed still
    there, and does "use this facility" save the case there without a second facility?"""
    hospital = make_facility(users["contributor"], names={"ru": "Областная туберкулёзная больница № 1"},
                             aliases=["ОТБ-1"], locality="Саратов", region="RU-SAR")
    errors: list = []
    page = chromium.new_page(locale="uk-UA")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server, users["contributor"])
    page.goto(live_server + "/incidents/new?lang=uk")
    page.click("#facility-search")
    page.click("#facility-options [role=option]:last-child")
    page.fill("input[name='new_facility-name']", "ОТБ-1 Саратов")
    page.select_option("select[name='new_facility-name_language']", "ru")
    page.select_option("select[name='new_facility-type']", "prison_hospital")
    page.select_option("select[name='new_facility-country']", "RU")
    page.fill("input[name=date_start]", "03.2020")
    page.fill("input[name=title_uk]", "Катування в лікарні")
    page.fill("textarea[name=narrative_uk]", "В'язня прив'язали до ліжка.")
    page.check("input[name=abuse][value='030502000000']")
    page.click("form.record button[type=submit]")
    page.wait_for_load_state()

    warning = page.locator(".duplicates")
    assert warning.is_visible() and "ОТБ-1" in warning.inner_text()
    assert translated(app, "Use this facility", "uk") in warning.inner_text()
    assert Facility.select().count() == 1 and not Incident.select().exists()
    assert page.input_value("input[name=title_uk]") == "Катування в лікарні"
    assert page.input_value("input[name=date_start]") == "03.2020"
    page.click(f"button[name=use_facility][value='{hospital.id}']")
    page.wait_for_load_state()
    assert Facility.select().count() == 1
    assert Incident.get().facility_id == hospital.id and Incident.get().date_precision == "month"
    assert errors == []
