"""Files sent from the incident form in a real browser, in Russian (issue 14, point 5): several at
once before the first save, through a connection that drops, and after the page was closed."""
from __future__ import annotations

import hashlib
import os

import pytest

from incidents.models import EvidenceItem, Incident, Upload
from tests.factories import JPEG
from tests.helpers import sign_in, translated
from tests.records.test_drafts_browser import new_tab, type_case

pytestmark = pytest.mark.browser

PARTS = 3  # the video is sent in parts of 8 MiB (static/uploads.js)


@pytest.fixture
def video(tmp_path):
    path = tmp_path / "коридор-ночь.mp4"
    path.write_bytes(os.urandom(2 * 8 * 1024 * 1024 + 12345))
    return path


def arrived(app, page, rows: int):
    """Wait until ``rows`` files say they arrived whole."""
    done = translated(app, "Arrived whole.")
    page.wait_for_function("([done, rows]) => Array.from(document.querySelectorAll('[data-upload-state]'))"
                           ".filter((e) => e.textContent === done).length === rows", arg=[done, rows], timeout=90_000)


def network_noise(errors: list) -> list:
    """Script errors, leaving out the browser's own report of the request the test cut."""
    return [error for error in errors if "ERR_CONNECTION_RESET" not in error and "Failed to load resource" not in error]


def test_two_files_go_through_a_dropped_connection_before_the_first_save(app, users, live_server, chromium,
                                                                          hospital, video, tmp_path):
    """In Russian, when a contributor picks a video and a photo on the new-incident form before ever
    saving it, and the connection drops during the video's second part, does each file show its
    progress, the video go on by itself from what arrived, a save while it is under way get held
    back with the reason, a file chosen twice get said rather than sent twice, and saving attach
    both, byte for byte?"""
    photo = tmp_path / "палата.jpg"
    photo.write_bytes(JPEG)
    errors, dialogs = [], []
    context = chromium.new_context(locale="ru-RU")
    page = new_tab(context, errors, dialogs)
    sign_in(page, live_server, users["contributor"])
    page.goto(live_server + "/incidents/new")
    type_case(page, hospital)
    patches = []

    def cut_the_second_part(route):
        if route.request.method == "PATCH":
            patches.append(route.request.headers["upload-offset"])
            if len(patches) == 2:
                route.abort("connectionreset")
                return
        route.continue_()

    page.route("**/api/v1/uploads/*", cut_the_second_part)
    page.set_input_files("#upload-files", [str(video), str(photo)])
    retrying = translated(app, "The connection was lost. Trying again in {seconds} s; nothing that arrived is lost.")
    page.wait_for_function("(text) => Array.from(document.querySelectorAll('[data-upload-state]'))"
                           ".some((e) => e.textContent === text)", arg=retrying.replace("{seconds}", "1"))
    incidents = Incident.select().count()
    page.click("form.record button[type=submit]")  # saved too soon: held back, and said why
    assert page.locator("[data-upload-wait]").is_visible() and Incident.select().count() == incidents
    arrived(app, page, 2)
    assert page.locator("[data-upload-name]").all_inner_texts() == ["коридор-ночь.mp4", "палата.jpg"]
    page.set_input_files("#upload-files", str(photo))  # chosen twice by mistake: said, not sent again
    assert page.locator("[role=alert]").last.inner_text() == "палата.jpg: " + translated(
        app, "this file is already in the list.")
    assert page.locator("[data-upload-name]").count() == 2 and Upload.select().count() == 2
    page.click("form.record button[type=submit]")
    page.wait_for_url("**/incidents/*")
    incident = Incident.select().order_by(Incident.id.desc()).get()
    hashes = {item.original_filename: item.stored_file_id
              for item in EvidenceItem.select().where(EvidenceItem.incident == incident)}
    assert hashes == {"коридор-ночь.mp4": hashlib.sha256(video.read_bytes()).hexdigest(),
                      "палата.jpg": hashlib.sha256(JPEG).hexdigest()}
    assert len([offset for offset in patches if offset != "0"]) >= PARTS - 1  # the video went on in parts
    assert network_noise(errors) == [] and dialogs == []
    context.close()


def test_a_closed_page_goes_on_from_where_it_stopped_when_the_file_is_chosen_again(app, users, live_server,
                                                                                    chromium, hospital, video):
    """In Russian, when the page is closed while a video is being sent, does the form opened again list
    it as stopped with how far it got; is another file of the same name and size sent as a file of
    its own rather than continuing it; and does choosing the same file again send only the rest,
    so that saving attaches it whole?"""
    errors, dialogs = [], []
    context = chromium.new_context(locale="ru-RU")
    page = new_tab(context, errors, dialogs)
    sign_in(page, live_server, users["contributor"])
    page.goto(live_server + "/incidents/new")
    with page.expect_response(lambda response: response.request.method == "PATCH" and response.status == 204):
        page.set_input_files("#upload-files", str(video))
    page.close(run_before_unload=False)
    length = Upload.get().length
    again = new_tab(context, errors, dialogs)
    again.goto(live_server + "/incidents/new")
    state = again.locator("[data-upload-state]").inner_text()
    assert state.startswith("Остановлено на ") and "Выберите тот же файл ещё раз" in state
    impostor = video.with_name("other") / video.name  # another file of the same name and size
    impostor.parent.mkdir()
    impostor.write_bytes(os.urandom(video.stat().st_size))
    again.set_input_files("#upload-files", str(impostor))
    arrived(app, again, 1)  # sent as a new file: the stopped one is not continued with other bytes
    assert again.locator("[data-upload-state]").first.inner_text() == state and Upload.select().count() == 2
    again.locator("[data-upload-remove]").nth(1).click()
    again.wait_for_function("() => document.querySelectorAll('[data-upload]').length === 1")
    offsets = []
    again.on("request", lambda request: offsets.append(request.headers.get("upload-offset"))
             if request.method == "PATCH" else None)
    again.set_input_files("#upload-files", str(video))
    arrived(app, again, 1)
    assert offsets and offsets[0] != "0"  # only the rest was sent
    type_case(again, hospital)
    again.click("form.record button[type=submit]")
    again.wait_for_url("**/incidents/*")
    item = EvidenceItem.select().order_by(EvidenceItem.id.desc()).get()
    assert item.stored_file_id == hashlib.sha256(video.read_bytes()).hexdigest() and item.stored_file.size == length
    assert network_noise(errors) == [] and dialogs == []
    context.close()
