"""Resumable uploads over tus 1.0 (issue 14, point 5), sent by tuspy, the protocol's own Python
client, and by hand where a test needs a request no well-behaved client sends."""
from __future__ import annotations

import base64
import datetime
import hashlib
import io
import os
import socket
from urllib.parse import urlsplit

import pytest
import requests
from tusclient import client as tus

from incidents.models import CustodyEvent, EvidenceItem, StoredFile, Upload
from incidents.uploads import service
from tests.factories import JPEG

TUS = {"Tus-Resumable": "1.0.0"}
VIDEO = JPEG + os.urandom(300_000)  # a file several parts long; its bytes sniff as an image


def uploads_dir(app) -> str:
    return os.path.join(app.config["SETTINGS"].EVIDENCE_DIR, "uploads")


def begin(client, headers, length: int, **metadata) -> str:
    """A new upload's path, as the Location the server gave."""
    encoded = ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in metadata.items())
    response = client.post("/api/v1/uploads", headers={**headers, **TUS, "Upload-Length": str(length),
                                                       "Upload-Metadata": encoded})
    assert response.status_code == 201, response.get_data(as_text=True)
    return urlsplit(response.headers["Location"]).path


def patch(client, headers, path: str, offset: int, body: bytes, **extra):
    return client.patch(path, data=body, headers={**headers, **TUS, "Upload-Offset": str(offset),
                                                   "Content-Type": "application/offset+octet-stream", **extra})


def test_tuspy_sends_a_file_in_parts_and_the_finished_upload_is_attached(app, users, incident, bearer, live_server):
    """Does tuspy, the tus client, send a file in 64 KiB parts with a contributor's token, and does
    attaching the finished upload by its URL give an evidence item as a whole-file upload does: the
    same SHA-256 and size, the name kept, custody received and hashed, and the upload spent?"""
    headers = bearer("contributor")
    uploader = tus.TusClient(f"{live_server}/api/v1/uploads", headers=headers).uploader(
        file_stream=io.BytesIO(VIDEO), chunk_size=64 * 1024, metadata={"filename": "камера-2.mp4"})
    uploader.upload()
    assert uploader.url.startswith(f"{live_server}/api/v1/uploads/")

    attached = requests.post(f"{live_server}/api/v1/incidents/{incident.id}/evidence", headers=headers,
                             json={"upload": uploader.url, "kind": "160815201501", "description": "Коридор"},
                             timeout=30)
    assert attached.status_code == 201, attached.text
    body = attached.json()
    assert body["sha256"] == hashlib.sha256(VIDEO).hexdigest() and body["size"] == len(VIDEO)
    assert body["filename"] == "камера-2.mp4" and body["media_type"] == "image/jpeg"
    item = EvidenceItem.get_by_id(body["id"])
    assert item.incident_id == incident.id and item.description == "Коридор"
    assert [event.action for event in CustodyEvent.select().where(CustodyEvent.item == item.id)
            .order_by(CustodyEvent.id)] == ["received", "hashed"]
    assert os.listdir(uploads_dir(app)) == []  # moved into the store, no second copy left behind
    again = requests.post(f"{live_server}/api/v1/incidents/{incident.id}/evidence", headers=headers,
                          json={"upload": uploader.url, "kind": "160815201501"}, timeout=30)
    assert again.status_code == 404  # spent: a retry cannot attach it twice


def test_a_cut_connection_keeps_what_arrived_and_the_upload_goes_on_from_there(app, users, incident, bearer,
                                                                                live_server):
    """When the connection is cut halfway through a part, does HEAD report the bytes that did arrive,
    does the next part go on from there, and is the attached file exactly the one sent?"""
    headers = bearer("contributor")

    created = requests.post(f"{live_server}/api/v1/uploads", headers={**headers, **TUS,
                                                                       "Upload-Length": str(len(VIDEO))}, timeout=30)
    url = created.headers["Location"]
    path, half = urlsplit(url).path, 100_000
    with socket.create_connection(("127.0.0.1", urlsplit(live_server).port)) as raw:
        raw.sendall((f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
                     f"Authorization: {headers['Authorization']}\r\nUpload-Offset: 0\r\n"
                     f"Content-Type: application/offset+octet-stream\r\nContent-Length: {len(VIDEO)}\r\n\r\n")
                    .encode() + VIDEO[:half])
        raw.shutdown(socket.SHUT_WR)  # the line drops: the rest never comes
        raw.recv(4096)
    offset = int(requests.head(url, headers={**headers, **TUS}, timeout=30).headers["Upload-Offset"])
    assert offset == half
    rest = requests.patch(url, data=VIDEO[offset:], timeout=30, headers={
        **headers, **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
    assert rest.status_code == 204 and rest.headers["Upload-Offset"] == str(len(VIDEO))
    attached = requests.post(f"{live_server}/api/v1/incidents/{incident.id}/evidence", headers=headers,
                             json={"upload": url, "kind": "160815201501"}, timeout=30)
    assert attached.json()["sha256"] == hashlib.sha256(VIDEO).hexdigest()


def test_the_protocol_is_spoken_as_tus_says(app, users, client, bearer):
    """Are the protocol's refusals the ones tus 1.0 names: 412 without its version (saying which it
    speaks), 415 for a part of another type, 409 for a part at the wrong offset, 413 for a file over
    the limit or a part past the declared length (nothing of it kept), and does OPTIONS say what the
    server speaks?"""
    headers = bearer("contributor")
    options = client.options("/api/v1/uploads", headers=headers)
    assert options.headers["Tus-Version"] == "1.0.0"
    assert set(options.headers["Tus-Extension"].split(",")) == {"creation", "expiration", "termination"}
    assert int(options.headers["Tus-Max-Size"]) == app.config["SETTINGS"].EVIDENCE_MAX_SIZE
    unversioned = client.post("/api/v1/uploads", headers={**headers, "Upload-Length": "10"})
    assert unversioned.status_code == 412 and unversioned.headers["Tus-Version"] == "1.0.0"
    too_big = client.post("/api/v1/uploads", headers={
        **headers, **TUS, "Upload-Length": str(app.config["SETTINGS"].EVIDENCE_MAX_SIZE + 1)})
    assert too_big.status_code == 413 and Upload.select().count() == 0
    for length in ("", "-5", "0", "1e9", "١٢"):
        refused = client.post("/api/v1/uploads", headers={**headers, **TUS, "Upload-Length": length})
        assert refused.status_code in (400, 422), length
    assert Upload.select().count() == 0
    path = begin(client, headers, 10, filename="a.txt")
    assert client.patch(path, data=b"abc", headers={**headers, **TUS, "Upload-Offset": "0",
                                                     "Content-Type": "text/plain"}).status_code == 415
    assert patch(client, headers, path, 0, b"abcd").headers["Upload-Offset"] == "4"
    wrong = patch(client, headers, path, 2, b"xyz")
    assert wrong.status_code == 409 and wrong.json["error"]["code"] == "conflict"
    assert patch(client, headers, path, 4, b"0123456789").status_code == 413
    head = client.head(path, headers={**headers, **TUS})
    assert (head.headers["Upload-Offset"], head.headers["Upload-Length"]) == ("4", "10")
    assert head.headers["Tus-Resumable"] == "1.0.0" and head.headers["Cache-Control"] == "no-store"
    assert client.head(path, headers=headers).status_code == 412


def test_only_the_uploads_owner_reaches_it(app, users, client, bearer, incident):
    """Is an upload a 404 to everyone but the person who began it, reviewers and admins included, for
    reading its offset, writing, cancelling and attaching; and may readers who enter no incidents
    (lawyer, researcher) or nobody at all not begin one?"""
    mine = bearer("contributor")
    items = EvidenceItem.select().count()
    path = begin(client, mine, 3)
    patch(client, mine, path, 0, b"abc")
    for role in ("reviewer", "admin"):
        other = bearer(role)
        assert client.head(path, headers={**other, **TUS}).status_code == 404
        assert patch(client, other, path, 3, b"").status_code == 404
        assert client.delete(path, headers={**other, **TUS}).status_code == 404
        attach = client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=other,
                             json={"upload": path, "kind": "160815201501"})
        assert attach.status_code == 404
    for role in ("lawyer", "researcher"):
        assert client.post("/api/v1/uploads", headers={**bearer(role), **TUS, "Upload-Length": "3"}).status_code == 403
    assert client.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "3"}).status_code == 401
    assert client.head(path, headers=TUS).status_code == 401
    assert EvidenceItem.select().count() == items and Upload.select().count() == 1


def test_a_page_writes_with_its_session_only_with_its_csrf_token(app, users, as_role):
    """Does the incident form's script, signed in by cookie, begin and fill an upload only when it
    sends the page's CSRF token; is a cookie alone, as a forged cross-site request would carry,
    refused?"""
    contributor = as_role("contributor")
    forged = contributor.client.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "3"})
    assert forged.status_code == 401 and Upload.select().count() == 0
    wrong = contributor.client.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "3", "X-CSRFToken": "x"})
    assert wrong.status_code == 401
    token = contributor.csrf_token("/incidents/new")
    created = contributor.client.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "3", "X-CSRFToken": token})
    assert created.status_code == 201
    path = urlsplit(created.headers["Location"]).path
    assert patch(contributor.client, {}, path, 0, b"abc").status_code == 401  # no token: no write
    assert patch(contributor.client, {"X-CSRFToken": token}, path, 0, b"abc").status_code == 204
    # Only the upload endpoints take a cookie write: attaching by the API still needs a bearer token.
    assert contributor.client.post("/api/v1/incidents/1/evidence", json={"upload": path},
                                   headers={"X-CSRFToken": token}).status_code == 401


def test_cancelled_and_expired_uploads_leave_no_bytes(app, users, client, bearer):
    """Does cancelling delete an upload's bytes at once, and do uploads left past their time go, bytes
    and all, when the next one begins, while an upload still within its time stays?"""
    headers = bearer("contributor")
    cancelled = begin(client, headers, 3)
    patch(client, headers, cancelled, 0, b"abc")
    assert client.delete(cancelled, headers={**headers, **TUS}).status_code == 204
    assert os.listdir(uploads_dir(app)) == [] and Upload.select().count() == 0
    old = begin(client, headers, 3)
    patch(client, headers, old, 0, b"ab")
    Upload.update(expires_at=datetime.datetime.utcnow() - datetime.timedelta(minutes=1)).execute()
    assert client.head(old, headers={**headers, **TUS}).status_code == 404
    fresh = begin(client, headers, 3)
    assert [upload.token for upload in Upload.select()] == [fresh.rsplit("/", 1)[1]]
    assert os.listdir(uploads_dir(app)) == [fresh.rsplit("/", 1)[1]]


def test_unfinished_uploads_are_limited_per_person(app, users, client, bearer, monkeypatch):
    """Once a person holds as many unfinished uploads as allowed, is the next one refused (429) with
    what to do, while someone else may still begin theirs?"""
    monkeypatch.setattr(service, "MAX_OPEN", 2)
    headers = bearer("contributor")
    begin(client, headers, 5)
    begin(client, headers, 5)
    refused = client.post("/api/v1/uploads", headers={**headers, **TUS, "Upload-Length": "5"})
    assert refused.status_code == 429 and "2" in refused.json["error"]["message"]
    begin(client, bearer("reviewer"), 5)


def test_attaching_needs_the_whole_file_and_a_good_description(app, users, client, bearer, incident):
    """Is attaching an upload refused while bytes are missing (409), or when its description breaks a
    rule (422), each time leaving the upload as it was, to be finished or described and attached?"""
    headers = bearer("contributor")
    path = begin(client, headers, len(JPEG), filename="photo.jpg")
    patch(client, headers, path, 0, JPEG[:100])
    items = EvidenceItem.select().count()
    url = f"/api/v1/incidents/{incident.id}/evidence"
    assert client.post(url, headers=headers, json={"upload": path, "kind": "160815201501"}).status_code == 409
    patch(client, headers, path, 100, JPEG[100:])
    bad = client.post(url, headers=headers, json={"upload": path, "kind": "no-such-kind"})
    assert bad.status_code == 422 and "kind" in bad.json["error"]["fields"]
    assert EvidenceItem.select().count() == items and client.head(path, headers={**headers, **TUS}).status_code == 200
    good = client.post(url, headers=headers, json={"upload": path, "kind": "160815201501"})
    assert good.status_code == 201 and StoredFile.select().count() == 1
    for nonsense in (None, 5, "", "/api/v1/uploads/", "/etc/passwd", "https://elsewhere.example/uploads/x" * 50):
        answer = client.post(url, headers=headers, json={"upload": nonsense, "kind": "160815201501"})
        assert answer.status_code == 404, nonsense


@pytest.mark.parametrize("metadata", ["filename !!!", "filename caf\u00e9", "form " + base64.b64encode(b"other").decode(),
                                      "head " + base64.b64encode(b"not a hash").decode(), "filename " + base64.b64encode(b"\xff\xfe").decode()])
def test_unreadable_metadata_is_refused(users, client, bearer, metadata):
    """Is Upload-Metadata whose value is not base64 of UTF-8 text, or names a form or a first-bytes
    hash of no known shape, refused, with nothing begun?"""
    response = client.post("/api/v1/uploads", headers={**bearer("contributor"), **TUS, "Upload-Length": "3",
                                                       "Upload-Metadata": metadata})
    assert response.status_code in (400, 422) and Upload.select().count() == 0


def test_parts_are_hashed_as_they_arrive_on_whichever_server_takes_them(app, users, incident, client, bearer):
    """Is an upload hashed as its parts arrive, also when a part goes to a server that did not see the
    ones before (the bytes on disk hashed first), so that the hash is known when the last byte is in
    and the attached item carries the file's true SHA-256?"""
    headers = bearer("contributor")
    path = begin(client, headers, len(VIDEO))
    third = len(VIDEO) // 3
    patch(client, headers, path, 0, VIDEO[:third])
    assert Upload.get().sha256 == ""
    service._RUNNING.clear()  # the next part reaches another server, or this one restarted
    patch(client, headers, path, third, VIDEO[third:2 * third])
    patch(client, headers, path, 2 * third, VIDEO[2 * third:])
    assert Upload.get().sha256 == hashlib.sha256(VIDEO).hexdigest()
    attached = client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=headers,
                           json={"upload": path, "kind": "160815201501"})
    assert attached.json["sha256"] == hashlib.sha256(VIDEO).hexdigest() and attached.json["size"] == len(VIDEO)
