"""The installation's content credentials: the key and certificates that sign the C2PA manifest of
every public copy (``evidence/credentials.py``).

C2PA refuses a self-signed signing certificate, so the installation makes two: a root of its own
(the trust anchor a recipient adds to their C2PA tool, published at ``/api/v1/content-credentials``)
and a signing certificate it issues. The root's private key signs once and is thrown away: nobody,
not even whoever later takes the server, can issue another certificate under that root. Key,
signing certificate and root live in one file of the instance folder (mode 0600), made on first use.
"""
from __future__ import annotations

import datetime
import hashlib
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from incidents.keys.signing import create_once, private_pem

CREDENTIALS_FILE = "content_credentials.pem"
ORGANISATION = "Detention Abuse Register"
# Long enough to outlive the copies it signs (a manifest checked after its certificate ended is
# reported as expired); a new file, and a new anchor to publish, after that.
VALIDITY = datetime.timedelta(days=20 * 365)


@dataclass(frozen=True)
class Credentials:
    key: str  # PEM
    chain: str  # PEM: the signing certificate, then the root
    anchor: str  # PEM: the root alone

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the root's DER bytes, in hex: what a recipient compares with the published one."""
        root = x509.load_pem_x509_certificate(self.anchor.encode())
        return hashlib.sha256(root.public_bytes(serialization.Encoding.DER)).hexdigest()


def content_credentials(instance_path: str, installation: str) -> Credentials:
    """The installation's credentials, made on first use; ``installation`` (its public address)
    names it in the certificates."""
    path = os.path.join(instance_path, CREDENTIALS_FILE)
    create_once(path, lambda: _made(installation))
    with open(path, encoding="ascii") as handle:
        pem = handle.read()
    begin = "-----BEGIN CERTIFICATE-----"
    key, *certificates = pem.split(begin)
    if len(certificates) != 2:
        raise ValueError(f"{path} does not hold a key, a signing certificate and a root")
    signing, root = (begin + certificate for certificate in certificates)
    return Credentials(key=key, chain=signing + root, anchor=root)


def _made(installation: str) -> bytes:
    now = datetime.datetime.now(datetime.UTC)
    host = urlsplit(installation).hostname or installation

    def name(role: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                          x509.NameAttribute(NameOID.COMMON_NAME, f"{host} {role}"[:64])])

    def certificate(subject, issuer, public, signer, *extensions):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public)
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + VALIDITY)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False))
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(signer, hashes.SHA256())

    usage = dict(content_commitment=False, key_encipherment=False, data_encipherment=False,
                 key_agreement=False, encipher_only=False, decipher_only=False)
    root_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = certificate(name("content credentials root"), name("content credentials root"), root_key.public_key(),
                       root_key, (x509.BasicConstraints(ca=True, path_length=0), True),
                       (x509.KeyUsage(digital_signature=False, key_cert_sign=True, crl_sign=True, **usage), True))
    signing = certificate(
        name("content credentials"), root.subject, key.public_key(), root_key,
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False, **usage), True),
        # One of the purposes C2PA accepts for a signing certificate.
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False))
    return private_pem(key) + b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (signing, root))
