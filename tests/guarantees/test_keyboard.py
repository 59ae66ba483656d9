"""The incident form by keyboard (Debian's chromium), in Russian: the first error gets the focus, a
focused field is never under the sticky bar of actions, and a skip link passes the repeated rows."""
from __future__ import annotations

import pytest

from tests.helpers import sign_in

pytestmark = pytest.mark.browser

SCREEN = {"width": 1280, "height": 720}


@pytest.fixture
def page(live_server, users, chromium):
    tab = chromium.new_page(viewport=SCREEN, locale="ru-RU")
    sign_in(tab, live_server, users["contributor"])
    tab.goto(f"{live_server}/incidents/new?lang=ru")
    return tab


def hidden_under_the_bar(page, selector: str) -> bool:
    field = page.locator(selector).bounding_box()
    bar = page.locator(".form-actions").bounding_box()
    return field["y"] + field["height"] > bar["y"]


def test_the_first_error_of_a_refused_form_has_the_focus_and_is_not_under_the_bar(facility, page):
    """When the incident form comes back refused, does the keyboard's focus land on the first field to
    mend, in sight rather than under the bar of actions?"""
    page.locator("#facility-search").focus()  # the picker stands for the facility select
    page.keyboard.type(facility.names["en"][:6], delay=30)
    page.locator("#facility-options [role=option]").first.wait_for(timeout=10_000)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.eval_on_selector("select[name=facility]", "s => s.value") == str(facility.id)
    page.select_option("select[name=date_precision]", "year")
    page.fill("input[name=date_start]", "2020")
    page.fill("input[name=title_ru]", "Избиение в ИК-1")
    page.fill("textarea[name=narrative_ru]", "Заключённого избили сотрудники колонии.")
    page.check("input[name=abuse][value='030502000000']")
    page.fill("input[name=victims_count]", "много")
    page.click(".form-actions button[type=submit]")
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.name") == "victims_count", page.evaluate("document.activeElement.outerHTML.slice(0, 300)")
    assert not hidden_under_the_bar(page, "input[name=victims_count]")


def test_tabbing_never_leaves_the_focus_under_the_bar_and_a_skip_link_passes_the_rows(page):
    """Going through the form by Tab, is every focused field in sight above the bar of actions, and
    does one link take a keyboard user past the people, responses and links to Save?"""
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.closest('.form-actions') ? null : "
                                "document.activeElement.getBoundingClientRect().bottom")
        bar_top = page.locator(".form-actions").bounding_box()["y"]
        assert focused is None or focused <= bar_top + 1
    page.focus("a.skip[href='#form-actions']")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
