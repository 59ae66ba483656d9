"""Signed content credentials on what is published (issue 16, point 4): each public copy carries a
C2PA manifest signed by the installation, saying what it was made from and what was done to it,
read back here with c2pa-rs (as a recipient's C2PA tool reads it) against the root the installation
publishes."""
from __future__ import annotations

import hashlib
import io
import os
import stat

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from incidents.evidence.credentials import LABEL
from incidents.evidence.previews import derivative_path
from incidents.evidence.store import EvidenceStore
from incidents.keys.credentials import CREDENTIALS_FILE, content_credentials
from incidents.models import Incident
from tests.clips import FaceScene, Variant, astronaut, film
from tests.factories import attach_file, publish
from tests.helpers import bearer_headers

SETTINGS = {"verify": {"verify_trust": True, "remote_manifest_fetch": False, "ocsp_fetch": False}}


def read(data: bytes, media_type: str, anchor: str | None):
    """(validation state, failure codes, the active manifest) of ``data``, trusting ``anchor``."""
    settings = dict(SETTINGS, trust={"trust_anchors": anchor}) if anchor else SETTINGS
    reader = c2pa.Reader(media_type, io.BytesIO(data), context=c2pa.Context(c2pa.Settings.from_dict(settings)))
    failures = [entry["code"] for entry in reader.get_validation_results()["activeManifest"].get("failure", [])]
    return reader.get_validation_state(), failures, reader.get_active_manifest()


def published_root(client) -> str:
    answer = client.get("/api/v1/content-credentials?format=pem")  # anyone: no token, no session
    assert answer.status_code == 200 and answer.mimetype == "application/x-pem-file"
    described = client.get("/api/v1/content-credentials").get_json()
    assert described["certificate"] == answer.get_data(as_text=True)
    der = x509.load_pem_x509_certificate(answer.data).public_bytes(Encoding.DER)
    assert described["fingerprint"] == hashlib.sha256(der).hexdigest()
    return answer.get_data(as_text=True)


def test_a_redacted_public_picture_carries_a_manifest_the_published_root_checks(app, client, users, incident,
                                                                               tmp_path):
    """Does the public's copy of a redacted photo carry a C2PA manifest that a C2PA reader trusting
    the installation's published root finds valid and trusted, naming the original's SHA-256, the
    re-encoding, the metadata left out and the areas destroyed, decided by the installation and not
    by the reviewer? Without the root it is valid but untrusted; with another installation's root,
    untrusted; one byte changed in the picture, invalid."""
    original = astronaut()
    item = attach_file(app, incident, users["contributor"], original, "portrait.jpg")
    boxes = [{"x": 150, "y": 30, "w": 160, "h": 170}, {"x": 10, "y": 400, "w": 60, "h": 30}]
    answer = client.post(f"/api/v1/evidence/{item.id}/redaction", headers=bearer_headers(users["reviewer"]),
                         json={"decision": "redact", "boxes": boxes})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer2"])
    public = client.get(f"/evidence/{item.id}/media")
    assert public.status_code == 200 and public.mimetype == "image/jpeg"
    root = published_root(client)

    state, failures, manifest = read(public.data, "image/jpeg", root)
    assert (state, failures) == ("Trusted", [])
    ours = next(a["data"] for a in manifest["assertions"] if a["label"] == LABEL)
    sha256 = hashlib.sha256(original).hexdigest()
    assert ours["original_sha256"] == sha256 and ours["areas_destroyed"] == 2
    assert ours["re_encoded"] and ours["metadata_removed"]
    assert ours["decided_by"] == app.config["SETTINGS"].PUBLIC_URL
    actions = next(a["data"]["actions"] for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))
    assert [a["action"] for a in actions] == ["c2pa.opened", "c2pa.transcoded", "c2pa.edited.metadata", "c2pa.edited"]
    assert manifest["ingredients"][0]["instance_id"] == f"sha256:{sha256}"
    reviewer = users["reviewer"]
    for name in (reviewer.email, "Test reviewer", users["reviewer2"].email, "Test reviewer2"):
        assert name.encode() not in public.data

    state, failures, _ = read(public.data, "image/jpeg", None)
    assert state == "Valid" and failures == ["signingCredential.untrusted"]
    elsewhere = content_credentials(str(tmp_path), "https://other.example.net")
    assert read(public.data, "image/jpeg", elsewhere.anchor)[0] != "Trusted"
    changed = bytearray(public.data)
    changed[-100] ^= 0x01  # inside the picture's compressed data, before the end marker
    assert read(bytes(changed), "image/jpeg", root)[0] == "Invalid"


def test_a_public_video_carries_a_manifest_and_a_picture_shown_as_it_is_says_nothing_was_destroyed(
        app, client, users, incident):
    """Does a published clip's public copy carry a trusted manifest too (the manifest in the MP4's own
    box), and a picture published unredacted one with no area destroyed?"""
    scene = FaceScene(3, faces=1, size=60)
    clip = attach_file(app, incident, users["contributor"], film(scene, 2, Variant(*scene.side), fps=10), "yard.mp4")
    photo = attach_file(app, incident, users["contributor"], astronaut(), "portrait.jpg")
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer2"])
    root = published_root(client)
    for item, media_type, areas in ((clip, "video/mp4", 0), (photo, "image/jpeg", 0)):
        public = client.get(f"/evidence/{item.id}/media")
        assert public.status_code == 200 and public.mimetype == media_type
        state, failures, manifest = read(public.data, media_type, root)
        assert (state, failures) == ("Trusted", []), media_type
        ours = next(a["data"] for a in manifest["assertions"] if a["label"] == LABEL)
        assert ours["areas_destroyed"] == areas
        actions = next(a["data"]["actions"] for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))
        assert "c2pa.edited" not in [a["action"] for a in actions]


def test_the_credentials_are_made_once_kept_private_and_a_copy_that_cannot_be_signed_is_not_published(
        app, client, users, incident):
    """Is the key file the instance's alone (0600), the same on every call, and when it cannot sign
    (a damaged key), does the public get no copy at all rather than an unsigned one?"""
    first = content_credentials(app.instance_path, "https://register.example.org")
    path = os.path.join(app.instance_path, CREDENTIALS_FILE)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert content_credentials(app.instance_path, "https://another.example.org") == first
    root = x509.load_pem_x509_certificate(first.anchor.encode())
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    with open(path, "w", encoding="ascii") as damaged:
        damaged.write("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
                      + first.chain)
    item = attach_file(app, incident, users["contributor"], astronaut(), "portrait.jpg")
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer2"])
    assert client.get(f"/evidence/{item.id}/media").status_code == 404
    assert client.get(f"/evidence/{item.id}/preview").status_code == 404


def test_a_copy_made_again_is_not_answered_from_a_cache_of_the_one_before(app, client, users, incident):
    """When the public copies are made again (an operator deleted them, as after replacing the
    credentials), the same file name holds other bytes (signed anew): does a visitor or a proxy holding
    the copy before get the new one rather than "not modified"?"""
    item = attach_file(app, incident, users["contributor"], astronaut(), "portrait.jpg")
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer2"])
    before = client.get(f"/evidence/{item.id}/media")
    assert before.status_code == 200
    store = EvidenceStore.from_settings(app.config["SETTINGS"])
    path, _media_type = derivative_path(store.root, hashlib.sha256(astronaut()).hexdigest())
    os.unlink(path)
    again = client.get(f"/evidence/{item.id}/media", headers={"If-None-Match": before.headers["ETag"]})
    assert again.status_code == 200 and again.data != before.data
    assert again.headers["ETag"] != before.headers["ETag"]
