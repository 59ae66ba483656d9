"""Preserved evidence: hashes, dedupe, hostile files, custody, access, range requests, verify."""
from __future__ import annotations

import hashlib
import io
import os
import stat

import pytest

from incidents.models import AuditEvent, CustodyEvent, EvidenceItem, Incident, StoredFile
from tests.factories import JPEG, MP4, attach_file, make_facility, make_incident, publish
from tests.helpers import bearer_headers


@pytest.fixture
def evidence_dir(app):
    return app.config["SETTINGS"].EVIDENCE_DIR


def upload(client, incident, headers, content=JPEG, filename="photo.jpg", **fields):
    data = {"kind": "160815201501", **fields, "file": (io.BytesIO(content), filename)}
    return client.post(f"/api/v1/incidents/{incident.id}/evidence", data=data, headers=headers,
                       content_type="multipart/form-data")


def file_items():
    """Evidence items that are preserved files (the factory's incident has a link item too)."""
    return EvidenceItem.select().where(EvidenceItem.stored_file.is_null(False)).order_by(EvidenceItem.id)


def files_under(folder):
    return sorted(os.path.join(root, name) for root, _dirs, names in os.walk(folder) for name in names)


def test_upload_is_hashed_stored_once_read_only_and_logged(client, bearer, incident, evidence_dir):
    """Is an uploaded file hashed, stored once however often it is sent, kept read-only with nothing
    left in the spool, and logged in its chain of custody?"""
    content = os.urandom(300_000)
    first = upload(client, incident, bearer("contributor"), content, "video.mp4")
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest() and body["size"] == len(content)
    second = upload(client, incident, bearer("contributor"), content, "copy of video.mp4")
    assert second.status_code == 201 and second.get_json()["sha256"] == body["sha256"]
    assert second.get_json()["id"] != body["id"]
    assert StoredFile.select().count() == 1 and file_items().count() == 2
    originals = files_under(os.path.join(evidence_dir, "originals"))
    assert len(originals) == 1 and originals[0].endswith(body["sha256"])
    with open(originals[0], "rb") as handle:
        assert handle.read() == content
    assert not stat.S_IMODE(os.stat(originals[0]).st_mode) & 0o222  # read-only
    assert files_under(os.path.join(evidence_dir, "spool")) == []
    actions = [e.action for e in CustodyEvent.select().where(CustodyEvent.item == body["id"])]
    assert actions == ["received", "hashed"]


def test_the_media_type_comes_from_the_bytes(client, bearer, users, incident):
    """Is a file's type read from its content rather than its name, and is a hostile HTML file only
    ever given as a download, never shown in the browser?"""
    html = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
    body = upload(client, incident, bearer("contributor"), html, "holiday.jpg").get_json()
    assert body["media_type"] == "text/html"
    assert upload(client, incident, bearer("contributor"), MP4, "notes.txt").get_json()["media_type"] == "video/mp4"
    lawyer = bearer("lawyer")
    assert client.get(f"/evidence/{body['id']}/media", headers=lawyer).status_code in (302, 404)
    from tests.helpers import Browser
    browser = Browser(client.application)
    browser.login(users["lawyer"])
    assert browser.get(f"/evidence/{body['id']}/media").status_code == 404  # never inline
    download = browser.get(f"/evidence/{body['id']}/download")
    assert download.status_code == 200 and download.data == html
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name, shown", [
    ("../../../etc/passwd", "passwd"), ("/etc/shadow", "shadow"),
    ("nul\x00byte.jpg", "nulbyte.jpg"), ("x" * 5000 + ".mp4", "x" * 251 + ".mp4"), ("..", ""),
])
def test_hostile_names_stay_metadata(client, bearer, incident, evidence_dir, tmp_path, name, shown):
    """Does a hostile file name, such as a path, a NUL or an overlong name, stay a cleaned-up label,
    with nothing written outside the evidence store?"""
    response = upload(client, incident, bearer("contributor"), JPEG + name.encode("utf-8", "replace"), name)
    assert response.status_code == 201
    assert file_items().get().original_filename == shown
    everything = files_under(str(tmp_path))
    assert all(path.startswith(evidence_dir) or path.endswith(("sqlite3", "-wal", "-shm", "_key"))
               for path in everything), everything


def test_empty_files_are_refused_and_archives_are_never_unpacked(client, bearer, incident, evidence_dir):
    """Is an empty file refused, and is an archive such as a zip bomb stored as it came, never
    unpacked?"""
    empty = upload(client, incident, bearer("contributor"), b"", "empty.mp4")
    assert empty.status_code == 422 and "empty" in empty.get_json()["error"]["fields"]["file"][0]
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b"0" * 20_000_000)  # 20 MB that packs into a few KB
    bomb = upload(client, incident, bearer("contributor"), buffer.getvalue(), "archive.zip")
    assert bomb.status_code == 201 and bomb.get_json()["media_type"] == "application/zip"
    assert len(files_under(evidence_dir)) == 1
    assert os.path.getsize(files_under(evidence_dir)[0]) == len(buffer.getvalue())


def test_size_limit_is_a_setting(settings, users, facility):
    """Is a file larger than the configured size limit refused, with nothing stored?"""
    from incidents import create_app
    from incidents.db import migrate
    app = create_app(dict(settings, EVIDENCE_MAX_SIZE=1000))
    migrate()
    incident = make_incident(users["contributor"], facility)
    headers = bearer_headers(users["contributor"])
    response = upload(app.test_client(), incident, headers, b"\x00" * 5000, "big.bin")
    assert response.status_code == 413 and not file_items().exists()
    assert files_under(app.config["SETTINGS"].EVIDENCE_DIR) == []


def test_range_requests_let_a_player_seek(client, users, incident, as_role):
    """Can a video player seek in a file, staff in the original with one custody entry per viewing, the
    public only in a derivative without an original byte?

    Staff seek in the original; the public seeks in a derivative and never gets an original byte."""
    content = MP4 + os.urandom(50_000)
    item = attach_file(client.application, incident, users["contributor"], content, "v.mp4")
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer"])
    lawyer = as_role("lawyer")
    whole = lawyer.get(f"/evidence/{item.id}/media")
    assert whole.status_code == 200 and whole.data == content and whole.headers["Accept-Ranges"] == "bytes"
    part = lawyer.get(f"/evidence/{item.id}/media", headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.data == content[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(content)}"
    assert "sandbox" in part.headers["Content-Security-Policy"]
    viewed = CustodyEvent.select().where((CustodyEvent.item == item.id) & (CustodyEvent.action == "viewed"))
    assert viewed.count() == 1  # the seek is part of the same viewing
    public = client.get(f"/evidence/{item.id}/media")
    assert public.status_code == 200 and public.mimetype == "video/mp4" and public.data != content
    assert public.data[4:8] == b"ftyp" and public.data not in content
    seek = client.get(f"/evidence/{item.id}/media", headers={"Range": "bytes=100-199"})
    assert seek.status_code == 206 and seek.data == public.data[100:200]
    assert "sandbox" in seek.headers["Content-Security-Policy"]
    assert viewed.count() == 1  # a derivative is not the original: no custody entry


def test_who_sees_what(client, bearer, users, incident, facility):
    """Who can see a file, its source and its chain of custody: the public, a researcher, a lawyer,
    before and after publication, and a confidential file?"""
    secret = attach_file(client.application, incident, users["contributor"], JPEG + b"secret", "secret.jpg",
                         confidential=True, source="Informant A, Saratov")
    shown = attach_file(client.application, incident, users["contributor"], JPEG + b"shown", "shown.jpg")
    assert client.get(f"/api/v1/evidence/{shown.id}").status_code == 404  # a draft's evidence
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer"])
    public = client.get(f"/api/v1/evidence/{shown.id}").get_json()
    assert public["sha256"] and "source" not in public and "filename" not in public
    assert client.get(f"/api/v1/evidence/{secret.id}").status_code == 404
    assert client.get(f"/evidence/{secret.id}").status_code == 404
    assert client.get(f"/api/v1/evidence/{shown.id}/custody").status_code == 401
    assert client.get(f"/api/v1/evidence/{shown.id}/custody", headers=bearer("researcher")).status_code == 404
    lawyer = client.get(f"/api/v1/evidence/{secret.id}", headers=bearer("lawyer")).get_json()
    assert lawyer["source"] == "Informant A, Saratov"
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "secret.jpg" not in page and "Informant A" not in page
    assert client.get(f"/evidence/{shown.id}/download").status_code == 302  # sign in first
    custody = client.get(f"/api/v1/evidence/{shown.id}/custody", headers=bearer("lawyer")).get_json()
    assert [e["action"] for e in custody["items"]] == ["received", "hashed", "redaction_decided"]


def test_staff_reads_of_where_an_item_came_from_are_audited(client, bearer, users, incident, as_role):
    """Is every time a staff member reads where a file came from recorded in the audit trail, while
    public reads of the published file are not?"""
    item = attach_file(client.application, incident, users["contributor"], source="Informant A, Saratov")
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer"])

    def reads():
        return AuditEvent.select().where((AuditEvent.action == "evidence.view_confidential")
                                         & (AuditEvent.object_id == str(item.id))).count()

    client.get(f"/evidence/{item.id}")  # the public sees the published item, not its source
    client.get(f"/api/v1/evidence/{item.id}")
    assert reads() == 0
    assert as_role("lawyer").get(f"/evidence/{item.id}").status_code == 200
    assert reads() == 1
    client.get(f"/api/v1/evidence/{item.id}", headers=bearer("lawyer"))
    client.get(f"/api/v1/evidence/{item.id}/custody", headers=bearer("reviewer"))
    assert reads() == 3
    actors = {e.actor_email for e in AuditEvent.select().where(AuditEvent.action == "evidence.view_confidential")}
    assert actors == {users["lawyer"].email, users["reviewer"].email}


def test_reading_an_incident_with_a_confidential_link_is_audited(client, bearer, users, facility, as_role):
    """Does reading an incident that has a confidential link leave an entry in the audit trail?"""
    incident = make_incident(users["contributor"], facility, persons=[])

    def reads():
        return AuditEvent.select().where((AuditEvent.action == "incident.view_confidential")
                                         & (AuditEvent.object_id == str(incident.id))).count()

    as_role("reviewer").get(f"/incidents/{incident.id}")
    assert reads() == 0  # nothing confidential on it yet
    client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=bearer("contributor"),
                json={"kind": "220904051501", "url": "https://t.me/+informant", "confidential": True})
    as_role("reviewer").get(f"/incidents/{incident.id}")
    assert reads() == 1


def test_a_links_address_stays_out_of_the_audit_trail(client, bearer, incident):
    """Is a confidential link's address kept out of the audit trail, while its custody log keeps it?"""
    url = "https://t.me/+private_chat_of_the_informant"
    answer = client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=bearer("contributor"),
                         json={"kind": "220904051501", "url": url, "confidential": True})
    assert answer.status_code == 201
    event = AuditEvent.select().where(AuditEvent.action == "evidence.attach").order_by(AuditEvent.id.desc()).get()
    assert url not in str(event.detail) and event.object_id == str(answer.get_json()["id"])
    custody = CustodyEvent.get(CustodyEvent.item == answer.get_json()["id"])
    assert custody.detail["url"] == url  # the custody log keeps it, encrypted


def test_a_link_attached_as_evidence_and_left_out_of_an_edit_is_detached_not_lost(client, bearer, incident):
    """When an edit leaves out a link that was attached as evidence, is the link detached with its
    custody kept, rather than deleted or the edit failing?

    Its chain of custody may not be deleted: the edit used to fail with a 500 (a foreign key)."""
    headers = bearer("contributor")
    link = client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=headers,
                       json={"kind": "220904051501", "url": "https://example.org/wrong"}).get_json()
    body = client.get(f"/api/v1/incidents/{incident.id}", headers=headers).get_json()
    kept = [row for row in body["evidence"] if row["id"] != link["id"]]
    edited = client.patch(f"/api/v1/incidents/{incident.id}", headers=headers,
                          json={"version": body["version"], "evidence": kept})
    assert edited.status_code == 200, edited.get_json()
    assert link["id"] not in [row["id"] for row in edited.get_json()["evidence"]]
    item = EvidenceItem.get_by_id(link["id"])
    assert item.incident_id is None
    assert [event.action for event in item.custody.order_by(CustodyEvent.id)] == ["received", "left_out"]


def test_new_evidence_on_a_published_incident_waits_for_review(client, users, incident):
    """Does a file added to a published incident stay hidden from the public until the change is
    reviewed?"""
    publish(incident, users["contributor"], users["reviewer"])
    item = attach_file(client.application, Incident.get_by_id(incident.id), users["contributor"])
    assert Incident.get_by_id(incident.id).status == "draft"
    assert client.get(f"/api/v1/evidence/{item.id}").status_code == 404


def test_links_are_evidence_too(client, bearer, incident):
    """Can a link be attached as evidence, only over http or https, and only by someone allowed to edit
    the incident?"""
    bad = client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=bearer("contributor"),
                      json={"kind": "220904051501", "url": "ftp://example.org/x"})
    assert bad.status_code == 422
    good = client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=bearer("contributor"),
                       json={"kind": "220904051501", "url": "https://example.org/x", "acquisition": "platform_download"})
    assert good.status_code == 201 and good.get_json()["url"] == "https://example.org/x"
    assert client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=bearer("researcher"),
                       json={"kind": "220904051501", "url": "https://example.org/y"}).status_code == 404


def test_attach_from_the_page_needs_csrf(as_role, incident, evidence_dir):
    """Is attaching a file from the incident's page refused without a CSRF token, storing nothing, and
    does it work with one?"""
    contributor = as_role("contributor")
    data = {"kind": "160815201501", "file": (io.BytesIO(JPEG), "photo.jpg")}
    refused = contributor.client.post(f"/incidents/{incident.id}/evidence", data=dict(data),
                                      content_type="multipart/form-data")
    assert refused.status_code == 400 and not file_items().exists()
    assert files_under(os.path.join(evidence_dir, "originals")) == []
    data = {"kind": "160815201501", "file": (io.BytesIO(JPEG), "photo.jpg")}
    accepted = contributor.post(f"/incidents/{incident.id}/evidence", data=data,
                                content_type="multipart/form-data")
    assert accepted.status_code == 302 and file_items().get().original_filename == "photo.jpg"
    assert "photo.jpg" in contributor.get(f"/incidents/{incident.id}").get_data(as_text=True)


def test_verify_finds_changed_and_missing_files(app, users, incident, evidence_dir):
    """Does "evidence verify" find files that were altered or removed, fail for them and record each
    check in the custody log?"""
    first = attach_file(app, incident, users["contributor"], JPEG + b"1", "one.jpg")
    second = attach_file(app, incident, users["contributor"], JPEG + b"2", "two.jpg")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["evidence", "verify"]).exit_code == 0
    path = os.path.join(evidence_dir, "originals", first.stored_file_id[:2], first.stored_file_id[2:4],
                        first.stored_file_id)
    os.chmod(path, 0o600)
    with open(path, "ab") as handle:
        handle.write(b"tampered")
    os.unlink(os.path.join(evidence_dir, "originals", second.stored_file_id[:2],
                           second.stored_file_id[2:4], second.stored_file_id))
    result = runner.invoke(args=["evidence", "verify"])
    assert result.exit_code == 1
    assert f"CHANGED: {first.stored_file_id}" in result.output and f"MISSING: {second.stored_file_id}" in result.output
    checks = CustodyEvent.select().where(CustodyEvent.action == "verified").order_by(CustodyEvent.id)
    assert checks.count() == 4
    changed = [c for c in checks if c.detail["outcome"] == "changed"][0]
    assert changed.sha256 == first.stored_file_id and changed.detail["sha256_found"] != first.stored_file_id


def test_names_with_backslashes_keep_no_folders(client, bearer, incident):
    """Does a file name written with Windows folders keep only the file's own name?"""
    response = upload(client, incident, bearer("contributor"), JPEG, "C:\\Windows\\evil.exe")
    name = file_items().get().original_filename
    assert response.status_code == 201 and name.endswith("evil.exe") and "/" not in name and "\\" not in name


def _png_bomb() -> bytes:
    """A small PNG that claims 30,000 x 30,000 pixels: decoding it would take gigabytes."""
    import struct
    import zlib
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + \
        chunk(b"IEND", b"")


def test_previews_come_from_working_copies_and_graphic_ones_are_blurred(client, users, incident, evidence_dir):
    """Are previews made from working copies, graphic ones blurred, decompression bombs and SVG
    refused, and the originals left untouched?"""
    photo = attach_file(client.application, incident, users["contributor"], JPEG, "photo.jpg", graphic=True)
    video = attach_file(client.application, incident, users["contributor"], MP4, "clip.mp4")
    bomb = attach_file(client.application, incident, users["contributor"], _png_bomb(), "bomb.png")
    svg = attach_file(client.application, incident, users["contributor"],
                      b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg")
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer"])
    blurred = client.get(f"/evidence/{photo.id}/preview")
    clear = client.get(f"/evidence/{photo.id}/preview?clear=1")
    assert blurred.status_code == clear.status_code == 200 and blurred.mimetype == "image/jpeg"
    assert blurred.data != clear.data
    poster = client.get(f"/evidence/{video.id}/preview")
    assert poster.status_code == 200 and poster.data[:2] == b"\xff\xd8"
    assert client.get(f"/evidence/{bomb.id}/preview").status_code == 404  # refused, still preserved
    assert client.get(f"/evidence/{svg.id}/preview").status_code == 404
    assert client.get(f"/evidence/{svg.id}/media").status_code == 404
    assert files_under(os.path.join(evidence_dir, "work")) == []
    for item, content in ((photo, JPEG), (video, MP4)):
        path = os.path.join(evidence_dir, "originals", item.stored_file_id[:2], item.stored_file_id[2:4],
                            item.stored_file_id)
        with open(path, "rb") as handle:
            assert handle.read() == content
    page = client.get(f"/evidence/{photo.id}?lang=en").get_data(as_text=True)
    assert f'src="/evidence/{photo.id}/preview"' in page and f'data-src="/evidence/{photo.id}/media"' in page


def test_media_of_a_type_browsers_do_not_show_is_refused_without_a_custody_entry(app, users, as_role):
    """When a file of a type browsers do not show is asked for as media, is it refused, with no custody
    entry claiming it was viewed?

    /media of a text file is a 404, and nothing claims the file was viewed."""
    facility = make_facility(users["contributor"])
    incident = make_incident(users["contributor"], facility)
    item = attach_file(app, incident, users["contributor"], content=b"Notes from the visit.\n" * 10,
                       filename="notes.txt")
    before = CustodyEvent.select().where(CustodyEvent.item == item.id).count()
    assert as_role("reviewer").get(f"/evidence/{item.id}/media").status_code == 404
    assert CustodyEvent.select().where(CustodyEvent.item == item.id).count() == before


def test_sizes_are_written_in_the_readers_language(app, users, incident, as_role):
    """Does an item's page, its incident's page and the review's list of changes give a file's size in
    the reader's language and units, not in English ("677 Bytes", "1.2 MB") on a Russian page?"""
    item = attach_file(app, incident, users["contributor"], JPEG + b"\0" * (1_300_000 - len(JPEG)), "палата.jpg")
    contributor = as_role("contributor")
    for path in (f"/evidence/{item.id}?lang=ru", f"/incidents/{incident.id}?lang=ru"):
        page = contributor.get(path).get_data(as_text=True)
        assert "1,3 МБ" in page and "MB" not in page and "Bytes" not in page, path
    assert "1,3 МБ" not in contributor.get(f"/evidence/{item.id}?lang=en").get_data(as_text=True)
