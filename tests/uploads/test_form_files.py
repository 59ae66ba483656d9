"""Files sent ahead from the incident form (issue 14, point 5): sent before the first save, attached by
saving it, never lost by a refused save or a reload, and never half-saved."""
from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlsplit

from incidents.models import EvidenceItem, Incident, Upload
from tests.factories import JPEG, item_where
from tests.helpers import post_forms, selected
from tests.records.test_responses import form_for

TUS = {"Tus-Resumable": "1.0.0"}
PHOTO = "160815201501"


def send(browser, content: bytes, filename: str, form: str = "new", whole: bool = True) -> str:
    """Send a file as the form's script does (session cookie and CSRF token); its token."""
    token = browser.csrf_token("/incidents/new")
    metadata = f"filename {base64.b64encode(filename.encode()).decode()},form {base64.b64encode(form.encode()).decode()}"
    created = browser.client.post("/api/v1/uploads", headers={**TUS, "X-CSRFToken": token, "Upload-Metadata": metadata,
                                                              "Upload-Length": str(len(content))})
    path = urlsplit(created.headers["Location"]).path
    part = content if whole else content[: len(content) // 2]
    sent = browser.client.patch(path, data=part, headers={**TUS, "X-CSRFToken": token, "Upload-Offset": "0",
                                                           "Content-Type": "application/offset+octet-stream"})
    assert sent.status_code == 204
    return path.rsplit("/", 1)[1]


def with_files(data: dict, *rows: tuple[str, dict]) -> dict:
    data = dict(data, uploads=[token for token, _fields in rows])
    for token, fields in rows:
        data.update({f"upload-{token}-{name}": value for name, value in fields.items()})
    return data


def test_files_sent_before_the_first_save_are_attached_by_it(as_role, facility):
    """Are two files sent from the new-incident form, before it was ever saved, attached to the
    incident its save creates, each with the kind, description and flags given beside it, named as
    the person's computer named them, and no longer offered on the next new form?"""
    contributor = as_role("contributor")
    first = send(contributor, JPEG, "коридор.jpg")
    second = send(contributor, JPEG + b"2", "палата 3.jpg")
    page = contributor.get("/incidents/new?lang=ru").get_data(as_text=True)
    assert "коридор.jpg" in page and "палата 3.jpg" in page and "Получен целиком." in page
    assert selected(page, f"upload-{first}-kind") == [PHOTO]  # offered back with the kind its bytes show
    response = contributor.post("/incidents/new", data=with_files(
        form_for(facility),
        (first, {"kind": PHOTO, "description": "Коридор ОТБ-1", "graphic": "true"}),
        (second, {"kind": PHOTO, "confidential": "true"})))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    incident = Incident.select().order_by(Incident.id.desc()).get()
    items = list(EvidenceItem.select().where(EvidenceItem.incident == incident).order_by(EvidenceItem.position))
    assert [(i.original_filename, i.description, i.graphic, i.confidential) for i in items] == [
        ("коридор.jpg", "Коридор ОТБ-1", True, False), ("палата 3.jpg", "", False, True)]
    assert items[0].stored_file_id == hashlib.sha256(JPEG).hexdigest()
    assert "коридор.jpg" not in contributor.get("/incidents/new").get_data(as_text=True)
    assert Upload.select().where(Upload.item.is_null()).count() == 0


def test_a_refused_save_attaches_nothing_and_keeps_every_file_and_word(as_role, facility):
    """When a save is refused (no title), is no incident created and no file attached, and does the
    form come back with the file still listed, its kind and description as typed?"""
    contributor = as_role("contributor")
    token = send(contributor, JPEG, "камера.jpg")
    incidents = Incident.select().count()
    response = contributor.post("/incidents/new?lang=ru", data=with_files(
        form_for(facility, title_ru=""), (token, {"kind": PHOTO, "description": "Вид из камеры"})))
    assert response.status_code == 422
    assert Incident.select().count() == incidents
    assert "камера.jpg" not in [item.original_filename for item in EvidenceItem.select()]
    page = response.get_data(as_text=True)
    form = next(fields for fields in post_forms(page) if ("uploads", token) in fields)
    assert (f"upload-{token}-description", "Вид из камеры") in form and (f"upload-{token}-kind", PHOTO) in form


def test_a_file_not_arrived_or_undescribed_stops_the_whole_save(as_role, facility):
    """Is a save refused whole, with the reason beside the file, when a listed file has not arrived
    whole, has no kind, or is someone else's upload: no incident, no item, the uploads untouched?"""
    contributor = as_role("contributor")
    half = send(contributor, JPEG, "половина.jpg", whole=False)
    no_kind = send(contributor, JPEG + b"k", "без-вида.jpg")
    someone_elses = send(as_role("reviewer"), JPEG + b"r", "чужой.jpg")
    incidents = Incident.select().count()
    response = contributor.post("/incidents/new?lang=ru", data=with_files(
        form_for(facility), (half, {"kind": PHOTO}), (no_kind, {}), (someone_elses, {"kind": PHOTO})))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="upload-{half}-file-error"' in page and "ещё не загрузился" in page
    assert f'id="upload-{no_kind}-kind-error"' in page
    assert "Такой загрузки нет, или её срок истёк." in page and "чужой.jpg" not in page
    assert Incident.select().count() == incidents and Upload.select().where(Upload.item.is_null()).count() == 3


def test_the_edit_form_attaches_its_own_files_and_offers_only_them(as_role, incident):
    """Does a file sent from an incident's edit form come back on that form only (not on the new
    form, not to another person), and does saving the edit attach it?"""
    contributor = as_role("contributor")
    token = send(contributor, JPEG, "допрос.jpg", form=str(incident.id))
    assert "допрос.jpg" in contributor.get(f"/incidents/{incident.id}/edit").get_data(as_text=True)
    assert "допрос.jpg" not in contributor.get("/incidents/new").get_data(as_text=True)
    assert "допрос.jpg" not in as_role("reviewer").get(f"/incidents/{incident.id}/edit").get_data(as_text=True)
    page = contributor.get(f"/incidents/{incident.id}/edit").get_data(as_text=True)
    form = next(fields for fields in post_forms(page) if ("uploads", token) in fields)
    data = {}
    for name, value in form:
        data.setdefault(name, []).append(value)
    data[f"upload-{token}-kind"] = [PHOTO]
    response = contributor.post(f"/incidents/{incident.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert item_where(original_filename="допрос.jpg").incident_id == incident.id
