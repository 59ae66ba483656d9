"""Uploading bytes the organisation already holds looks, to the uploader, exactly like a fresh upload."""
from __future__ import annotations

import datetime
import hashlib
import io
import os
import re

from incidents.accounts import credentials
from incidents.models import CustodyEvent, EvidenceItem, StoredFile
from tests.factories import JPEG, attach_file, make_facility, make_incident
from tests.helpers import Browser, bearer_headers

LONG_AGO = datetime.datetime(2020, 3, 1, 9, 30)
HEX = re.compile(r"[0-9a-f]{16,64}")
CLOCK = re.compile(r"\d{1,2}:\d{2}(:\d{2})?(\.\d+)?( ?[AP]M)?")


def _plain(text: str, item_id: int) -> str:
    """What may differ between two uploads without telling anything: ids, hashes, the time of day,
    the page's CSRF token."""
    text = re.sub(r'name="csrf_token"[^>]*>', "", text)
    # Not the day of "Dec 4", nor the hour of "4:53 AM": at 4 o'clock, item 4 was read as a time.
    text = re.sub(rf"(?<![A-Z][a-z]{{2}} )\b{item_id}\b(?!:\d\d)", "ID", text)
    return CLOCK.sub("T", HEX.sub("H", text))


def _seen_by_uploader(app, browser, headers, incident, content: bytes) -> list[str]:
    client = app.test_client()
    answer = client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=headers,
                         content_type="multipart/form-data",
                         data={"kind": "160815201501", "file": (io.BytesIO(content), "leak.jpg")})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    item_id = answer.get_json()["id"]
    download = browser.get(f"/evidence/{item_id}/download")
    media = browser.get(f"/evidence/{item_id}/media")  # the page's image: the original, for its uploader
    assert download.status_code == 200 and media.status_code == 200
    seen = [answer.get_data(as_text=True),
            client.get(f"/api/v1/evidence/{item_id}", headers=headers).get_data(as_text=True),
            client.get(f"/api/v1/evidence/{item_id}/custody", headers=headers).get_data(as_text=True),
            browser.get(f"/evidence/{item_id}?lang=en").get_data(as_text=True),
            str(sorted((k, v) for k, v in download.headers.items() if k != "Content-Length")),
            str(sorted((k, v) for k, v in media.headers.items() if k != "Content-Length"))]
    return [_plain(text, item_id) for text in seen]


def test_a_contributor_cannot_tell_whether_the_store_held_their_upload_already(app, users):
    """Can a contributor tell, from anything they are shown about their upload, that the organisation
    already held the same file?"""
    leaked = JPEG + os.urandom(64)  # a file the organisation received long ago, in A's draft
    first = attach_file(app, make_incident(users["contributor"], make_facility(users["contributor"])),
                        users["contributor"], leaked, "from-source.jpg")
    StoredFile.update(created_at=LONG_AGO).where(StoredFile.sha256 == first.stored_file_id).execute()
    EvidenceItem.update(created_at=LONG_AGO).where(EvidenceItem.id == first.id).execute()
    CustodyEvent.update(created_at=LONG_AGO).where(CustodyEvent.item == first.id).execute()
    original = os.path.join(app.config["SETTINGS"].EVIDENCE_DIR, "originals", first.stored_file_id[:2],
                            first.stored_file_id[2:4], first.stored_file_id)
    os.utime(original, (LONG_AGO.timestamp(), LONG_AGO.timestamp()))
    adversary = credentials.create_user("b@example.org", "contributor", None, "B")
    credentials.set_password(adversary, "another correct horse battery", testing=True)
    headers = bearer_headers(adversary)
    browser = Browser(app)
    assert browser.login(adversary, "another correct horse battery").status_code == 302
    incident = make_incident(adversary, make_facility(adversary))
    fresh = _seen_by_uploader(app, browser, headers, incident, JPEG + os.urandom(64))
    known = _seen_by_uploader(app, browser, headers, incident, leaked)
    for seen_known, seen_fresh in zip(known, fresh, strict=True):
        assert seen_known.splitlines() == seen_fresh.splitlines()


def test_the_migration_removes_what_older_custody_logs_said_about_the_store(app, users):
    """Does upgrading remove the note older custody logs kept that a file was already in the store?"""
    from incidents.db import database, migrate
    item = attach_file(app, make_incident(users["contributor"], make_facility(users["contributor"])),
                       users["contributor"], JPEG, "old.jpg")
    received = CustodyEvent.get((CustodyEvent.item == item.id) & (CustodyEvent.action == "received"))
    CustodyEvent.update(detail={**received.detail, "already_stored": True}).where(
        CustodyEvent.id == received.id).execute()  # as an older version wrote it
    database.execute_sql(f"DELETE FROM schema_migration WHERE name = {database.param}",
                         ("0019_no_possession_oracle",))
    assert migrate() == ["0019_no_possession_oracle"]
    assert CustodyEvent.get_by_id(received.id).detail == {"filename": "old.jpg", "size": len(JPEG)}


def _verified_first(app, headers, first_id: int, second_id: int) -> bool:
    """Whether the uploader's custody logs say ``first_id`` was checked before ``second_id``
    by the last ``evidence verify``."""
    client = app.test_client()
    at = {}
    for item_id in (first_id, second_id):
        events = client.get(f"/api/v1/evidence/{item_id}/custody", headers=headers).get_json()["items"]
        at[item_id] = [event["at"] for event in events if event["action"] == "verified"][-1]
    return at[first_id] < at[second_id]


def test_the_order_in_which_evidence_verify_checks_files_tells_nothing_of_when_the_store_first_held_them(app, users):
    """Can an uploader learn from the order of the nightly verification that the store held one of their
    files long before they uploaded it?

    An adversary uploads fresh bytes, then the leaked file, and waits for the nightly
    ``evidence verify``: the verified times in their own custody logs must not show the leaked
    file as the older of the two in the store."""
    from incidents.evidence.fixity import verify_store
    from incidents.evidence.store import EvidenceStore
    leaked = JPEG + os.urandom(64)
    first = attach_file(app, make_incident(users["contributor"], make_facility(users["contributor"])),
                        users["contributor"], leaked, "from-source.jpg")
    StoredFile.update(created_at=LONG_AGO).where(StoredFile.sha256 == first.stored_file_id).execute()
    adversary = credentials.create_user("b@example.org", "contributor", None, "B")
    headers = bearer_headers(adversary)
    incident = make_incident(adversary, make_facility(adversary))

    def digest(content: bytes) -> str:
        return hashlib.sha256(content).hexdigest()

    decoy = JPEG + os.urandom(64)
    # A second pair, both fresh, whose hashes sort as the first pair's do: nothing but the store's
    # history tells the two pairs apart.
    while True:
        other_decoy, other_unknown = JPEG + os.urandom(64), JPEG + os.urandom(64)
        if (digest(decoy) < digest(leaked)) == (digest(other_decoy) < digest(other_unknown)):
            break
    known_pair = [attach_file(app, incident, adversary, content).id for content in (decoy, leaked)]
    fresh_pair = [attach_file(app, incident, adversary, content).id for content in (other_decoy, other_unknown)]
    for _ in verify_store(EvidenceStore.from_settings(app.config["SETTINGS"])):
        pass
    assert _verified_first(app, headers, *known_pair) == _verified_first(app, headers, *fresh_pair)


def test_an_uploaders_first_preview_and_metadata_of_known_bytes_cost_a_decoder_run_as_fresh_ones_do(app, users,
                                                                                                   monkeypatch):
    """Can an uploader learn from how their first preview and metadata are made that the store already held
    the file?

    Previews and metadata are kept by the bytes' hash: served from what another item's viewing
    left, a known file's first preview answered without a decoder run (faster, or, after a failure
    there, not at all) and told its uploader the store held it."""
    from incidents.evidence import previews
    from incidents.media.sandbox import Outcome
    runs, overloaded = [], []
    real_run = previews.run_on_copy

    def counted(root, original, task, kind, limits, arguments=None):
        runs.append(task)
        return Outcome(False, "timeout") if overloaded else real_run(root, original, task, kind, limits, arguments)

    monkeypatch.setattr(previews, "run_on_copy", counted)
    leaked = JPEG + os.urandom(64)
    first = attach_file(app, make_incident(users["contributor"], make_facility(users["contributor"])),
                        users["contributor"], leaked, "from-source.jpg")
    owner = Browser(app)
    assert owner.login(users["contributor"], "correct horse battery staple").status_code == 302
    assert owner.get(f"/evidence/{first.id}").status_code == 200
    assert owner.get(f"/evidence/{first.id}/preview").status_code == 200
    adversary = credentials.create_user("b@example.org", "contributor", None, "B")
    credentials.set_password(adversary, "another correct horse battery", testing=True)
    browser = Browser(app)
    assert browser.login(adversary, "another correct horse battery").status_code == 302
    incident = make_incident(adversary, make_facility(adversary))

    def first_views(content: bytes) -> tuple:
        runs.clear()  # counted from the upload on: its previews are queued as it is preserved
        item = attach_file(app, incident, adversary, content, "leak.jpg")
        page, preview = browser.get(f"/evidence/{item.id}"), browser.get(f"/evidence/{item.id}/preview")
        again = browser.get(f"/evidence/{item.id}/preview")
        return sorted(runs), page.status_code, preview.status_code, again.status_code

    # Another leaked file, whose decoding failed when its first item was preserved (a timeout under load).
    other_leak = JPEG + os.urandom(64)
    overloaded.append(True)
    failed = attach_file(app, first.incident, users["contributor"], other_leak, "other.jpg")
    assert owner.get(f"/evidence/{failed.id}/preview").status_code == 404
    overloaded.clear()
    fresh = first_views(JPEG + os.urandom(64))
    assert fresh[0] == ["metadata", "preview"]
    assert first_views(leaked) == fresh
    assert first_views(other_leak) == fresh
