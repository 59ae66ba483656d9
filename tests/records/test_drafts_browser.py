"""Nothing typed is lost (issue 14 point 1), walked in a real browser in Russian: a language switch
mid-form, a closed tab, leaving with unsaved changes, and a session that ends mid-form."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from incidents.models import Draft, Incident, Person
from tests.helpers import PASSWORD, sign_in, translated

pytestmark = pytest.mark.browser

LEGAL_NAME = "Петров Пётр Иванович"
TYPED = {"input[name=title_ru]": "Избиение в ОТБ-1 Саратов",
         "textarea[name=narrative_ru]": "Заключённого избили в палате.\nВрач видел следы.",
         "input[name='persons-0-pseudonym']": "Заключённый П.",
         "input[name='persons-0-legal_name']": LEGAL_NAME}


def type_case(page, facility):
    """What a contributor types at night: the facility, dates, a title, a narrative, a person."""
    page.eval_on_selector("select[name=facility]", "(s, v) => { s.value = v; s.dispatchEvent("
                          "new Event('change', { bubbles: true })); }", str(facility.id))
    page.select_option("select[name=date_precision]", "year")
    page.fill("input[name=date_start]", "2020")
    page.select_option("select[name=original_language]", "ru")
    page.check("input[name=abuse][value='030502000000']")
    page.select_option("select[name='persons-0-role']", "victim")
    for selector, text in TYPED.items():
        page.click(selector)
        page.keyboard.type(text[:3])  # typed by a person: the page has been used
        page.fill(selector, text)


def assert_case_back(page, facility):
    for selector, text in TYPED.items():
        assert page.input_value(selector) == text, selector
    assert page.input_value("select[name=facility]") == str(facility.id)
    assert page.input_value("select[name='persons-0-role']") == "victim"
    assert page.input_value("input[name=date_start]") == "2020"
    assert page.is_checked("input[name=abuse][value='030502000000']")


def new_tab(context, errors: list, dialogs: list):
    """A tab of a Russian-speaking browser (tabs of one context share its cookies and storage) that
    collects script errors, failed loads, and the prompts it is shown (each dismissed: stay)."""
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    return page


@pytest.fixture
def typed_case(users, live_server, chromium, hospital):
    """A contributor signed in, in Russian, halfway through typing a case into the new-incident form."""
    errors, dialogs = [], []
    context = chromium.new_context(locale="ru-RU")
    page = new_tab(context, errors, dialogs)
    sign_in(page, live_server, users["contributor"])
    page.goto(live_server + "/incidents/new")
    type_case(page, hospital)
    yield SimpleNamespace(context=context, page=page, errors=errors, dialogs=dialogs)
    context.close()


def wait_autosaved(page):
    page.wait_for_function("() => document.querySelector('[data-draft-status]').textContent.trim() !== ''",
                           timeout=15_000)


def browser_copies(page) -> list[str]:
    return page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('incident-draft:'))"
                         ".map(k => localStorage.getItem(k))")


def test_a_language_switch_mid_form_keeps_every_field(app, users, live_server, hospital, typed_case):
    """Switching the interface from Russian to Ukrainian in the middle of the new-incident form: does
    every field come back in the Ukrainian page, with a word saying so and no leave prompt?"""
    tab = typed_case
    page, errors, dialogs = tab.page, tab.errors, tab.dialogs
    assert page.get_attribute("html", "lang") == "ru"
    with page.expect_navigation():
        page.click("form.languages button[value=uk]")
    assert page.get_attribute("html", "lang") == "uk"
    notice = page.locator("[data-draft-restored=reload]")
    notice.wait_for(state="visible", timeout=10_000)
    assert notice.inner_text() == translated(app, "What you typed is back in the form. It is not saved yet: "
                                                  "press Save when you are ready.", "uk")
    assert_case_back(page, hospital)
    assert page.input_value("#facility-search").startswith("Областная туберкулёзная больница № 1")
    assert dialogs == [] and errors == []


def test_a_translation_typed_before_a_language_switch_comes_back_in_view(app, users, live_server, hospital,
                                                                         typed_case):
    """A response's English version typed in the Russian form (original: Russian), then the interface
    switched to Ukrainian, whose new form takes Ukrainian as the original and shows the Russian box:
    once the draft is back, Russian is the original again, so the English box, holding the text, is
    in view and open, and the Russian one hidden."""
    page = typed_case.page
    page.select_option("select[name='responses-0-kind']", "complaint")
    page.fill("input[name='responses-0-body']", "Прокуратура")
    page.locator("[data-rows=responses] details.translations summary").first.click()
    page.fill("input[name='responses-0-body_translations_en']", "Prosecutor's office")
    with page.expect_navigation():
        page.click("form.languages button[value=uk]")
    page.locator("[data-draft-restored=reload]").wait_for(state="visible", timeout=10_000)
    assert page.input_value("select[name=original_language]") == "ru"
    english = page.locator("input[name='responses-0-body_translations_en']")
    assert english.is_visible() and english.input_value() == "Prosecutor's office"
    assert not page.locator("input[name='responses-0-body_translations_ru']").is_visible()
    assert typed_case.errors == []


def test_a_closed_tab_offers_the_work_back_and_discard_removes_it(app, users, live_server, hospital, typed_case):
    """After the tab with a half-typed case is closed, does opening the form again offer the work back
    (restored whole on one click), and does discarding it leave nothing on the server or in the browser?"""
    tab = typed_case
    page, context, errors, dialogs = tab.page, tab.context, tab.errors, tab.dialogs
    wait_autosaved(page)
    page.close()

    page = new_tab(context, errors, dialogs)
    page.goto(live_server + "/incidents/new")
    offer = page.locator("[data-draft-offer]")
    offer.wait_for(state="visible", timeout=10_000)
    assert translated(app, "Restore it") in offer.inner_text()
    assert page.input_value("input[name=title_ru]") == ""
    offer.locator("[data-draft-restore]").click()
    assert_case_back(page, hospital)
    wait_autosaved(page)
    page.close()

    page = new_tab(context, errors, dialogs)
    page.goto(live_server + "/incidents/new")
    page.locator("[data-draft-offer]").wait_for(state="visible", timeout=10_000)
    page.click("[data-draft-discard]")
    page.wait_for_function("() => document.querySelector('[data-draft-status]').textContent.trim() !== ''")
    page.wait_for_timeout(500)
    assert Draft.select().count() == 0 and browser_copies(page) == []
    page.close()
    page = new_tab(context, errors, dialogs)
    page.goto(live_server + "/incidents/new")
    page.wait_for_timeout(1500)
    assert page.is_hidden("[data-draft-offer]") and page.input_value("input[name=title_ru]") == ""
    assert errors == []


def test_leaving_with_changes_asks_first_but_not_after_saving(app, users, live_server, hospital, typed_case):
    """With unsaved changes, does leaving the form ask first (and staying keep them), and does a
    successful save leave without asking, its draft gone?"""
    tab = typed_case
    page, errors, dialogs = tab.page, tab.errors, tab.dialogs
    page.click("header a[href='/incidents']")
    page.wait_for_timeout(1000)
    assert dialogs == ["beforeunload"] and page.url.endswith("/incidents/new")
    assert page.input_value("input[name=title_ru]") == TYPED["input[name=title_ru]"]

    page.click("form.record button[type=submit]")
    page.wait_for_url(lambda url: "/incidents/new" not in url, timeout=15_000)
    assert dialogs == ["beforeunload"], "no prompt after a successful save"
    incident = Incident.get()
    assert Person.get(Person.incident == incident).legal_name == LEGAL_NAME
    assert Draft.select().count() == 0 and browser_copies(page) == []
    page.goto(live_server + "/incidents/new")
    page.wait_for_timeout(1500)
    assert page.is_hidden("[data-draft-offer]")
    assert errors == []


@pytest.mark.parametrize("how", ["cookie deleted", "signed out in another tab"])
def test_a_session_ending_mid_form_loses_nothing(app, users, live_server, hospital, typed_case, how):
    """When the session ends mid-form (its cookie gone, or a sign-out in another tab), is the person
    told plainly, is what they typed afterwards kept in the browser only encrypted, and does signing in
    again (through the page's link, or through Save pressed anyway) bring them back to the same form
    with everything in it, to save?"""
    tab = typed_case
    page, context, errors, dialogs = tab.page, tab.context, tab.errors, tab.dialogs
    wait_autosaved(page)
    if how == "cookie deleted":
        page.context.clear_cookies()
    else:
        other = new_tab(context, errors, dialogs)
        other.goto(live_server + "/")
        with other.expect_navigation():
            other.click("form[action='/logout'] button")
        other.close()
    later = "Позже добавлено: свидетель С."
    page.click("textarea[name=narrative_ru]")
    page.keyboard.press("End")
    page.keyboard.type("\n" + later)
    alert = page.locator("[data-draft-signed-out]")
    alert.wait_for(state="visible", timeout=15_000)  # the next autosave finds the session ended
    assert translated(app, "Sign in again") in alert.inner_text()
    copies = browser_copies(page)
    assert len(copies) == 1 and LEGAL_NAME not in copies[0] and "Петров" not in copies[0]

    if how == "cookie deleted":
        page.click("[data-draft-sign-in]")
    else:  # Save pressed anyway: the sign-in page it lands on comes back to the form
        page.click("form.record button[type=submit]")
    page.wait_for_url(lambda url: "/login" in url and "next=" in url)
    page.fill("input[name=email]", users["contributor"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action^='/login'] button[type=submit]")
    page.wait_for_url("**/incidents/new", timeout=15_000)
    notice = page.locator("[data-draft-restored=signin]")
    notice.wait_for(state="visible", timeout=10_000)
    assert notice.inner_text() == translated(app, "You were signed out while filling in this form. What you "
                                                  "typed is back in it: check it and press Save.")
    assert page.input_value("textarea[name=narrative_ru]") == TYPED["textarea[name=narrative_ru]"] + "\n" + later
    assert page.input_value("input[name='persons-0-legal_name']") == LEGAL_NAME
    page.click("form.record button[type=submit]")
    page.wait_for_url(lambda url: "/incidents/new" not in url, timeout=15_000)
    assert Incident.get().narrative["ru"].endswith(later)
    assert Draft.select().count() == 0 and browser_copies(page) == []
    assert dialogs == [] and errors == []
