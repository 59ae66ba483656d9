"""Asking the timestamp authority the installation configures (``TSA_URL``) to stamp a SHA-256.

RFC 3161 over HTTP: a TimeStampReq POSTed as ``application/timestamp-query``, asking for the
authority's certificate in the token (certReq), so that whoever holds the token can check it
offline, and carrying a random nonce that the reply must echo, so that an old or misdirected
reply is not taken for this one. The reply is checked before anything keeps it, by the code that
checks it in a bundle (``dossiers/verify_timestamp.py``); with ``TSA_CA``, against that CA.
"""
from __future__ import annotations

import contextlib
import http.client
import secrets
import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass

from incidents.dossiers import verify_timestamp

# Seconds to wait for the authority: for a connection, for each read, and for the whole answer.
TIMEOUT = 10
REPLY_TYPES = ("application/timestamp-reply", "application/timestamp-response")  # the second: older servers
# An AlgorithmIdentifier of SHA-256 (with its NULL parameters), in DER.
SHA256 = bytes.fromhex("300d06096086480165030402010500")


class Unavailable(Exception):
    """The authority did not answer, or gave no valid timestamp of what was asked; the message says
    which, in English (it goes into logs and into a bundle's manifest)."""


@dataclass(frozen=True)
class Stamped:
    """A checked timestamp: the authority's reply as it came (``token``) and what it says."""

    token: bytes
    stamp: verify_timestamp.Stamp


def trusted_certificates(settings) -> list[verify_timestamp.Certificate]:
    """The CA certificates of ``TSA_CA``; none when it is not set.

    :raise ValueError: the file is not a PEM file of certificates.
    """
    return verify_timestamp.read_certificates(settings.TSA_CA) if settings.TSA_CA else []


@dataclass(frozen=True)
class Authority:
    url: str
    ca_file: str

    @classmethod
    def configured(cls, settings) -> Authority | None:
        """The installation's authority; None when ``TSA_URL`` is empty."""
        return cls(settings.TSA_URL, settings.TSA_CA) if settings.TSA_URL else None

    def stamp(self, sha256: bytes) -> Stamped:
        """A timestamp of the bytes whose SHA-256 is ``sha256``, checked.

        :raise Unavailable: no answer, a refusal, or a reply that is not a valid token of them.
        """
        try:
            anchors = verify_timestamp.read_certificates(self.ca_file) if self.ca_file else None
        except (OSError, ValueError) as exc:
            raise Unavailable(f"INCIDENTS_TSA_CA: {exc}") from None
        # Eight bytes whose first is neither 0 nor above 0x7f: a positive INTEGER in minimal DER.
        nonce = 1 << 62 | secrets.randbits(62)
        reply = self._post(request(sha256, nonce))
        try:
            return Stamped(reply, verify_timestamp.check(reply, sha256, anchors, nonce))
        except verify_timestamp.Invalid as exc:
            raise Unavailable(f"{self.url} gave no valid timestamp: {exc}") from None

    def _post(self, query: bytes) -> bytes:
        # The scheme is http or https (S310): config.py refuses any other in TSA_URL.
        headers = {"Content-Type": "application/timestamp-query", "Accept": REPLY_TYPES[0]}
        asked = urllib.request.Request(self.url, data=query, method="POST", headers=headers)  # noqa: S310
        limit, watched = verify_timestamp.MAX_TOKEN, _Watched()
        # A socket's timeout bounds each read, not the answer: an authority trickling its headers or
        # its body a byte at a time would hold a bundle (or a request) for as long as it likes. At
        # the deadline the connection is cut, which ends whatever read waits on it.
        deadline = threading.Timer(TIMEOUT, watched.cut)
        deadline.start()
        try:
            with watched.opener.open(asked, timeout=TIMEOUT) as answer:
                kind, reply = answer.headers.get_content_type(), b""
                while len(reply) <= limit and (piece := answer.read(16384)):  # nor megabytes fill the memory
                    reply += piece
        except urllib.error.HTTPError as exc:
            raise Unavailable(f"{self.url} answered HTTP {exc.code}") from None
        except (OSError, http.client.HTTPException) as exc:  # refused, unreachable, timed out, cut off
            if watched.was_cut.is_set():
                raise Unavailable(f"{self.url} did not finish its answer within {TIMEOUT} seconds") from None
            raise Unavailable(f"{self.url} did not answer ({getattr(exc, 'reason', exc)})") from None
        finally:
            deadline.cancel()
        if watched.was_cut.is_set():
            raise Unavailable(f"{self.url} did not finish its answer within {TIMEOUT} seconds")
        if kind not in REPLY_TYPES:
            raise Unavailable(f"{self.url} answered {kind}, not a timestamp reply")
        if len(reply) > limit:
            raise Unavailable(f"{self.url} answered more than {limit} bytes, far more than a timestamp")
        return reply


class _Watched:
    """An opener whose connections can be cut from another thread (``cut``): urllib's, through its
    own handlers (proxies from the environment still apply), keeping each connection's socket."""

    def __init__(self) -> None:
        self.sockets, self.was_cut = [], threading.Event()
        kept = self.sockets

        class Plain(http.client.HTTPConnection):
            def connect(self):
                super().connect()
                kept.append(self.sock)

        class Secure(http.client.HTTPSConnection):
            def connect(self):
                super().connect()
                kept.append(self.sock)

        class PlainHandler(urllib.request.HTTPHandler):
            def http_open(self, req):
                return self.do_open(Plain, req)

        class SecureHandler(urllib.request.HTTPSHandler):
            def https_open(self, req):
                return self.do_open(Secure, req, context=self._context)

        self.opener = urllib.request.build_opener(PlainHandler, SecureHandler)

    def cut(self) -> None:
        self.was_cut.set()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def request(sha256: bytes, nonce: int) -> bytes:
    """The DER of a TimeStampReq (RFC 3161, section 2.4.1): version 1, the SHA-256 as message
    imprint, the nonce, certReq true. Every part is shorter than 128 bytes: short-form lengths."""
    def der(tag: int, body: bytes) -> bytes:
        return bytes([tag, len(body)]) + body
    imprint = der(0x30, SHA256 + der(0x04, sha256))
    return der(0x30, der(0x02, b"\x01") + imprint + der(0x02, nonce.to_bytes(8, "big")) + der(0x01, b"\xff"))
