"""The archive page in a real browser, in Ukrainian, on a phone and a desktop (issue 15, point 3): a
reviewer sees an ingest the worker is still preserving and what the last check of the store found."""
from __future__ import annotations

import pytest

from incidents.evidence.store import EvidenceStore
from incidents.jobs.service import submit
from tests.evidence.test_background_ingest import archive
from tests.factories import attach_file
from tests.helpers import hold_jobs, run_command, sign_in, translated

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_a_reviewer_sees_the_ingest_in_the_worker_and_a_damaged_store_in_ukrainian(
        app, users, incident, tmp_path, live_server, chromium, width):
    """In Ukrainian, does the archive page show the batch being preserved by the worker and an alert
    naming how many stored originals changed, all within the screen's width, with no script error?"""
    item = attach_file(app, incident, users["contributor"], b"%PDF-1.4 a medical report\n", "report.pdf")
    with open(EvidenceStore.from_settings(app.config["SETTINGS"]).path_for(item.stored_file_id), "r+b") as original:
        original.write(b"X")  # one byte rots on disk
    drain = hold_jobs(app)
    with app.app_context():
        submit("store_check", {})
    drain()
    result = run_command(app, "ingest", str(archive(tmp_path)), "--user", users["reviewer"].email, "--in-worker")
    assert result.exit_code == 0, result.output  # handed over; the worker has not taken it yet

    errors: list = []
    page = chromium.new_page(locale="uk-UA", viewport={"width": width, "height": 800})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server, users["reviewer"])
    page.goto(f"{live_server}/archive?lang=uk")
    alert = page.locator("[role=alert]")
    assert alert.is_visible()
    assert "змінено 1, зникло 0" in alert.inner_text()
    assert translated(app, "Being preserved by the job worker", "uk") in page.inner_text("main table")
    page.screenshot(path=str(tmp_path / f"archive-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    drain()  # the worker preserves the archive; its list of files is as wide a table
    page.click("main table a")
    page.wait_for_load_state()
    assert "/archive/" in page.url and "clip-0.bin" in page.inner_text("main table")
    page.screenshot(path=str(tmp_path / f"batch-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert errors == []
