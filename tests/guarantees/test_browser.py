"""The main path in a real browser (Debian's chromium through Playwright), in the Russian interface:
a contributor enters the Saratov case, a reviewer approves it, a visitor finds it by its facility."""
from __future__ import annotations

import os

import pytest

from incidents.models import Facility, Incident
from tests.helpers import ROOT, new_page, sign_in, translated

ARTIFACTS = os.path.join(ROOT, "test-artifacts")

pytestmark = pytest.mark.browser


def test_saratov_case_from_entry_to_public_in_russian(app, users, live_server, chromium):
    """In a real browser with the Russian interface, can a contributor enter a case with a new facility and
    submit it, a reviewer approve it, and a visitor find it by its facility, with no script error?"""
    os.makedirs(ARTIFACTS, exist_ok=True)
    errors = []
    contributor = new_page(chromium, errors)

    # The contributor picks Russian with the switcher, signs in and enters the case.
    contributor.goto(live_server + "/")
    contributor.click("form.languages button[value=ru]")
    assert contributor.get_attribute("html", "lang") == "ru"
    sign_in(contributor, live_server, users["contributor"])
    contributor.click(f"nav >> text={translated(app, 'New incident')}")
    # The page's script hides the new-facility fields once it has run: wait for it, not a race.
    contributor.wait_for_selector("#new-facility", state="hidden", timeout=10_000)
    # The facility picker (static/picker.js) stands for the select: its list ends with "a new one".
    contributor.click("#facility-search")
    contributor.click("#facility-options [role=option]:last-child")
    assert contributor.is_visible("#new-facility")
    contributor.fill("input[name='new_facility-name']", "ОТБ-1 УФСИН России по Саратовской области")
    contributor.select_option("select[name='new_facility-name_language']", "ru")
    contributor.select_option("select[name='new_facility-type']", "prison_hospital")
    contributor.select_option("select[name='new_facility-country']", "RU")
    contributor.wait_for_selector("select[name='new_facility-region'] option[value='RU-SAR']", state="attached")
    contributor.select_option("select[name='new_facility-region']", "RU-SAR")
    contributor.fill("input[name='new_facility-locality']", "Саратов")
    contributor.fill("textarea[name='new_facility-aliases']", "Saratov TB prison hospital\nOTB-1")
    contributor.select_option("select[name=date_precision]", "year")
    contributor.fill("input[name=date_start]", "2020")
    contributor.select_option("select[name=original_language]", "ru")
    contributor.fill("input[name=title_ru]", "Изнасилование заключённого в туберкулёзной больнице ФСИН в Саратове")
    contributor.fill("textarea[name=narrative_ru]",
                     "На видео из архива, переданного правозащитникам бывшим заключённым, "
                     "привязанного к кровати заключённого насилуют палкой, охранники закрывают ему лицо.")
    for code in ("030502000000", "031701000000", "032102000000"):
        contributor.check(f"input[name=abuse][value='{code}']")
    contributor.check("input[name=perpetrators][value='010105000000']")
    contributor.fill("input[name=victims_count]", "1")
    contributor.select_option("select[name=violation_status]", "040000000000")
    contributor.check("input[name=graphic]")
    contributor.select_option("select[name='persons-0-role']", "victim")  # asked, never assumed
    contributor.fill("input[name='persons-0-pseudonym']", "Заключённый С.")
    contributor.select_option("select[name='persons-0-consent']", "anonymised")
    contributor.click("button[data-add-row=persons]")
    contributor.select_option("select[name='persons-1-role']", "informant")
    contributor.fill("input[name='persons-1-pseudonym']", "Информатор А.")
    contributor.select_option("select[name='evidence-0-kind']", "220904051501")
    contributor.fill("input[name='evidence-0-url']", "https://example.org/archive/saratov-otb1-video")
    contributor.screenshot(path=os.path.join(ARTIFACTS, "incident-form-ru.png"), full_page=True)
    contributor.click("form.record button[type=submit]")
    contributor.wait_for_load_state()
    assert translated(app, "Draft") in contributor.inner_text(".staff-panel")
    contributor.click("button[value=submit]")
    contributor.wait_for_load_state()
    assert translated(app, "In review") in contributor.inner_text(".staff-panel")
    incident = Incident.get()
    assert [p.pseudonym for p in incident.persons] == ["Заключённый С.", "Информатор А."]

    # The reviewer sees it waiting, with the count in the menu, and approves it.
    reviewer = new_page(chromium, errors)
    sign_in(reviewer, live_server, users["reviewer"])
    assert reviewer.inner_text("a.queue .count").strip() == "1"
    reviewer.click("a.queue")
    reviewer.click("table.list a.button")
    reviewer.screenshot(path=os.path.join(ARTIFACTS, "review-ru.png"), full_page=True)
    reviewer.click("a[href*='action=approve']")  # a confirmation page first (tests/review)
    reviewer.fill("textarea[name=comment]", "Проверено по материалам архива.")
    reviewer.click("button[value=approve]")
    reviewer.wait_for_load_state()
    assert translated(app, "Published") in reviewer.inner_text(".staff-panel")

    # A visitor, not signed in, filters the public list on the facility and finds the case.
    visitor = new_page(chromium, errors)
    visitor.goto(live_server + "/incidents")
    assert visitor.get_attribute("html", "lang") == "ru"
    facility = Facility.get()
    visitor.select_option("select[name=facility]", str(facility.id))
    visitor.click("form.filters button[type=submit]")
    visitor.wait_for_load_state()
    assert f"facility={facility.id}" in visitor.url
    visitor.click("text=Изнасилование заключённого в туберкулёзной больнице ФСИН в Саратове")
    visitor.wait_for_load_state()
    body = visitor.inner_text("main")
    assert "Заключённый С." in body and "Саратовская область" in body
    assert translated(app, "Content warning: this record describes graphic violence.") in body
    visitor.screenshot(path=os.path.join(ARTIFACTS, "incident-public-ru.png"), full_page=True)
    assert errors == []


def test_video_evidence_is_blurred_revealed_and_verified(app, users, live_server, chromium, tmp_path):
    """In a real browser, is a graphic video attached to a case shown blurred and not loaded until a
    reviewer reveals it, and can the reviewer record an assessment of it?

    Attach a video to the Saratov case, see it blurred, reveal it, record a verification."""
    from tests.factories import MP4, make_facility, make_incident
    facility = make_facility(users["contributor"])
    incident = make_incident(users["contributor"], facility, title={"ru": "Саратов, ОТБ-1", "en": "Saratov, OTB-1"})
    video = tmp_path / "otb1-2020.mp4"
    video.write_bytes(MP4)
    errors = []
    contributor = new_page(chromium, errors)
    sign_in(contributor, live_server, users["contributor"])
    contributor.goto(f"{live_server}/incidents/{incident.id}?lang=ru")
    contributor.click("details#attach summary")
    contributor.set_input_files("input[name=file]", str(video))
    contributor.select_option("select[name=kind]", "220904051501")
    contributor.fill("textarea[name=description]", "Видео из архива, переданного правозащитникам")
    contributor.check("input[name=graphic]")
    contributor.fill("input[name=source]", "Бывший заключённый")
    contributor.select_option("select[name=acquisition]", "leak_handover")
    contributor.click("details#attach button[type=submit]")
    contributor.wait_for_load_state()
    assert "otb1-2020.mp4" in contributor.inner_text("#evidence + ul")

    reviewer = new_page(chromium, errors)
    sign_in(reviewer, live_server, users["reviewer"])
    reviewer.goto(f"{live_server}/incidents/{incident.id}?lang=ru")
    reviewer.click("ul.evidence >> text=otb1-2020.mp4")
    reviewer.wait_for_load_state()
    cover = reviewer.locator(".media.graphic-cover")
    assert "revealed" not in (cover.get_attribute("class") or "")
    assert reviewer.get_attribute("video", "src") is None  # nothing graphic is loaded yet
    assert "blur" in reviewer.evaluate("getComputedStyle(document.querySelector('video')).filter")
    reviewer.screenshot(path=os.path.join(ARTIFACTS, "evidence-blurred-ru.png"), full_page=True)
    reviewer.click("button[data-reveal]")
    assert "revealed" in cover.get_attribute("class")
    assert reviewer.get_attribute("video", "src").endswith("/media")
    assert reviewer.evaluate("getComputedStyle(document.querySelector('video')).filter") == "none"
    reviewer.select_option("select[name=part]", "source")
    reviewer.select_option("select[name=outcome]", "not_verifiable")
    reviewer.fill("textarea[name=method]", "Запросили подтверждение у двух редакций; подтвердить не удалось.")
    reviewer.click("form[action$='/assessments'] button[type=submit]")
    reviewer.wait_for_load_state()
    assert translated(app, "Could not be verified") in reviewer.inner_text("#verification")
    reviewer.screenshot(path=os.path.join(ARTIFACTS, "evidence-verified-ru.png"), full_page=True)
    assert errors == []


def test_lawyer_builds_a_russian_dossier_of_the_saratov_facility(app, users, live_server, chromium):
    """In a real browser, can a lawyer find a facility's incidents, collect them and download a Russian PDF
    dossier of them?

    A lawyer finds the Saratov hospital's incidents, collects them, downloads a Russian PDF."""
    import io

    import pypdf

    from tests.factories import make_facility, make_incident, publish
    facility = make_facility(users["contributor"])
    for year in ("2019", "2020"):
        incident = make_incident(users["contributor"], facility, date_start=year)
        publish(incident, users["contributor"], users["reviewer"])
    errors = []
    lawyer = new_page(chromium, errors)
    sign_in(lawyer, live_server, users["lawyer"])
    lawyer.goto(live_server + "/incidents?lang=ru")
    lawyer.fill("input[name=q]", "Саратов")
    lawyer.click("form.filters button[type=submit]")
    lawyer.wait_for_load_state()
    assert lawyer.locator("ol.incident-list > li").count() == 2
    lawyer.click("section.results > form.dossier-add button")
    lawyer.wait_for_load_state()
    lawyer.click("nav a[href='/dossier']")
    lawyer.wait_for_load_state()
    assert lawyer.locator("table.dossier-list tbody tr").count() == 2
    lawyer.select_option("select[name=lang]", "ru")
    lawyer.select_option("select[name=format]", "pdf")
    lawyer.screenshot(path=os.path.join(ARTIFACTS, "dossier-ru.png"), full_page=True)
    with lawyer.expect_download() as download_info:
        lawyer.click("form.dossier-build button[type=submit]")
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(handle.read())).pages)
    assert facility.names["ru"] in " ".join(text.split())
    assert translated(app, "What happened") in text
    assert errors == []
