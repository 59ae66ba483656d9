"""Rotating the data key, and counting which key encrypts how many values (see keys/encryption.py).

A rotation makes a new key current, re-encrypts every value in batches, each batch in its own
transaction, and only then drops the old key. A rotation killed half-way leaves every value
readable (the key file holds both keys until the end) and the next run finishes it.

Run it with the application stopped: a running worker keeps the keys it started with, so it
could neither read values under the new key nor stop writing under the old one.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from peewee import Value, fn

from incidents.db import database, truncate_log
from incidents.keys.encryption import KEY_ID_CHARS, PREFIX, DataKeyError, id_of, key_id, keyring, parse_keys
from incidents.models import sealed_fields

BATCH = 500
PLAIN = "plain text"


@dataclass
class Rotation:
    current: str
    retired: list[str] = field(default_factory=list)
    values: int = 0  # re-encrypted


def counts() -> dict[str, int]:
    """How many values each key id encrypts (``PLAIN`` for values not encrypted yet)."""
    found: dict[str, int] = {}
    for model, column in sealed_fields():
        head = fn.SUBSTR(column, 1, len(PREFIX) + KEY_ID_CHARS).coerce(False)
        query = (model.select(head, fn.COUNT(model._meta.primary_key))
                 .where(column.is_null(False) & (column != "")).group_by(head))
        for prefix, number in database.execute(query):  # raw: what the column holds, not decrypted
            name = id_of(prefix) or PLAIN
            found[name] = found.get(name, 0) + number
    return found


def reseal() -> int:
    """Encrypt with the current key every value not yet under it, plain text included; how many.

    Each batch is read and written in one transaction, so a save racing it is never overwritten
    with what the batch read before.
    """
    current = PREFIX + keyring.current_id
    changed = 0
    for model, column in sealed_fields():
        primary_key, context = model._meta.primary_key, column._context()
        head = fn.SUBSTR(column, 1, len(current)).coerce(False)
        stale = column.is_null(False) & (column != "") & (head != current)
        last = None
        while True:
            with database.atomic():
                query = model.select(primary_key, column).where(stale).order_by(primary_key).limit(BATCH)
                if last is not None:
                    query = query.where(primary_key > last)
                rows = list(database.execute(query))
                for key, value in rows:
                    plaintext = keyring.decrypt(value, context) if id_of(value) else value.encode("utf-8")
                    sealed = Value(keyring.encrypt(plaintext, context), unpack=False)  # already encrypted
                    model.update({column: sealed}).where(primary_key == key).execute()
            changed += len(rows)
            if len(rows) < BATCH:
                break
            last = rows[-1][0]
    return changed


def _write_keys(path: str, keys: list[bytes]) -> None:
    """Replace the key file in one step, so that a crash leaves the old file or the new, whole."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".data-key-")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(key.hex() for key in keys) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def rotate(settings) -> Rotation:
    """Re-encrypt every value under a new data key and retire the old ones.

    With the keys in a file (the default), a new key is made and written there first. With keys
    given in INCIDENTS_DATA_KEY, this process cannot change the environment: the operator puts the
    new key first and the old after it, runs this, then removes the old key.
    :raise DataKeyError: keys in the environment and no new key put first.
    """
    if settings.DATA_KEY_FILE:
        with open(settings.DATA_KEY_FILE) as handle:
            keys = parse_keys(handle.read())
        if len(keys) == 1:  # more than one: an earlier rotation was cut short, and this one finishes it
            keys = [os.urandom(32)] + keys
            _write_keys(settings.DATA_KEY_FILE, keys)
    else:
        keys = parse_keys(settings.DATA_KEY)
        if len(keys) == 1 and set(counts()) <= {key_id(keys[0])}:
            raise DataKeyError(_l("Every value is already under the one key in INCIDENTS_DATA_KEY. To rotate, "
                                  "put a new key first and the current one after it, then run this again."))
    keyring.configure(keys)
    rotation = Rotation(current=key_id(keys[0]), retired=[key_id(key) for key in keys[1:]])
    rotation.values = reseal()
    left = {name: number for name, number in counts().items() if name != rotation.current}
    if left:  # a worker still running wrote under an old key: keep the old key so nothing is lost
        raise DataKeyError(_l("%(n)s values are still under other keys (%(keys)s): stop the application and "
                              "run this again.", n=sum(left.values()), keys=", ".join(left)))
    if settings.DATA_KEY_FILE:
        _write_keys(settings.DATA_KEY_FILE, keys[:1])
        keyring.configure(keys[:1])
    truncate_log()  # the old key's values leave the write-ahead log too
    return rotation
