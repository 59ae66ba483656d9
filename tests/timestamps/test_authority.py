"""Asking the authority: a request OpenSSL reads, a reply checked before it is kept, and every
way an authority can fail (silence, refusal, junk, another CA, an old reply) refused by name."""
from __future__ import annotations

import datetime
import hashlib
import os
import socketserver
import subprocess
import threading
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from incidents.config import load_settings
from incidents.dossiers import verify_timestamp
from incidents.timestamps import authority
from incidents.timestamps.authority import Authority, Unavailable, request

DIGEST = hashlib.sha256(b"the head of an audit trail").digest()


def test_a_token_is_asked_for_checked_and_holds_for_openssl_too(tsa, tmp_path):
    """Does the authority answer the installation's request with a token that says when and who,
    chains to its CA, and that OpenSSL's own `ts -verify` accepts as well?"""
    stamped = Authority(tsa.url, tsa.ca_file).stamp(DIGEST)
    now = datetime.datetime.now(datetime.UTC)
    assert abs(stamped.stamp.time - now) < datetime.timedelta(minutes=1)
    assert stamped.stamp.subject == "C=UA, O=Тестовий центр, CN=Test TSA" and stamped.stamp.chained
    (tmp_path / "token.tsr").write_bytes(stamped.token)
    checked = subprocess.run(["openssl", "ts", "-verify", "-digest", DIGEST.hex(), "-in", str(tmp_path / "token.tsr"),
                              "-CAfile", tsa.ca_file], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stdout + checked.stderr


def test_the_request_is_what_openssl_reads_as_one(tmp_path):
    """Does OpenSSL read the request as RFC 3161 says: SHA-256, the nonce, the certificate asked for?"""
    (tmp_path / "query.tsq").write_bytes(request(DIGEST, 0x4142434445464748))
    shown = subprocess.run(["openssl", "ts", "-query", "-in", str(tmp_path / "query.tsq"), "-text"],
                           capture_output=True, text=True, timeout=60).stdout
    assert "Hash Algorithm: sha256" in shown and "Nonce: 0x4142434445464748" in shown
    assert "Certificate required: yes" in shown and DIGEST.hex()[:8] in shown.replace(" ", "").lower()


def test_an_old_reply_is_not_taken_for_a_new_one(tsa, monkeypatch):
    """Is a genuine reply to an earlier request (same bytes, another nonce) refused, as a replay?"""
    authority = Authority(tsa.url, tsa.ca_file)
    earlier = authority.stamp(DIGEST).token
    monkeypatch.setattr(Authority, "_post", lambda self, query: earlier)
    with pytest.raises(Unavailable, match="nonce is not the request's"):
        authority.stamp(DIGEST)


@pytest.mark.parametrize("mode, message", [
    ("junk", "answered more than 262144 bytes"),
    ("rejection", "the authority refused: status rejection"),
    ("html", "answered text/html, not a timestamp reply"),
    ("error", "answered HTTP 500"),
])
def test_an_authority_that_misbehaves_is_refused_by_name(tsa, mode, message):
    """Is each bad answer (10 MB of junk, a refusal, a web page, a server error) refused quickly,
    saying what it was?"""
    tsa.mode = mode
    started = time.monotonic()
    with pytest.raises(Unavailable, match=message):
        Authority(tsa.url, tsa.ca_file).stamp(DIGEST)
    assert time.monotonic() - started < 10


def test_an_authority_that_does_not_answer_is_named(tsa):
    """Is an address where nothing answers refused as such, at once?"""
    url = tsa.down_url()
    with pytest.raises(Unavailable, match=f"{url} did not answer"):
        Authority(url, tsa.ca_file).stamp(DIGEST)



@pytest.fixture
def trickling():
    """An authority that answers a byte every 0.2 s, from its headers (``where`` = "headers") or
    only once they are sent ("body"): each read gets a byte well within any read timeout."""
    where = {"at": "headers"}

    class Slow(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: 400\r\n\r\n"
            if where["at"] == "body":
                self.request.sendall(head)
                head = b""
            try:
                for byte in head + b"\x30" * 400:
                    self.request.sendall(bytes([byte]))
                    time.sleep(0.2)
            except OSError:
                pass  # cut off by the client: what the test wants

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield where, f"http://127.0.0.1:{server.server_address[1]}/tsr"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("at", ["headers", "body"])
def test_an_authority_that_trickles_its_answer_is_cut_off_at_the_deadline(trickling, monkeypatch, at):
    """Does an authority sending its headers, or its body, a byte at a time (never silent long
    enough for a read to time out) lose the connection at the deadline, named as such, rather than
    hold the bundle or the request for minutes?"""
    monkeypatch.setattr(authority, "TIMEOUT", 1)
    where, url = trickling
    where["at"] = at
    started = time.monotonic()
    with pytest.raises(Unavailable, match=f"{url} did not finish its answer within 1 seconds"):
        Authority(url, "").stamp(DIGEST)
    assert time.monotonic() - started < 3

def test_a_token_of_an_authority_under_another_ca_is_refused(tsa, other_tsa):
    """When the installation names its authority's CA, is a valid token whose certificate another CA
    issued refused?"""
    with pytest.raises(Unavailable, match="does not chain to the CA certificates given"):
        Authority(tsa.url, other_tsa.ca_file).stamp(DIGEST)


def test_every_changed_byte_of_a_token_is_refused_or_changes_nothing_it_says(tsa):
    """Does the check of a token, with every single byte changed in turn, either refuse it (an Invalid,
    never another exception) or, for the few bytes nothing signs (versions, the NULL of an algorithm),
    still say exactly what the token said?"""
    token = tsa.stamp(b"a manifest")
    digest = hashlib.sha256(b"a manifest").digest()
    anchors = verify_timestamp.read_certificates(tsa.ca_file)
    genuine = verify_timestamp.check(token, digest, anchors)
    refused = 0
    for index in range(len(token)):
        changed = token[:index] + bytes([token[index] ^ 0x41]) + token[index + 1:]
        try:
            assert verify_timestamp.check(changed, digest, anchors) == genuine, index
        except verify_timestamp.Invalid:
            refused += 1
    assert refused > len(token) * 0.95
    for hostile in (b"", token[:-1], token + b"\x00", b"\x30\x84\xff\xff\xff\xff" + token, os.urandom(4096),
                    b"\x30\x80" + token[2:]):
        with pytest.raises(verify_timestamp.Invalid):
            verify_timestamp.check(hostile, digest, anchors)


@pytest.mark.parametrize("size, digest, algorithm", [(2048, "sha256", hashes.SHA256()),
                                                     (3072, "sha384", hashes.SHA384()),
                                                     (2048, "sha512", hashes.SHA512())])
def test_pure_python_rsa_agrees_with_cryptography(size, digest, algorithm):
    """Does the plain-Python PKCS#1 v1.5 check accept what the cryptography library signs, and refuse
    an altered message, signature or key?"""
    key = rsa.generate_private_key(public_exponent=65537, key_size=size)
    numbers = key.public_key().public_numbers()
    public = (numbers.n, numbers.e)
    message = os.urandom(100)
    signature = key.sign(message, padding.PKCS1v15(), algorithm)
    assert verify_timestamp.rsa_verify(public, signature, message, digest)
    assert not verify_timestamp.rsa_verify(public, signature, message + b"x", digest)
    assert not verify_timestamp.rsa_verify(public, signature[:-1] + bytes([signature[-1] ^ 1]), message, digest)
    other = rsa.generate_private_key(public_exponent=65537, key_size=size).public_key().public_numbers()
    assert not verify_timestamp.rsa_verify((other.n, other.e), signature, message, digest)


def test_the_settings_refuse_an_authority_that_is_not_http(tmp_path):
    """Are an address that is not http(s) and a CA file that is not there refused at start?"""
    base = {"SECRET_KEY": "x", "DATA_KEY": "0" * 64, "BACKUP_KEY": "1" * 64}
    with pytest.raises(ValueError, match="INCIDENTS_TSA_URL"):
        load_settings(str(tmp_path), {**base, "TSA_URL": "file:///etc/passwd"})
    with pytest.raises(FileNotFoundError, match="INCIDENTS_TSA_CA"):
        load_settings(str(tmp_path), {**base, "TSA_URL": "https://tsa.example", "TSA_CA": str(tmp_path / "no.pem")})
    assert load_settings(str(tmp_path), base).TSA_URL == ""
