"""Identities encrypted at rest: AES-256-GCM on chosen columns, under the installation's data keys.

Legal names, contacts, sources, two-factor secrets, whole revision snapshots and the text of
evidence items and responses (which a reviewer may mark confidential) are stored as
``aes1:<key id>:<base64 of nonce, ciphertext and tag>``. A copied database file or backup then
holds nothing readable without a data key, which comes from ``INCIDENTS_DATA_KEY`` or a key file
(``instance/data_key`` unless ``INCIDENTS_DATA_KEY_FILE`` names another), never from the
database or the repository.

The key id in each value lets a rotation re-encrypt row by row while the old key still reads what
it has not reached yet. The column's name is bound in as associated data, so a value copied into
another column (a legal name moved to where pseudonyms are shown, say) fails to decrypt instead of
appearing there.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask_babel import lazy_gettext as _l

PREFIX = "aes1:"
NONCE_BYTES = 12
KEY_ID_CHARS = 12
HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")
HOW_TO_MAKE_ONE = 'python3 -c "import secrets; print(secrets.token_hex(32))"'


class DataKeyError(Exception):
    """A data key is malformed or missing, or a value cannot be decrypted with the keys held.

    Its message is translated when it is printed, in the language of that moment (English outside a
    request and a command's language: it may be raised before the application exists).
    """


def parse_keys(text: str) -> list[bytes]:
    """Keys written as 64 hex digits each, separated by spaces, commas or lines; the first is current.

    :raise DataKeyError: no key, or one that is not 64 hex digits (32 random bytes).
    """
    words = [word for word in re.split(r"[\s,]+", text or "") if word]
    if not words:
        raise DataKeyError(_l("No data key. Make one with %(command)s", command=HOW_TO_MAKE_ONE))
    for number, word in enumerate(words, 1):
        if not HEX_KEY.fullmatch(word):
            # A passphrase would be guessable; only random bytes are accepted.
            raise DataKeyError(_l("Data key %(number)s is not 64 hexadecimal digits. Make one with %(command)s",
                                  number=number, command=HOW_TO_MAKE_ONE))
    return [bytes.fromhex(word) for word in words]


def key_id(key: bytes) -> str:
    """A short, public name for a key: which key a value or a backup needs, without revealing it."""
    return hashlib.sha256(b"incidents data key\0" + key).hexdigest()[:KEY_ID_CHARS]


def id_of(value: str) -> str | None:
    """The id of the key that encrypted ``value``, or None when it is not an encrypted value."""
    if not value.startswith(PREFIX):
        return None
    return value[len(PREFIX):len(PREFIX) + KEY_ID_CHARS]


class Keyring:
    """The data keys this process holds: the current one encrypts, every one decrypts."""

    def __init__(self) -> None:
        self._keys: dict[str, AESGCM] = {}
        self.current_id: str | None = None

    def configure(self, keys: list[bytes]) -> None:
        self._keys = {key_id(key): AESGCM(key) for key in keys}
        self.current_id = key_id(keys[0])

    @property
    def ids(self) -> list[str]:
        return list(self._keys)

    def encrypt(self, plaintext: bytes, context: str) -> str:
        if self.current_id is None:
            raise DataKeyError(_l("No data key is configured: create_app sets one before the database is used."))
        nonce = os.urandom(NONCE_BYTES)  # random 96-bit nonces: safe far beyond 2**32 values per key
        sealed = self._keys[self.current_id].encrypt(nonce, plaintext, context.encode())
        return f"{PREFIX}{self.current_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, value: str, context: str) -> bytes:
        """:raise DataKeyError: not an encrypted value, a key not held, or a value altered or moved."""
        wanted = id_of(value)
        if wanted is None:
            raise DataKeyError(_l("%(column)s holds a value that is not encrypted.", column=context))
        cipher = self._keys.get(wanted)
        if cipher is None:
            raise DataKeyError(_l("%(column)s was encrypted with data key %(key)s, which this installation does "
                                  "not hold (it holds %(held)s).", column=context, key=wanted,
                                  held=", ".join(self.ids) or _l("none")))
        try:
            raw = base64.b64decode(value[len(PREFIX) + KEY_ID_CHARS + 1:], validate=True)
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except (InvalidTag, ValueError, binascii.Error):
            raise DataKeyError(_l("A value of %(column)s has been altered, cut or moved from another column.",
                                  column=context)) from None


keyring = Keyring()  # configured by create_app, as the database proxy is
