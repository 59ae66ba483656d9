"""A real RFC 3161 timestamp authority on 127.0.0.1 for the tests: a throwaway CA and TSA
certificate (RSA, extendedKeyUsage critical timeStamping) made with ``cryptography``, and an HTTP
server that answers each query with ``openssl ts -reply``. ``mode`` makes it misbehave as an
authority might: "junk" (10 MB of noise), "rejection" (OpenSSL's own refusal), "html" (a web page),
"error" (HTTP 500). ``down_url`` is an address where nothing answers.
"""
from __future__ import annotations

import datetime
import http.server
import os
import socket
import subprocess
import tempfile
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

JUNK_SIZE = 10 * 1024 * 1024
CONFIG = """[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = {folder}/serial
signer_cert = {folder}/tsa.pem
signer_key = {folder}/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = {digests}
accuracy = secs:1
ess_cert_id_alg = sha256
"""


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Тестовий центр"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(path, certificate_or_key) -> None:
    if isinstance(certificate_or_key, x509.Certificate):
        data = certificate_or_key.public_bytes(serialization.Encoding.PEM)
    else:
        data = certificate_or_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption())
    with open(path, "wb") as handle:
        handle.write(data)


class LocalAuthority:
    """A CA, a TSA certificate it issued, OpenSSL's configuration, and (once started) the server."""

    def __init__(self, folder, name: str = "Test TSA"):
        self.folder, self.name, self.mode = str(folder), name, "ok"
        now = datetime.datetime.now(datetime.UTC)
        valid = {"not_valid_before": now - datetime.timedelta(days=1), "not_valid_after": now + datetime.timedelta(days=30)}
        ca_key, tsa_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
        ca = (x509.CertificateBuilder(subject_name=_name(f"{name} CA"), issuer_name=_name(f"{name} CA"),
                                      public_key=ca_key.public_key(), serial_number=1, **valid)
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .sign(ca_key, hashes.SHA256()))
        tsa = (x509.CertificateBuilder(subject_name=_name(name), issuer_name=ca.subject,
                                       public_key=tsa_key.public_key(), serial_number=2, **valid)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
               .sign(ca_key, hashes.SHA256()))
        self.ca_file = os.path.join(self.folder, "ca.pem")
        _pem(self.ca_file, ca)
        _pem(os.path.join(self.folder, "tsa.pem"), tsa)
        _pem(os.path.join(self.folder, "tsa.key"), tsa_key)
        with open(os.path.join(self.folder, "serial"), "w") as handle:
            handle.write("01\n")
        # Two configurations: one grants SHA-256 imprints, the other takes SHA-512 only, so it
        # refuses ours with a real "rejection" (badAlg).
        for config, digests in (("grant.cnf", "sha256, sha384, sha512"), ("reject.cnf", "sha512")):
            with open(os.path.join(self.folder, config), "w") as handle:
                handle.write(CONFIG.format(folder=self.folder, digests=digests))
        self.server = None

    def reply(self, query: bytes, config: str = "grant.cnf") -> bytes:
        """OpenSSL's answer (a TimeStampResp, DER) to ``query``."""
        with tempfile.TemporaryDirectory(dir=self.folder) as work:
            asked, answer = os.path.join(work, "query.tsq"), os.path.join(work, "reply.tsr")
            with open(asked, "wb") as handle:
                handle.write(query)
            subprocess.run(["openssl", "ts", "-reply", "-config", os.path.join(self.folder, config),
                            "-queryfile", asked, "-out", answer], check=True, capture_output=True, timeout=60)
            with open(answer, "rb") as handle:
                return handle.read()

    def stamp(self, data: bytes) -> bytes:
        """A reply stamping ``data``, asked for as ``openssl ts -query`` asks (with the certificate)."""
        with tempfile.TemporaryDirectory(dir=self.folder) as work:
            path = os.path.join(work, "data")
            with open(path, "wb") as handle:
                handle.write(data)
            query = subprocess.run(["openssl", "ts", "-query", "-data", path, "-sha256", "-cert"],
                                   check=True, capture_output=True, timeout=60).stdout
        return self.reply(query)

    def start(self) -> None:
        authority = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                kind, body, status = "application/timestamp-reply", b"", 200
                if authority.mode == "junk":
                    body = os.urandom(1024) * (JUNK_SIZE // 1024)
                elif authority.mode == "html":
                    kind, body = "text/html", b"<html>Maintenance</html>"
                elif authority.mode == "error":
                    status = 500
                else:
                    body = authority.reply(query, "reject.cnf" if authority.mode == "rejection" else "grant.cnf")
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading, as it should past its limit

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/tsa"

    @staticmethod
    def down_url() -> str:
        """An address on this machine where nothing listens (a port just freed)."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return f"http://127.0.0.1:{port}/tsa"
