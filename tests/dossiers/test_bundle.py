"""Signed bundles: any change, removal or addition of a file is caught and named, offline."""
from __future__ import annotations

import base64
import datetime
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from incidents.accounts import credentials
from incidents.dossiers import bundle as bundle_module
from incidents.dossiers.verify_bundle import Unreadable, check_bundle, ed25519_verify
from incidents.keys import signing as crypto
from tests.factories import MP4, attach_file, make_facility, make_incident, publish
from tests.helpers import rewrite


@pytest.fixture
def bundle_bytes(app, users):
    facility = make_facility(users["contributor"])
    incident = make_incident(users["contributor"], facility)
    attach_file(app, incident, users["contributor"])
    attach_file(app, incident, users["contributor"], content=MP4, filename="clip.mp4")
    publish(incident, users["contributor"], users["reviewer"])
    token = credentials.issue_api_token(users["lawyer"])
    response = app.test_client().post("/api/v1/dossiers", headers={"Authorization": f"Bearer {token}"},
                                      json={"incident_ids": [incident.id], "include_files": True, "lang": "ru",
                                            "redaction": "confidential"})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    return response.data


def installation_key(app) -> bytes:
    return crypto.public_bytes(crypto.signing_key(app.instance_path))


def failures_of(app, data: bytes, tmp_path, key=None):
    path = tmp_path / "bundle.zip"
    path.write_bytes(data)
    failures, _manifest = check_bundle(str(path), key or installation_key(app), crypto.verify)
    return failures


def test_an_untouched_bundle_verifies(app, bundle_bytes, tmp_path):
    """Does a bundle as the installation made it hold the dossier, its evidence, the verifier and a
    signed manifest, and verify without a failure?"""
    names = zipfile.ZipFile(io.BytesIO(bundle_bytes)).namelist()
    assert {"dossier.pdf", "dossier.json", "evidence-manifest.json", "custody-log.csv", "README.txt",
            "verify_bundle.py", "manifest.json", "manifest.sig"} <= set(names)
    assert sum(name.startswith("evidence/") for name in names) == 2
    assert failures_of(app, bundle_bytes, tmp_path) == []


def test_one_changed_byte_in_any_file_is_named(app, bundle_bytes, tmp_path):
    """Does changing a single byte in any file of a bundle make verification fail and name that file?"""
    names = [n for n in zipfile.ZipFile(io.BytesIO(bundle_bytes)).namelist() if n != "manifest.sig"]
    for target in names:
        def flip(name, content, target=target):
            if name != target:
                return content
            return content[:-1] + bytes([content[-1] ^ 1])
        failures = failures_of(app, rewrite(bundle_bytes, flip), tmp_path)
        assert failures, target
        assert target in {name for name, _problem in failures}, (target, failures)


def test_a_removed_or_added_file_is_named(app, bundle_bytes, tmp_path):
    """Does verification name a file removed from a bundle, and a file planted in it?"""
    removed = rewrite(bundle_bytes, lambda name, content: None if name == "dossier.json" else content)
    assert failures_of(app, removed, tmp_path) == [
        ("dossier.json", "listed in the manifest but missing from the bundle")]
    source = zipfile.ZipFile(io.BytesIO(bundle_bytes))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
        target.writestr("evidence/planted.mp4", b"not from the installation")
    assert [name for name, _ in failures_of(app, out.getvalue(), tmp_path)] == ["evidence/planted.mp4"]


def test_a_second_entry_under_a_listed_name_is_caught(app, bundle_bytes, tmp_path):
    """Is a forged second entry under the name of a signed file caught by verification?"""
    source = zipfile.ZipFile(io.BytesIO(bundle_bytes))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
        with pytest.warns(UserWarning):
            target.writestr("dossier.pdf", b"%PDF- a forged dossier")
    assert "dossier.pdf" in {name for name, _ in failures_of(app, out.getvalue(), tmp_path)}


def test_a_bundle_signed_by_another_key_fails(app, bundle_bytes, tmp_path):
    """Does a bundle fail verification against a key other than the one that signed it?"""
    other = crypto.public_bytes(Ed25519PrivateKey.generate())
    failures = failures_of(app, bundle_bytes, tmp_path, key=other)
    assert failures == [("manifest.json", "signed by another key than the one given")]


def test_a_resigned_manifest_fails_against_the_installations_key(app, bundle_bytes, tmp_path):
    """Can someone who swaps a file and re-signs the manifest with their own key pass verification
    against the installation's published key?

    Someone who swaps a file and re-signs with their own key is caught by the published key."""
    forger = Ed25519PrivateKey.generate()

    def forge(name, content):
        if name == "manifest.json":
            manifest = json.loads(content)
            manifest["signer"]["public_key"] = crypto.b64(crypto.public_bytes(forger))
            return json.dumps(manifest).encode()
        return content
    forged = rewrite(bundle_bytes, forge)
    manifest = zipfile.ZipFile(io.BytesIO(forged)).read("manifest.json")
    forged = rewrite(forged, lambda name, content: base64.b64encode(forger.sign(manifest))
                     if name == "manifest.sig" else content)
    assert failures_of(app, forged, tmp_path) == [("manifest.json", "signed by another key than the one given")]


def test_cli_verifies_and_names_failures(app, bundle_bytes, tmp_path):
    """Does "bundle verify" pass a good bundle, name the file that was changed in a bad one, and refuse
    a file that is not a ZIP?"""
    good = tmp_path / "good.zip"
    good.write_bytes(bundle_bytes)
    result = app.test_cli_runner().invoke(args=["bundle", "verify", str(good)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    bad = tmp_path / "bad.zip"
    bad.write_bytes(rewrite(bundle_bytes, lambda n, c: c + b" " if n == "README.txt" else c))
    result = app.test_cli_runner().invoke(args=["bundle", "verify", str(bad)])
    assert result.exit_code == 1 and "FAILED README.txt" in result.output
    not_zip = tmp_path / "not.zip"
    not_zip.write_bytes(b"hello")
    result = app.test_cli_runner().invoke(args=["bundle", "verify", str(not_zip)])
    assert result.exit_code != 0 and "not a readable ZIP" in result.output


def test_the_standalone_script_needs_only_python(app, client, bundle_bytes, tmp_path):
    """Can the verifier script in a bundle check the bundle with nothing but Python's standard library
    and the published key, and name a missing file?

    The copy in the bundle runs with the standard library alone, against the published key."""
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(bundle_bytes)
    script = tmp_path / "verify_bundle.py"
    script.write_bytes(zipfile.ZipFile(io.BytesIO(bundle_bytes)).read("verify_bundle.py"))
    key = tmp_path / "signing-key.pem"
    key.write_bytes(client.get("/api/v1/signing-key?format=pem").data)
    # -I: isolated mode, so neither this project nor the virtualenv's packages are importable.
    run = [sys.executable, "-I", str(script), str(bundle), "--key", str(key)]
    result = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert crypto.fingerprint(installation_key(app)) in result.stdout
    bundle.write_bytes(rewrite(bundle_bytes, lambda n, c: None if n == "custody-log.csv" else c))
    result = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 1 and "FAILED custody-log.csv" in result.stdout


def test_pure_python_ed25519_agrees_with_cryptography():
    """Does the pure-Python Ed25519 check accept exactly the signatures the cryptography library makes,
    and refuse altered messages, signatures and keys?"""
    for index in range(6):
        key = Ed25519PrivateKey.generate()
        public = crypto.public_bytes(key)
        message = os.urandom(index * 50)
        signature = key.sign(message)
        assert ed25519_verify(public, signature, message)
        assert not ed25519_verify(public, signature, message + b"x")
        assert not ed25519_verify(public, signature[:-1] + bytes([signature[-1] ^ 1]), message)
        assert not ed25519_verify(crypto.public_bytes(Ed25519PrivateKey.generate()), signature, message)
    assert not ed25519_verify(b"\x00" * 31, b"\x00" * 64, b"")


def test_signing_key_is_public_and_stable(client):
    """Can anyone fetch the installation's public signing key, as JSON or PEM, and is it the same each
    time?"""
    first = client.get("/api/v1/signing-key").json
    assert first["algorithm"] == "Ed25519" and len(first["fingerprint"]) == 64
    assert client.get("/api/v1/signing-key").json == first
    assert client.get("/api/v1/signing-key?format=pem").data.startswith(b"-----BEGIN PUBLIC KEY-----")


def test_evidence_files_stream_in_bounded_chunks(tmp_path):
    """Is a large original streamed into a bundle in chunks of bounded size, and does the bundle still
    verify?

    A big original goes out chunk by chunk: no piece of the stream is much larger than one chunk."""
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 * bundle_module.CHUNK + 123))
    key = Ed25519PrivateKey.generate()
    chunks = list(bundle_module.stream([bundle_module.Part("evidence/big.bin", bundle_module.file_chunks(str(big)),
                                                          compress=False)], key, datetime.datetime(2026, 1, 1),
                                       "https://example.org"))
    assert max(len(c) for c in chunks) <= bundle_module.CHUNK + 4096
    data = b"".join(chunks)
    path = tmp_path / "b.zip"
    path.write_bytes(data)
    failures, manifest = check_bundle(str(path), crypto.public_bytes(key), crypto.verify)
    assert failures == [] and manifest["files"][0]["size"] == big.stat().st_size


def test_a_byte_changed_inside_the_archive_is_named_not_a_crash(app, bundle_bytes, tmp_path):
    """Does damage to the ZIP's own bytes name the damaged file rather than crash the verifier?

    Tampering with the ZIP's own bytes (not re-zipping) breaks a CRC or a stream: still named."""
    archive = zipfile.ZipFile(io.BytesIO(bundle_bytes))
    for name in ("dossier.json", "dossier.pdf"):
        info = archive.getinfo(name)
        at = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 2
        damaged = bytearray(bundle_bytes)
        damaged[at] ^= 0xFF
        assert name in {failed for failed, _problem in failures_of(app, bytes(damaged), tmp_path)}, name


def test_bytes_hidden_outside_the_entries_are_caught(app, bundle_bytes, tmp_path):
    """Is an entry hidden before a bundle's listed entries, which a streaming unzip would show, caught
    by verification?

    A streaming unzip would show an entry prepended to the archive; the check must not pass it."""
    hidden = io.BytesIO()
    with zipfile.ZipFile(hidden, "w") as extra:
        extra.writestr("evidence/hidden.mp4", b"planted")
    failures = failures_of(app, hidden.getvalue() + bundle_bytes, tmp_path)
    assert failures and "outside the listed entries" in failures[0][1]


def test_the_published_verifier_hash_matches_the_copy_in_a_bundle(client, bundle_bytes):
    """Do the hashes of the verifiers published with the signing key match the copies inside a bundle?"""
    archive = zipfile.ZipFile(io.BytesIO(bundle_bytes))
    published = client.get("/api/v1/signing-key").json
    for name, key in (("verify_bundle.py", "verifier_sha256"), ("verify_timestamp.py", "timestamp_verifier_sha256")):
        assert published[key] == hashlib.sha256(archive.read(name)).hexdigest()


def test_cli_without_a_key_of_its_own_asks_for_one(app, bundle_bytes, tmp_path):
    """On an installation without a signing key, does "bundle verify" ask for a key instead of creating
    one?

    Verifying must not create a signing key: a fresh installation has signed nothing."""
    shutil.rmtree(app.instance_path, ignore_errors=True)
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle_bytes)
    result = app.test_cli_runner().invoke(args=["bundle", "verify", str(path)])
    assert result.exit_code != 0 and "--key" in result.output
    assert not os.path.exists(os.path.join(app.instance_path, crypto.SIGNING_KEY_FILE))


def with_comment(data: bytes, comment: bytes) -> bytes:
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as archive:
        archive.comment = comment
    return out.getvalue()


FORGED_NOTE = b"this installation rotated its key; trust fingerprint " + b"ab" * 32


def test_bytes_after_the_end_record_are_refused(app, bundle_bytes, tmp_path):
    """Is a bundle with bytes after the ZIP's end record refused?

    What follows the end record is in no entry and not signed; an unzip tool may still show it."""
    for tail in (b"\n", FORGED_NOTE, b"PK\x05\x06" + b"\x00" * 18):
        failures = failures_of(app, bundle_bytes + tail, tmp_path)
        assert (str(tmp_path / "bundle.zip"), "holds data after the end of the archive") in failures, tail


def test_a_zip_comment_is_refused(app, bundle_bytes, tmp_path):
    """Is a bundle carrying a ZIP comment, on the archive or on an entry, refused?

    `unzip -l` prints the archive's comment: a forged note about keys must not ride on a good bundle."""
    commented = with_comment(bundle_bytes, FORGED_NOTE)
    assert zipfile.ZipFile(io.BytesIO(commented)).comment == FORGED_NOTE
    assert failures_of(app, commented, tmp_path) == [
        (str(tmp_path / "bundle.zip"), "carries a ZIP comment, which is not part of what was signed")]
    source = zipfile.ZipFile(io.BytesIO(bundle_bytes))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename == "README.txt":
                info.comment = FORGED_NOTE
            target.writestr(info, source.read(info.filename))
    assert "carries a ZIP comment" in failures_of(app, out.getvalue(), tmp_path)[0][1]


def test_a_zip64_end_record_verifies_but_not_with_bytes_after_it(app, bundle_bytes, tmp_path, monkeypatch):
    """Does a bundle ending with ZIP64 records verify, while bytes, a comment or padding added around
    them are refused?

    A bundle too big for the classic end record ends with ZIP64 records; they are not trailing data."""
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # forces the ZIP64 end records
    zip64 = rewrite(bundle_bytes, lambda name, content: content)
    assert b"PK\x06\x06" in zip64[-100:] and b"PK\x06\x07" in zip64[-50:]
    assert failures_of(app, zip64, tmp_path) == []
    assert failures_of(app, zip64 + b"\x00", tmp_path)
    assert failures_of(app, with_comment(zip64, b"x"), tmp_path)
    # Extensible data in the ZIP64 end record would sit between the directory and the records.
    at = zip64.rindex(b"PK\x06\x06")
    padded = bytearray(zip64[:at] + b"\x00" * 8 + zip64[at:])
    padded[-22 - 20 + 8:-22 - 20 + 16] = (at + 8).to_bytes(8, "little")
    try:
        assert failures_of(app, bytes(padded), tmp_path)
    except Unreadable:
        pass  # refused as well


def test_bytes_in_place_of_a_data_descriptor_are_refused(app, bundle_bytes, tmp_path):
    """Are bytes put in place of an entry's data descriptor refused as data outside the listed entries?

    Between an entry's data and the next header only its own data descriptor (CRC and sizes) may
    sit: the same number of other bytes is room for a message no entry holds."""
    archive = zipfile.ZipFile(io.BytesIO(bundle_bytes))
    first, second = sorted(archive.infolist(), key=lambda info: info.header_offset)[:2]
    assert first.flag_bits & 0x08  # a streamed bundle: each entry's sizes follow its data
    start = second.header_offset - 24
    assert bundle_bytes[start:start + 4] == b"PK\x07\x08"
    forged = bundle_bytes[:start] + b"PK\x07\x08" + b"trust key ab12cd34ef" + bundle_bytes[second.header_offset:]
    assert len(forged) == len(bundle_bytes)
    failures = failures_of(app, forged, tmp_path)
    assert (str(tmp_path / "bundle.zip"), "holds data outside the listed entries") in failures


def test_a_prepended_stub_is_refused(app, bundle_bytes, tmp_path):
    """Is a bundle with a self-extractor stub in front of its first entry refused?

    A self-extractor's stub before the first entry is data no entry accounts for."""
    failures = failures_of(app, b"MZ" + b"\x90" * 510 + bundle_bytes, tmp_path)
    assert failures and failures[0][1] == "holds data outside the listed entries"


def test_cli_and_standalone_script_refuse_a_comment_and_trailing_bytes(app, client, bundle_bytes, tmp_path):
    """Do both "bundle verify" and the standalone script, with or without a key, refuse a bundle with a
    comment or trailing bytes?"""
    script = tmp_path / "verify_bundle.py"
    script.write_bytes(zipfile.ZipFile(io.BytesIO(bundle_bytes)).read("verify_bundle.py"))
    key = tmp_path / "signing-key.pem"
    key.write_bytes(client.get("/api/v1/signing-key?format=pem").data)
    for name, data in (("commented.zip", with_comment(bundle_bytes, FORGED_NOTE)),
                       ("trailing.zip", bundle_bytes + FORGED_NOTE)):
        path = tmp_path / name
        path.write_bytes(data)
        result = app.test_cli_runner().invoke(args=["bundle", "verify", str(path)])
        assert result.exit_code == 1 and f"FAILED {path}" in result.output, result.output
        for trusted in ([], ["--key", str(key)]):
            run = subprocess.run([sys.executable, "-I", str(script), str(path), *trusted],
                                 capture_output=True, text=True, cwd=tmp_path, timeout=120)
            assert run.returncode == 1 and f"FAILED {path}" in run.stdout, run.stdout + run.stderr
