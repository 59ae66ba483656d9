"""Entering a case in a real browser, in Russian: nothing is said for the witness (point 9 of issue 14),
and a year or a month comes back as such (point 8)."""
from __future__ import annotations

import pytest

from incidents.models import EvidenceItem, Incident, Response
from tests.helpers import new_page, sign_in, translated

pytestmark = pytest.mark.browser


def fill_a_case(page, facility, language: str, title: str, narrative: str) -> None:
    """What the form requires of a case dated 2020: facility, start, a title and a narrative in
    ``language``, one method of abuse."""
    page.select_option("select[name=facility]", str(facility.id), force=True)
    page.fill("input[name=date_start]", "2020")
    page.fill(f"input[name=title_{language}]", title)
    page.fill(f"textarea[name=narrative_{language}]", narrative)
    page.check("input[name=abuse][value='030502000000']")


def test_a_new_case_says_nothing_for_the_witness_and_keeps_a_year_as_a_year(app, users, facility, live_server,
                                                                            chromium):
    """In Russian, does a new person row start with the sex unknown, does a file start with how it was
    obtained "not stated", and does a case dated "2020" come back in the edit form as "2020" with
    the year as its precision, not as 01.01.2020-31.12.2020; a response dated "2020" as "2020"; and a
    file claimed to be filmed "03.2020" shown as March 2020?"""
    errors: list = []
    page = new_page(chromium, errors)
    sign_in(page, live_server, users["contributor"])
    page.goto(f"{live_server}/incidents/new?lang=ru")

    sex = page.locator("select[name='persons-0-sex']")
    assert sex.input_value() == "unknown"
    assert sex.locator("option:checked").text_content() == translated(app, "Unknown")
    assert page.locator("select[name='persons-0-role']").input_value() == ""

    fill_a_case(page, facility, "ru", "Пытки в ОТБ-1", "Заключённого избили в больнице.")
    page.select_option("select[name='responses-0-kind']", "criminal_case")
    page.fill("input[name='responses-0-date']", "2020")
    page.click("form.record button[type=submit]")
    page.wait_for_load_state()
    assert Incident.select().exists(), page.inner_text("main")[:3000]
    incident = Incident.get()
    assert incident.date_precision == "year", page.inner_text("main")[:2000]

    acquisition = page.locator("#ev-acquisition")
    assert acquisition.input_value() == "not_stated"
    assert acquisition.locator("option:checked").text_content() == translated(app, "Not stated")
    page.click("#attach summary")
    page.fill("#ev-url", "https://example.org/video")
    page.select_option("#ev-kind", "220904051501")
    page.fill("#ev-captured", "03.2020")
    page.click("#attach button[type=submit]")
    page.wait_for_load_state()
    link = EvidenceItem.get(EvidenceItem.captured_on.is_null(False))
    assert link.captured_on == "2020-03"
    page.goto(f"{live_server}/evidence/{link.id}")
    assert "март 2020\u202fг." in page.inner_text("main")

    page.goto(f"{live_server}/incidents/{incident.id}/edit")
    assert page.input_value("input[name=date_start]") == "2020"
    assert page.input_value("input[name=date_end]") == ""
    assert page.locator("select[name=date_precision]").input_value() == "year"
    assert page.input_value("input[name='responses-0-date']") == "2020"
    assert errors == []


def test_a_responses_translations_follow_the_original_language_and_are_kept(app, users, facility, live_server,
                                                                           chromium):
    """In Ukrainian, a contributor writing in Russian: the row asks for English and Ukrainian versions,
    not Russian; switching the original to English swaps the English box for the Russian one; a
    version typed before the switch stays in view; saved, the row keeps its versions."""
    errors: list = []
    page = new_page(chromium, errors)
    sign_in(page, live_server, users["contributor"])
    page.goto(f"{live_server}/incidents/new?lang=uk")
    page.select_option("select[name=original_language]", "ru")
    page.locator("[data-rows=responses] details.translations summary").first.click()

    def box(code):
        return page.locator(f"[name='responses-0-body_translations_{code}']")
    assert [box(code).is_visible() for code in ("en", "ru", "uk")] == [True, False, True]
    page.fill("input[name='responses-0-body_translations_uk']", "Слідчий комітет")
    page.select_option("select[name=original_language]", "uk")
    assert [box(code).is_visible() for code in ("en", "ru", "uk")] == [True, True, True]  # uk holds text
    page.fill("input[name='responses-0-body_translations_uk']", "")
    page.select_option("select[name=original_language]", "en")
    assert [box(code).is_visible() for code in ("en", "ru", "uk")] == [False, True, True]
    fill_a_case(page, facility, "en", "Torture at OTB-1", "A prisoner was beaten.")
    page.select_option("select[name='responses-0-kind']", "criminal_case")
    page.fill("input[name='responses-0-body']", "Investigative Committee")
    page.fill("input[name='responses-0-body_translations_ru']", "Следственный комитет")
    page.click("form.record button[type=submit]")
    page.wait_for_load_state()
    assert Response.select().exists(), page.inner_text("main")[:3000]
    row = Response.get()
    assert (row.body, row.body_translations) == ("Investigative Committee", {"ru": "Следственный комитет"})
    assert not errors, errors
