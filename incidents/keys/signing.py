"""The installation's signing key: Ed25519, from ``cryptography``.

Dossier bundles are signed with it so that a recipient can tell a bundle came from this
installation and was not changed on the way. The private key lives in the instance folder
(mode 0600), never in the repository; the public key is published at ``/api/v1/signing-key``.
"""
from __future__ import annotations

import base64
import hashlib
import os
import tempfile

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNING_KEY_FILE = "signing_key.pem"


def signing_key(instance_path: str, create: bool = True) -> Ed25519PrivateKey:
    """The installation's private key, created on first use unless ``create`` is False.

    :raise FileNotFoundError: no key yet, and ``create`` is False.
    """
    path = os.path.join(instance_path, SIGNING_KEY_FILE)
    if create:
        create_once(path, lambda: private_pem(Ed25519PrivateKey.generate()))
    with open(path, "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def create_once(path: str, make) -> None:
    """Write the bytes ``make()`` returns to ``path`` (mode 0600) unless it exists. They are written
    to a temporary file and linked into place, so that a process starting at the same moment reads
    either no file or the whole file, never a half-written one; the first to link wins."""
    if os.path.exists(path):
        return
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".new-key-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(make())
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process won the race: the caller reads its file
    finally:
        os.unlink(temporary)


def private_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of the public key, as RFC 8032 defines them."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fingerprint(raw_public: bytes) -> str:
    """SHA-256 of the raw public key, in hex: what people compare over the phone."""
    return hashlib.sha256(raw_public).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    return key.sign(data)


def verify(raw_public: bytes, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` over ``data`` was made by the holder of ``raw_public``."""
    try:
        Ed25519PublicKey.from_public_bytes(raw_public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True
