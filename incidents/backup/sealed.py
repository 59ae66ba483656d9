"""A sealed file: a stream of any length encrypted with AES-256-GCM in authenticated chunks.

Format 1 is a 37-byte header in clear, then the chunks:

    header   b"incidents-backup" | format (1 byte) | key id (8) | nonce prefix (8) | chunk size (4, BE)
    chunk i  AES-256-GCM of ``chunk size`` bytes of content (the last chunk may be shorter), tag included

The key id is the first 8 bytes of SHA-256 of the key: it names the key a file needs and, the key
being 32 random bytes, reveals nothing of it. Chunk i is sealed with the nonce ``prefix || i`` (a
random prefix per file, i in 4 bytes) and the associated data ``header || i || last`` (last: one
byte, 1 for the final chunk only): a chunk that is altered, moved, dropped, cut off at the end or
added after it fails to authenticate, as does a changed header. Each chunk is checked before any
of its bytes is handed out, and memory holds a few chunks, however long the stream.
"""
from __future__ import annotations

import hashlib
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask_babel import lazy_gettext as _l

MAGIC = b"incidents-backup"
FORMAT = 1
HEADER = struct.Struct(">16sB8s8sI")
CHUNK_SIZE = 1024 * 1024
# The header is read before anything is authenticated: never believe it about memory to set aside.
MAX_CHUNK_SIZE = 64 * 1024 * 1024
TAG_SIZE = 16


class Unreadable(Exception):
    """Not a sealed file, sealed with another key, or altered, cut off or added to (a message
    translated when it is printed)."""


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:8]


def _associated_data(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">IB", index, last)


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)  # struct.error past 2**32 chunks (4 PiB): never reused


class SealedWriter:
    """A write-only file that encrypts what it is given, chunk by chunk, into ``out``.

    Call ``finish`` after the last write: it seals the last chunk, marked as the last.
    """

    def __init__(self, out, key: bytes, chunk_size: int = CHUNK_SIZE):
        self._out = out
        self._aead = AESGCM(key)
        self._prefix = os.urandom(8)
        self._chunk_size = chunk_size
        self._buffer = bytearray()
        self.header = HEADER.pack(MAGIC, FORMAT, key_id(key), self._prefix, chunk_size)
        self.chunks = 0
        self.size = 0
        self.digest = hashlib.sha256()  # of the file as written
        self._emit(self.header)

    def write(self, data) -> int:
        self._buffer += data
        sealed = 0
        # A full chunk waits until more content comes: only then is it known not to be the last.
        with memoryview(self._buffer) as view:  # sealed in place, not copied
            while len(view) - sealed > self._chunk_size:
                self._seal(view[sealed: sealed + self._chunk_size], last=False)
                sealed += self._chunk_size
        del self._buffer[:sealed]
        return len(data)

    def finish(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()

    def _seal(self, content, last: bool) -> None:
        associated = _associated_data(self.header, self.chunks, last)
        self._emit(self._aead.encrypt(_nonce(self._prefix, self.chunks), content, associated))
        self.chunks += 1

    def _emit(self, data: bytes) -> None:
        self._out.write(data)
        self.digest.update(data)
        self.size += len(data)


class SealedReader:
    """A read-only file of the content of the sealed file ``source`` (named ``name`` in messages).

    :raise Unreadable: from the constructor (header, key) or from ``read`` and ``drain`` (a chunk).
    """

    def __init__(self, source, key: bytes, name: str):
        self._source, self._name = source, name
        header = source.read(HEADER.size)
        if len(header) < HEADER.size or not header.startswith(MAGIC):
            raise Unreadable(_l("%(name)s is not a backup made by this application.", name=name))
        _magic, version, file_key_id, self._prefix, chunk_size = HEADER.unpack(header)
        if version != FORMAT:
            raise Unreadable(_l("%(name)s is in backup format %(version)s; this version reads format %(format)s.",
                                name=name, version=version, format=FORMAT))
        if file_key_id != key_id(key):
            raise Unreadable(_l(
                "%(name)s was encrypted with another backup key (key id %(theirs)s); this instance's backup key "
                "has key id %(ours)s. Give it the key of the installation that made the backup "
                "(INCIDENTS_BACKUP_KEY, or that instance's backup_key file).",
                name=name, theirs=file_key_id.hex(), ours=key_id(key).hex()))
        if not 0 < chunk_size <= MAX_CHUNK_SIZE:
            raise Unreadable(_l("%(name)s is damaged or was altered: its header is not valid.", name=name))
        self.header = header
        self._aead = AESGCM(key)
        self._record_size = chunk_size + TAG_SIZE
        self._next = source.read(self._record_size)
        self._index = 0
        self._content = bytearray()
        self.finished = False

    def read(self, size: int) -> bytes:
        while len(self._content) < size and not self.finished:
            self._content += self._open_next()
        data = bytes(self._content[:size])
        del self._content[:size]
        return data

    def drain(self) -> None:
        """Read to the end: the last chunk's seal (and that nothing follows it) is checked too."""
        while not self.finished:
            self._open_next()
        self._content.clear()

    def _open_next(self) -> bytes:
        # One record is read ahead: the chunk with nothing after it must be sealed as the last.
        record, self._next = self._next, self._source.read(self._record_size)
        last = not self._next
        content = self._open(record, self._index, last)
        if content is None:
            raise Unreadable(self._why(record, self._index, last))
        self._index += 1
        self.finished = last
        return content

    def _open(self, record: bytes, index: int, last: bool) -> bytes | None:
        try:
            return self._aead.decrypt(_nonce(self._prefix, index), record,
                                      _associated_data(self.header, index, last))
        except InvalidTag:
            return None

    def _why(self, record: bytes, index: int, last: bool):
        """A file that ends at a chunk boundary before its last chunk says so; anything else is 'damaged'."""
        if last and (not record or self._open(record, index, last=False) is not None):
            return _l("%(name)s is incomplete: it ends after %(n)s chunk(s), before its last one "
                      "(cut off while copying?).", name=self._name, n=index)
        offset = HEADER.size + index * self._record_size
        return _l("%(name)s is damaged or was altered (changed, cut short or added to): chunk %(chunk)s "
                  "(from byte %(offset)s) does not authenticate.", name=self._name, chunk=index + 1, offset=offset)
