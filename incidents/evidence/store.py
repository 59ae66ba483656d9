"""The evidence store: originals kept once, named by their SHA-256, read-only, never changed.

Bytes are hashed while they arrive (an upload or a file being ingested), written once into a
spool file inside the store, then renamed to ``originals/ab/cd/<sha256>``. Nothing a user
sends ever becomes part of a path: names are kept as metadata only.
"""
from __future__ import annotations

import hashlib
import mmap
import os
import stat
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import filetype

CHUNK = 1024 * 1024
DIRECT_ALIGNMENT = 4096
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Preserved:
    sha256: str
    size: int
    media_type: str
    new: bool  # False when the same bytes were stored already


class TooLarge(Exception):
    """The file is larger than the store accepts."""


def sniff_media_type(head: bytes) -> str:
    """The media type the bytes say they are; never what the file name claims."""
    guessed = filetype.guess_mime(head)
    if guessed:
        return guessed
    text = head.lstrip().lower()
    if text.startswith((b"<?xml", b"<svg")) and b"<svg" in text:
        return "image/svg+xml"
    if any(marker in text for marker in (b"<html", b"<!doctype html", b"<script", b"<body")):
        return "text/html"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut off by the sniffing window is still text.
        if exc.start < len(head) - 4:
            return "application/octet-stream"
    return "text/plain" if head else "application/x-empty"


class _Known:
    """A hash computed earlier, where a spool keeps a running one."""

    def __init__(self, hexdigest: str):
        self._hexdigest = hexdigest

    def hexdigest(self) -> str:
        return self._hexdigest


class HashingSpool:
    """A writable, readable temporary file in the store that hashes what is written to it.

    Werkzeug writes an upload's bytes here as they arrive, so a multi-gigabyte video is
    hashed in one pass and never held in memory.
    """

    def __init__(self, folder: str, max_size: int | None = None):
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd, self.path = tempfile.mkstemp(prefix="spool-", dir=folder)
        self._file = os.fdopen(fd, "w+b")
        self._hash = hashlib.sha256()
        self._head = b""
        self.size = 0
        self.max_size = max_size

    @classmethod
    def adopt(cls, path: str, sha256: str) -> HashingSpool:
        """A spool over a file already written and hashed as it arrived (a finished resumable upload,
        whose parts may have come over many requests and servers): its hash is the one kept then,
        and only its first bytes are read again, to tell its type. Committing it moves the file into
        the store, as any spool."""
        spool = cls.__new__(cls)
        spool.path, spool.max_size, spool._hash = path, None, _Known(sha256)
        spool._file = open(path, "rb")  # closed by commit() or release(), as any spool's
        spool._head = spool._file.read(SNIFF_BYTES)
        spool.size = os.fstat(spool._file.fileno()).st_size
        return spool

    def write(self, data) -> int:
        """Take bytes or a memoryview (no copy is made of a large chunk)."""
        self.account(data)
        return self._file.write(data)

    def account(self, data) -> None:
        """Hash and count a chunk without writing it (``preserve_file`` writes in parallel)."""
        self.size += len(data)
        if self.max_size is not None and self.size > self.max_size:
            raise TooLarge(self.size)
        if len(self._head) < SNIFF_BYTES:
            self._head += bytes(data[: SNIFF_BYTES - len(self._head)])
        self._hash.update(data)

    def read(self, *args):
        return self._file.read(*args)

    def readline(self, *args):
        return self._file.readline(*args)

    def seek(self, *args):
        return self._file.seek(*args)

    def tell(self):
        return self._file.tell()

    def flush(self):
        self._file.flush()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        """Close and delete the spool unless it was committed into the store."""
        if not self._file.closed:
            self._file.close()
        if os.path.exists(self.path):
            os.unlink(self.path)

    def release(self) -> None:
        """Close without deleting: an adopted upload that could not be attached stays, to be
        attached again. After ``commit`` there is nothing left to close."""
        if not self._file.closed:
            self._file.close()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    @property
    def head(self) -> bytes:
        return self._head


def _open_direct(path: str) -> int | None:
    """A second descriptor on ``path`` that bypasses the page cache, where the filesystem can."""
    try:
        return os.open(path, os.O_WRONLY | getattr(os, "O_DIRECT", 0))
    except OSError:
        return None


def _write_at(spool: HashingSpool, direct: int | None, chunk: memoryview, offset: int) -> None:
    """Write one chunk at its place: the block-aligned part directly, any tail through the cache."""
    aligned = len(chunk) - len(chunk) % DIRECT_ALIGNMENT if direct is not None else 0
    if aligned:
        os.pwrite(direct, chunk[:aligned], offset)
    if aligned < len(chunk):
        os.pwrite(spool._file.fileno(), chunk[aligned:], offset + aligned)


class Copier:
    """Two page-aligned buffers and, if threaded, a writer thread, reused for every file."""

    def __init__(self, threaded: bool = True):
        self.buffers = (mmap.mmap(-1, CHUNK), mmap.mmap(-1, CHUNK))  # aligned, as O_DIRECT needs
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer") if threaded else None

    def __enter__(self) -> Copier:
        return self

    def __exit__(self, *exc) -> None:
        if self.writer is not None:
            self.writer.shutdown()

    def copy(self, source, spool: HashingSpool, direct: int | None) -> None:
        pending, offset, turn = None, 0, 0
        while count := source.readinto(self.buffers[turn]):
            chunk = memoryview(self.buffers[turn])[:count]
            spool.account(chunk)
            if pending is not None:
                pending.result()  # the other buffer is free again
            if self.writer is None:
                _write_at(spool, direct, chunk, offset)
            else:
                pending = self.writer.submit(_write_at, spool, direct, chunk, offset)
            offset += count
            turn = 1 - turn
        if pending is not None:
            pending.result()


class EvidenceStore:
    @classmethod
    def from_settings(cls, settings) -> EvidenceStore:
        return cls(settings.EVIDENCE_DIR, settings.EVIDENCE_MAX_SIZE)

    def __init__(self, root: str, max_size: int | None = None):
        self.root = os.path.abspath(root)
        self.max_size = max_size
        self.spool_dir = os.path.join(self.root, "spool")
        # Unfinished resumable uploads: kept apart from the spools, which are removed after a
        # day, because an upload may rightly pause for longer (its own expiry is in the database).
        self.uploads_dir = os.path.join(self.root, "uploads")
        self.originals = os.path.join(self.root, "originals")

    def spool(self) -> HashingSpool:
        return HashingSpool(self.spool_dir, self.max_size)

    def path_for(self, sha256: str) -> str:
        """Where the original with this hash lives; only ever built from a validated hash."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256")
        return os.path.join(self.originals, sha256[:2], sha256[2:4], sha256)

    def commit(self, spool: HashingSpool, durable: bool = True) -> Preserved:
        """Move a finished spool into the store under its hash (or drop it: same bytes stored).

        ``durable`` waits until the bytes are on disk; an ingest of many files instead syncs
        the whole store now and then (``sync``), which is many times faster.
        """
        spool.flush()
        if durable:
            os.fsync(spool._file.fileno())
        spool._file.close()
        target = self.path_for(spool.sha256)
        media_type = sniff_media_type(spool.head)
        if os.path.exists(target):
            os.unlink(spool.path)
            return Preserved(spool.sha256, spool.size, media_type, new=False)
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        os.chmod(spool.path, stat.S_IRUSR | stat.S_IRGRP)  # read-only from now on
        os.replace(spool.path, target)
        return Preserved(spool.sha256, spool.size, media_type, new=True)

    def preserve_file(self, path: str, durable: bool = True, copier: Copier | None = None) -> Preserved:
        """Copy a file from disk into the store, hashing it on the way (used by ingest).

        A ``copier`` (one per ingest) writes each chunk while the next one is hashed: hashing
        and writing both release the GIL, so on two cores they take the time of the slower.
        Writes go straight to the disk where it allows (O_DIRECT): a copy of a large archive
        would otherwise crowd the page cache and then wait for it to be flushed.
        """
        copier = copier or Copier(threaded=False)
        spool = self.spool()
        direct = _open_direct(spool.path)
        try:
            with open(path, "rb", buffering=0) as source:
                copier.copy(source, spool, direct)
            return self.commit(spool, durable)
        finally:
            if direct is not None:
                os.close(direct)
            spool.close()

    @staticmethod
    def sync() -> None:
        os.sync()

    def remove_stale_spools(self, older_than_seconds: float = 24 * 3600) -> int:
        """Delete spools left by a killed process; recent ones may belong to a running upload."""
        removed = 0
        if not os.path.isdir(self.spool_dir):
            return removed
        limit = time.time() - older_than_seconds
        for entry in os.scandir(self.spool_dir):
            try:
                if entry.name.startswith("spool-") and entry.stat().st_mtime < limit:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                pass  # its upload ended meanwhile, or another upload removed it first
        return removed

    def check(self, sha256: str) -> tuple[str, str]:
        """('ok' | 'changed' | 'missing', the hash found now): stored bytes re-hashed against their name."""
        path = self.path_for(sha256)
        if not os.path.exists(path):
            return "missing", ""
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        found = digest.hexdigest()
        return ("ok" if found == sha256 else "changed"), found
