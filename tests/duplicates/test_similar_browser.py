"""The Saratov case entered again, in a real browser, in the Russian interface: the form warns of
INC-000001 as the facility, dates and title are typed, and the new record is marked the same event."""
from __future__ import annotations

import pytest

from incidents.demo import load_demo
from incidents.models import DuplicateMark, Incident
from tests.helpers import new_page, sign_in, translated

pytestmark = pytest.mark.browser


def test_the_saratov_case_entered_again_is_caught_and_marked_same_event(app, users, live_server, chromium):
    """In Russian, does the incident form show INC-000001 as a likely duplicate once the facility
    (picked by its alias ОТБ-1), the year and a re-worded title are typed, without a save; and after
    saving, can the contributor mark it "same event" on the new incident's page, which then links
    to INC-000001, with no script error and nothing axe-core rates serious on either page?"""
    load_demo(echo=lambda *_: None)
    saratov = Incident.get(Incident.reference == "INC-000001")
    errors: list = []
    page = new_page(chromium, errors)
    page.goto(live_server + "/?lang=ru")
    page.click("form.languages button[value=ru]")
    sign_in(page, live_server, users["contributor"])
    page.goto(live_server + "/incidents/new")
    assert page.is_hidden("#similar-panel")

    page.locator("#facility-search").focus()
    page.keyboard.type("ОТБ-1", delay=20)
    page.locator("#facility-options [role=option]").first.wait_for(timeout=10_000)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.select_option("select[name=date_precision]", "year")
    page.fill("input[name=date_start]", "2020")
    page.select_option("select[name=original_language]", "ru")
    page.fill("input[name=title_ru]", "Пытки заключённого в туберкулёзной больнице Саратова, видео 2020 года")
    page.fill("textarea[name=narrative_ru]", "Заключённого привязали к кровати и насиловали палкой; охранники "
                                             "закрывали ему лицо. Видео из архива ФСИН.")
    panel = page.locator("#similar-panel")
    panel.wait_for(state="visible", timeout=10_000)
    assert translated(app, "This incident may already be recorded") in panel.inner_text()
    assert "INC-000001" in panel.inner_text() and translated(app, "Same facility") in panel.inner_text()
    assert _blocking(page) == []

    page.check("input[name=abuse][value='030502000000']")
    page.click("form.record button[type=submit]")
    page.wait_for_load_state()
    new = Incident.select().order_by(Incident.id.desc()).first()
    assert new.id != saratov.id and page.url.endswith(f"/incidents/{new.id}"), page.inner_text("main")[:2000]
    row = page.locator("#similar ul.likely li", has_text="INC-000001")
    row.locator("button", has_text=translated(app, "Same event")).click()
    page.wait_for_load_state()
    assert DuplicateMark.get().verdict == "same"
    assert translated(app, "Same event as") in page.inner_text("#similar") and "INC-000001" in page.inner_text("#similar")
    assert _blocking(page) == []  # the new incident's page, with its same-event link
    assert errors == []


def _blocking(page) -> list[str]:
    """What axe-core rates serious or critical on the page as it is now (the panel shown)."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    return [v["id"] for v in axe.Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
