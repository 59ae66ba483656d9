"""The review in a real browser, in Russian: the reviewer opens the queue, reads what changed in a
pending edit, and confirms the approval on its own page."""
from __future__ import annotations

import pytest

from incidents.models import Incident, PublishedIncident
from incidents.records import service
from incidents.revisions import snapshot
from tests.factories import MAX_TEXT, make_incident, move, publish
from tests.helpers import new_page, sign_in, translated

pytestmark = pytest.mark.browser


def test_reviewer_sees_the_changes_and_confirms_the_approval_in_russian(app, users, facility, live_server,
                                                                         chromium):
    """In Russian, does a reviewer find a pending edit in the queue, see the victim's sex change on one row
    and the changed words of the narrative marked, and publish only after confirming, with no script error?"""
    incident = make_incident(users["contributor"], facility)
    publish(incident, users["contributor"], users["reviewer"])
    data = snapshot(Incident.get_by_id(incident.id))
    data["persons"][0]["sex"] = "unknown"
    data["narrative"]["ru"] = "Заключённого привязали к кровати ремнями."
    service.update_incident(incident.id, data, users["contributor"],
                            version=Incident.get_by_id(incident.id).version, max_text=MAX_TEXT)
    move(incident.id, users["contributor"], "submit")

    errors = []
    reviewer = new_page(chromium, errors)
    sign_in(reviewer, live_server, users["reviewer2"])
    reviewer.goto(live_server + "/review?lang=ru")
    reviewer.click("table.list a.button")
    reviewer.wait_for_load_state()
    rows = [" ".join(text.split()) for text in reviewer.locator("table.diff tr").all_inner_texts()]
    assert " ".join([translated(app, "Sex"), translated(app, "Male"), translated(app, "Unknown")]) in rows
    assert reviewer.locator("table.diff ins").all_inner_texts() == [" ремнями"]
    assert reviewer.locator("table.diff del").count() == 0

    reviewer.click("a[href*='action=approve']")
    reviewer.wait_for_load_state()
    assert reviewer.locator("h1").inner_text().startswith(translated(app, "Approve and publish").split()[0])
    summary = reviewer.inner_text(".public-summary")
    assert "ремнями" in summary and "Иванов" not in summary and "+7 900" not in summary
    # The safe way back has the focus order and the look of the main button.
    assert reviewer.locator(".buttons > *").first.get_attribute("class") == "button"
    assert PublishedIncident.get_by_id(incident.id).narrative["ru"] == "Заключённого привязали к кровати."
    reviewer.fill("textarea[name=comment]", "Проверено.")
    reviewer.click("button[value=approve]")
    reviewer.wait_for_load_state()
    assert translated(app, "Published") in reviewer.inner_text(".staff-panel")
    assert PublishedIncident.get_by_id(incident.id).narrative["ru"] == "Заключённого привязали к кровати ремнями."
    assert errors == []
