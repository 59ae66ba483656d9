"""Timestamped bundles: the manifest stamped by the installation's RFC 3161 authority when the bundle
is made, the token checked offline by "bundle verify" and by the script a recipient runs with
nothing but Python; every way of tampering with it named; an authority that fails said plainly."""
from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
import zipfile

import pytest

from incidents.accounts import credentials
from incidents.dossiers import verify_bundle
from incidents.models import Job
from tests.factories import make_facility, make_incident, publish
from tests.helpers import rewrite, translated
from tests.helpers import run_command as run

SUBJECT = "C=UA, O=Тестовий центр, CN=Test TSA"


@pytest.fixture
def settings(settings, tsa):
    return {**settings, "TSA_URL": tsa.url, "TSA_CA": tsa.ca_file}


@pytest.fixture
def published(users):
    facility = make_facility(users["contributor"])
    return publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])


def make_bundle(app, users, published) -> bytes:
    token = credentials.issue_api_token(users["lawyer"])
    response = app.test_client().post("/api/v1/dossiers", headers={"Authorization": f"Bearer {token}"},
                                      json={"incident_ids": [published.id], "lang": "en", "redaction": "public"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.data


@pytest.fixture
def stamped(app, users, published):
    return make_bundle(app, users, published)


def read(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


class Recipient:
    """Someone with the bundle, the installation's public key and (perhaps) the authority's CA, who
    runs the two verifiers copied out of the bundle with nothing but Python."""

    def __init__(self, app, client, data: bytes, folder):
        self.app, self.folder = app, folder
        self.scripts = folder / "recipient"
        self.scripts.mkdir(exist_ok=True)
        for name in ("verify_bundle.py", "verify_timestamp.py"):
            (self.scripts / name).write_bytes(read(data, name))
        self.key = folder / "signing-key.pem"
        self.key.write_bytes(client.get("/api/v1/signing-key?format=pem").data)

    def check(self, data: bytes, *options: str):
        """(exit status, output) of "bundle verify" and of the standalone script, in that order."""
        path = self.folder / "bundle.zip"
        path.write_bytes(data)
        command = run(self.app, "bundle", "verify", str(path), *options)
        # -I: isolated mode, so neither this project nor the virtualenv's packages are importable.
        script = subprocess.run([sys.executable, "-I", str(self.scripts / "verify_bundle.py"), str(path),
                                 "--key", str(self.key), *options], capture_output=True, text=True,
                                cwd=self.folder, timeout=120)
        return (command.exit_code, command.output), (script.returncode, script.stdout + script.stderr)


def test_a_bundle_carries_a_token_of_its_manifest(app, stamped, tsa, tmp_path):
    """Does a bundle made with an authority configured carry manifest.tsr, a token over manifest.json
    that OpenSSL's own `ts -verify` accepts, a manifest saying so, and a README saying what it is?"""
    names = zipfile.ZipFile(io.BytesIO(stamped)).namelist()
    assert {"manifest.tsr", "verify_timestamp.py", "verify_bundle.py"} <= set(names)
    manifest = json.loads(read(stamped, "manifest.json"))
    assert manifest["timestamp"] == {"authority": tsa.url, "token": "manifest.tsr"}
    assert "manifest.tsr is an RFC 3161 timestamp of manifest.json" in read(stamped, "README.txt").decode()
    for name in ("manifest.tsr", "manifest.json"):
        (tmp_path / name).write_bytes(read(stamped, name))
    checked = subprocess.run(["openssl", "ts", "-verify", "-in", "manifest.tsr", "-data", "manifest.json",
                              "-CAfile", tsa.ca_file], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert "Verification: OK" in checked.stdout, checked.stdout + checked.stderr


def test_both_verifiers_pass_it_and_say_when_and_by_whom(app, client, stamped, tsa, tmp_path):
    """Do "bundle verify" and the standalone script pass the bundle and print the authority's time and
    name, chained to its CA when given it (the command takes the installation's CA by default)?"""
    recipient = Recipient(app, client, stamped, tmp_path)
    (command, output), (script, printed) = recipient.check(stamped, "--tsa-ca", tsa.ca_file)
    assert command == 0 and script == 0, output + printed
    assert f"UTC (the authority's clock) by {SUBJECT}." in output
    assert "Its certificate chains to the authority's CA certificate." in output
    assert f"UTC (the authority's clock) by {SUBJECT}, whose certificate chains to the CA given." in printed
    (command, output), (script, printed) = recipient.check(stamped)
    assert command == 0 and "Its certificate chains to the authority's CA certificate." in output
    assert script == 0 and "That certificate was not checked against a CA: run again with --tsa-ca" in printed


def _flip_signature(data, tsa, other_tsa):
    return rewrite(data, lambda name, content: content[:-1] + bytes([content[-1] ^ 1])
                   if name == "manifest.tsr" else content)


def _change_the_time(data, tsa, other_tsa):
    def change(name, content):
        if name != "manifest.tsr":
            return content
        at = content.index(b"\x18\x0f") + 2 + 13  # the last digit of the seconds in TSTInfo's genTime
        return content[:at] + bytes([content[at] ^ 1]) + content[at + 1:]
    return rewrite(data, change)


def _token_of_other_bytes(data, tsa, other_tsa):
    token = tsa.stamp(b"another manifest")
    return rewrite(data, lambda name, content: token if name == "manifest.tsr" else content)


def _change_the_manifest(data, tsa, other_tsa):
    return rewrite(data, lambda name, content: content + b" " if name == "manifest.json" else content)


def _another_authority(data, tsa, other_tsa):
    token = other_tsa.stamp(read(data, "manifest.json"))
    return rewrite(data, lambda name, content: token if name == "manifest.tsr" else content)


def _remove_the_token(data, tsa, other_tsa):
    return rewrite(data, lambda name, content: None if name == "manifest.tsr" else content)


def _junk_token(data, tsa, other_tsa):
    return rewrite(data, lambda name, content: b"\x30\x03junk" if name == "manifest.tsr" else content)


@pytest.mark.parametrize("tamper, problem", [
    (_flip_signature, "the authority's signature does not match: the token was altered after it was signed"),
    (_change_the_time, "the stamped content (TSTInfo) was changed: it no longer matches the digest the authority signed"),
    (_token_of_other_bytes, "it stamps other bytes: its message imprint is not their SHA-256"),
    (_change_the_manifest, "it stamps other bytes: its message imprint is not their SHA-256"),
    (_another_authority, "does not chain to the CA certificates given: another authority, or a forged certificate"),
    (_remove_the_token, "missing: the manifest says the bundle was timestamped, so the token was removed"),
    (_junk_token, "not a readable RFC 3161 timestamp"),
])
def test_a_tampered_token_fails_both_verifiers_with_its_own_message(app, client, stamped, tsa, other_tsa,
                                                                    tmp_path, tamper, problem):
    """Does each way of tampering (a byte of the signature, the stamped time, a token of other bytes,
    a changed manifest, another authority's token, the token taken out, junk) fail "bundle verify" and
    the standalone script with its own message?"""
    recipient = Recipient(app, client, stamped, tmp_path)
    changed = tamper(stamped, tsa, other_tsa)
    for status, output in recipient.check(changed, "--tsa-ca", tsa.ca_file):
        named = [line for line in output.splitlines() if line.startswith("FAILED manifest.tsr: ")]
        assert status == 1 and len(named) == 1 and problem in named[0], output


def test_a_token_is_held_to_the_ca_given(app, client, stamped, other_tsa, tmp_path):
    """Does a genuine bundle fail both verifiers when they are given another authority's CA?"""
    for status, output in Recipient(app, client, stamped, tmp_path).check(stamped, "--tsa-ca", other_tsa.ca_file):
        assert status == 1 and "FAILED manifest.tsr: the authority's certificate (" + SUBJECT in output, output
        assert "does not chain to the CA certificates given" in output


def test_a_ca_file_that_holds_no_certificate_is_refused(app, client, stamped, tmp_path):
    """Is a --tsa-ca file that is not a PEM certificate refused by both verifiers, saying so, the
    script with its status for a file it cannot read?"""
    ca = tmp_path / "not-a-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
    (command, output), (script, printed) = Recipient(app, client, stamped, tmp_path).check(stamped, "--tsa-ca", str(ca))
    assert command == 1 and f"Error: {ca}: not a readable certificate file" in output, output
    assert script == 2 and f"FAILED: {ca}: not a readable certificate file" in printed, printed


def test_the_script_without_its_companion_says_what_to_extract(app, client, stamped, tmp_path):
    """Does the standalone script copied alone, without verify_timestamp.py, fail a timestamped bundle
    and say which file to extract beside it?"""
    recipient = Recipient(app, client, stamped, tmp_path)
    (recipient.scripts / "verify_timestamp.py").unlink()
    _command, (status, output) = recipient.check(stamped)
    assert status == 1 and "extract verify_timestamp.py beside verify_bundle.py" in output, output


@pytest.mark.parametrize("mode, reason", [
    ("down", "did not answer"),
    ("junk", "answered more than 262144 bytes"),
    ("rejection", "the authority refused: status rejection"),
])
def test_an_authority_that_fails_gives_a_bundle_that_says_it_is_not_timestamped(app, client, users, published,
                                                                               tsa, tmp_path, mode, reason):
    """When the authority is down, sends 10 MB of junk or refuses, is the bundle made all the same
    with no token and a signed manifest saying why, passing both verifiers as not timestamped, and
    failing them when a timestamp check is asked for?"""
    if mode == "down":
        app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], TSA_URL=tsa.down_url())
    tsa.mode = mode
    data = make_bundle(app, users, published)
    assert "manifest.tsr" not in zipfile.ZipFile(io.BytesIO(data)).namelist()
    declared = json.loads(read(data, "manifest.json"))["timestamp"]
    assert set(declared) == {"authority", "missing"} and reason in declared["missing"]
    recipient = Recipient(app, client, data, tmp_path)
    (command, output), (script, printed) = recipient.check(data)
    assert command == 0 and "Not timestamped: the timestamp authority gave no valid timestamp when the bundle was made" \
        in output and reason in output, output
    assert script == 0 and "Not timestamped: the authority gave no valid timestamp when the bundle was made" in printed
    for status, output in recipient.check(data, "--tsa-ca", tsa.ca_file):
        assert status == 1 and "FAILED manifest.tsr: not timestamped (the authority gave none:" in output
        assert "and a timestamp check was asked for" in output, output


def test_a_bundle_of_an_installation_without_an_authority(app, client, users, published, tsa, tmp_path):
    """Without an authority, is the bundle simply not timestamped (its manifest says nothing of one),
    passing both verifiers, and failing them only when a timestamp check is asked for?"""
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], TSA_URL="", TSA_CA="")
    data = make_bundle(app, users, published)
    assert "timestamp" not in json.loads(read(data, "manifest.json"))
    assert "manifest.tsr is" not in read(data, "README.txt").decode()
    recipient = Recipient(app, client, data, tmp_path)
    for status, output in recipient.check(data):
        assert status == 0 and "Not timestamped." in output, output
    for status, output in recipient.check(data, "--tsa-ca", tsa.ca_file):
        assert status == 1 and "FAILED manifest.tsr: not timestamped, and a timestamp check was asked for" in output


def test_a_token_put_into_a_bundle_that_was_not_stamped_fails_both_verifiers(app, client, users, published, tsa,
                                                                              other_tsa, tmp_path):
    """A token lies outside the signature: anyone can add one, from an authority of their own, with
    any time. Does a bundle whose signed manifest names no token, given one afterwards, fail both
    verifiers (with or without a CA) instead of reading as timestamped?"""
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], TSA_URL="", TSA_CA="")
    data = make_bundle(app, users, published)
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as bundle:
        bundle.writestr("manifest.tsr", other_tsa.stamp(read(data, "manifest.json")))
    recipient = Recipient(app, client, out.getvalue(), tmp_path)
    for options in ((), ("--tsa-ca", other_tsa.ca_file)):
        for status, output in recipient.check(out.getvalue(), *options):
            assert status == 1 and "FAILED manifest.tsr: not named by the signed manifest: added after the " \
                "bundle was signed" in output and "Timestamped at" not in output, output


@pytest.mark.parametrize("answers", [True, False])
def test_the_page_says_when_a_bundle_is_not_timestamped(app, published, tsa, as_role, answers):
    """Does the page that hands over a bundle the worker built warn, in the reader's language, when the
    authority gave no valid timestamp, and only then?"""
    tsa.mode = "ok" if answers else "rejection"
    lawyer = as_role("lawyer")
    lawyer.post("/dossier/add", {"incident_id": str(published.id)})
    started = lawyer.post("/dossier/build", {"lang": "uk", "redaction": "public", "layout": "dossier", "format": "zip"})
    page = lawyer.get(started.headers["Location"] + "?lang=uk").get_data(as_text=True)
    job = Job.get(Job.kind == "dossier")
    assert job.state == "done" and job.result["not_timestamped"] is not answers
    warning = translated(app, "This bundle is not timestamped: the timestamp authority gave no valid timestamp when "
                              "it was made (it did not answer, or refused). Its manifest says so, and why. Build it again later for a timestamped bundle.",
                         "uk")
    assert (warning in page) is not answers
    assert verify_bundle.declared_timestamp(json.loads(read(lawyer.get(started.headers["Location"] + "/file").data,
                                                            "manifest.json")))
