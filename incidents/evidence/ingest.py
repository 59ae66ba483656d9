"""Ingesting an archive: every file under a folder preserved as evidence, resumably.

A run walks the folder twice (first to count files and bytes for the progress bar, then to
preserve), holding a small group of entries at a time, so memory does not grow with the
archive. Previews are not made here: each group's new items are handed to the worker. Each
preserved file is recorded in the batch as it is done; a run killed half-way and started
again skips what its batch already recorded, without reading those files again.

File names are whatever bytes the archive holds (archives made on Windows or DOS often name files
in CP1251 or CP866). The exact bytes are kept, encrypted, in the batch's entries and in each item's
custody log; people see a decoded form (``decoded_name``).
"""
from __future__ import annotations

import base64
import errno
import os
import stat
import time
import unicodedata
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from peewee import PostgresqlDatabase

from incidents import audit, policy
from incidents.db import database, serialize_writers
from incidents.errors import Forbidden, NotFound, ValidationFailed
from incidents.evidence.jobs import prepare
from incidents.evidence.store import Copier, EvidenceStore
from incidents.models import (
    ACQUISITIONS,
    CustodyEvent,
    EvidenceItem,
    Incident,
    IngestBatch,
    IngestEntry,
    StoredFile,
    utcnow,
)
from incidents.text import without_control

# Files are flushed to disk in groups this large rather than one by one (see store.commit).
SYNC_EVERY_BYTES = 1024**3
GROUP_FILES = 200
GROUP_BYTES = 64 * 1024**2
# What a raw insert must spell out that the model would otherwise fill in.
# The raw insert sets every column: a model's default lives in Python, and SQL knows nothing of it
# (a column added later with a default would otherwise be NULL here).
ITEM_DEFAULTS = {field.column_name: field.default for field in EvidenceItem._meta.sorted_fields
                 if field.default is not None and not callable(field.default)}
SEALED_ITEM_COLUMNS = ("original_filename", "description", "source", "original_location")
KIND_BY_MEDIA = {"video": "220904051501", "image": "160815201501", "audio": "012104091501"}
OTHER_KIND = "x-official-document"
INGEST_LOCK = 0x496E67 << 32
# Cyrillic code pages that archives from the region use, in the order a tie is settled.
NAME_GUESSES = ("cp1251", "cp866")
# Opened as the walk saw it or not at all: no symbolic link followed, and no wait on a pipe
# swapped in for a file.
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)

SYMLINK = _l("a symbolic link (not followed)")
HARD_LINK = _l("a hard link: another name for a file that may lie outside this folder")
SPECIAL = _l("not a regular file (a device, a socket or a pipe)")
EMPTY = _l("empty")
SWAPPED = _l("replaced while the ingest ran (not followed)")


def _unreadable(exc: OSError):
    return _l("unreadable: %(error)s", error=exc.strerror or str(exc))


def decoded_name(name: str) -> tuple[str, str]:
    """(a file's name as text for people, how it was read: "utf-8", "cp1251", "cp866" or
    "replaced"). ``name`` is as Python gives it, each byte that is not UTF-8 a lone surrogate.

    A guess is taken only when every character it yields outside ASCII is a Cyrillic letter or
    "№"; otherwise the bytes that are not UTF-8 show as U+FFFD.
    """
    raw = os.fsencode(name)
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for encoding in NAME_GUESSES:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if all(c < "\x80" or c == "№" or (c.isalpha() and "CYRILLIC" in unicodedata.name(c, "")) for c in text):
            return text, encoding
    return raw.decode("utf-8", "replace"), "replaced"


def stored_name(name: str) -> str:
    """A name exactly, as text an encrypted column can hold: itself when it is UTF-8, else a NUL
    (which no file name contains, so nothing is mistaken for it) and its bytes in base64."""
    raw = os.fsencode(name)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "\0" + base64.b64encode(raw).decode("ascii")
    return name


@dataclass
class IngestReport:
    batch: int = 0
    files: int = 0
    bytes: int = 0
    preserved: int = 0  # new evidence items
    duplicate_in_run: int = 0  # same bytes as another file of this archive
    already_known: int = 0  # same bytes already evidence of the same incident (or of none)
    resumed: int = 0  # recorded by an earlier, interrupted run: not read again
    refused: list[tuple[str, object]] = field(default_factory=list)  # (path, why), skipped
    seconds: float = 0.0
    # New items of the group being recorded, with their media types, until their previews are queued.
    fresh: dict[int, str] = field(default_factory=dict)


def _walk(root: str):
    """(relative path, full path, stat or None with a reason) for everything under root, sorted.

    Only regular files with one name are taken: a hard link may be a second name for a file
    outside the folder handed over, and a symbolic link may point anywhere.
    """
    unreadable: list[OSError] = []
    for folder, dirs, files in os.walk(root, followlinks=False, onerror=unreadable.append):
        for exc in unreadable:  # a folder that could not be listed
            yield os.path.relpath(exc.filename or folder, root), exc.filename, None, _unreadable(exc)
        unreadable.clear()
        dirs.sort()
        for name in sorted(dirs):
            if os.path.islink(os.path.join(folder, name)):  # os.walk leaves these out without a word
                yield os.path.relpath(os.path.join(folder, name), root), None, None, SYMLINK
        for name in sorted(files):
            full = os.path.join(folder, name)
            relative = os.path.relpath(full, root)
            try:
                info = os.lstat(full)
            except OSError as exc:
                yield relative, full, None, _unreadable(exc)
                continue
            if stat.S_ISLNK(info.st_mode):
                yield relative, full, None, SYMLINK
            elif not stat.S_ISREG(info.st_mode):
                yield relative, full, None, SPECIAL
            elif info.st_nlink > 1:
                yield relative, full, None, HARD_LINK
            elif info.st_size == 0:
                yield relative, full, None, EMPTY
            else:
                yield relative, full, info, ""
    for exc in unreadable:  # the root itself, or the last folder listed
        yield os.path.relpath(exc.filename or root, root), exc.filename, None, _unreadable(exc)


def measure(root: str) -> tuple[int, int]:
    """(files, bytes) that a run would read."""
    files = total = 0
    for _relative, _full, info, _reason in _walk(root):
        if info is not None:
            files += 1
            total += info.st_size
    return files, total


def open_batch(root: str, actor, incident_id: int | None = None, provenance: dict | None = None) -> IngestBatch:
    """The batch an ingest of ``root`` fills: an unfinished one over the same folder, or a new one.

    :raise NotFound: no such folder or incident. :raise Forbidden: the actor may not ingest.
    """
    # Resolved once, so that a file's path as opened can be held to where the walk found it.
    root = os.path.realpath(root)
    if not os.path.isdir(root):
        raise NotFound(_l("No such folder."))
    if not policy.can_ingest(actor):
        raise Forbidden(_l("Only reviewers and administrators ingest archives."))
    incident = None
    if incident_id is not None:
        incident = Incident.get_or_none(Incident.id == incident_id)
        if incident is None:
            raise NotFound(_l("No such incident."))
    provenance = dict(provenance or {})
    for key in ("source", "note"):
        # Typed in a terminal that may not speak UTF-8 (its bytes come as lone surrogates, which no
        # column can store): read as a file's name is, and without control characters, as a form's.
        if isinstance(provenance.get(key), str):
            provenance[key] = without_control(decoded_name(provenance[key])[0])
    if provenance.setdefault("acquisition", "not_stated") not in ACQUISITIONS:
        raise ValidationFailed(_l("Unknown value: %(value)s.", value=provenance["acquisition"]))
    same_target = IngestBatch.incident.is_null() if incident is None else IngestBatch.incident == incident
    unfinished = (IngestBatch.select().where(same_target & IngestBatch.finished_at.is_null())
                  .order_by(IngestBatch.id.desc()))
    # Compared here, not in SQL: the folder's path is encrypted (it may name the informant).
    root = stored_name(root)
    batch = next((batch for batch in unfinished if batch.root == root), None)
    if batch is None:
        with database.atomic():
            batch = IngestBatch.create(root=root, incident=incident, actor=actor, **provenance)
            audit.record(actor, "evidence.ingest_start", batch)
    return batch


def ingest(root: str, actor, store: EvidenceStore, *, incident_id: int | None = None,
           provenance: dict | None = None, progress=None) -> IngestReport:
    """Preserve every regular file under ``root`` (``open_batch`` says what is refused).

    ``progress(bytes_done, files_done)`` is called after each file.
    """
    report = IngestReport()
    started = time.monotonic()
    batch = open_batch(root, actor, incident_id, provenance)
    report.batch = batch.id
    store.remove_stale_spools()
    writer = _Writer(batch, batch.incident, actor)
    with Copier() as copier:
        _run(_walk(os.path.realpath(root)), store, writer, copier, report, progress)
    store.sync()
    with database.atomic():
        IngestBatch.update(finished_at=utcnow()).where(IngestBatch.id == batch.id).execute()
        audit.record(actor, "evidence.ingest_finish", batch, files=report.files, new=report.preserved,
                     refused=len(report.refused))
    report.seconds = time.monotonic() - started
    return report


def _groups(files, max_files: int = GROUP_FILES, max_bytes: int = GROUP_BYTES):
    """The walk cut into groups of at most ``max_files`` files or about ``max_bytes`` bytes."""
    group, size = [], 0
    for entry in files:
        group.append(entry)
        size += entry[2].st_size if entry[2] is not None else 0
        if len(group) >= max_files or size >= max_bytes:
            yield group
            group, size = [], 0
    if group:
        yield group


def _run(files, store, writer, copier, report, progress) -> None:
    unsynced = 0
    # Files are recorded in groups, one transaction each: a kill loses at most one group's
    # records, and those files are simply preserved again (the store keeps them once).
    for group in _groups(files):
        with database.atomic():
            # Two runs over one batch (a worker that lost its job's lease while it still ran) take
            # turns group by group, each seeing what the other recorded: no file becomes two items.
            serialize_writers(INGEST_LOCK + writer.batch.id)
            for relative, full, info, reason in group:
                if info is None:
                    report.refused.append((relative, reason))
                    continue
                report.files += 1
                report.bytes += info.st_size
                if writer.already_done(relative, info):
                    report.resumed += 1
                else:
                    unsynced += info.st_size
                    _preserve_one(store, writer, copier, relative, full, info, report)
                if progress:
                    progress(info.st_size, 1)
        # Committed: the worker may make their previews while the ingest goes on.
        prepare(report.fresh)
        report.fresh.clear()
        if unsynced >= SYNC_EVERY_BYTES:
            store.sync()
            unsynced = 0


class _Writer:
    """The per-file queries of an ingest, as SQL built once.

    Building a query through the ORM costs about a millisecond, which for an archive of many
    small files would cost more than hashing them; these few statements touch only the ingest
    and custody tables, in SQL that SQLite and PostgreSQL read alike.
    """

    def __init__(self, batch: IngestBatch, incident: Incident | None, actor):
        p = database.param
        self.batch, self.incident, self.actor = batch, incident, actor
        entry, item, custody, stored = (IngestEntry._meta.table_name, EvidenceItem._meta.table_name,
                                        CustodyEvent._meta.table_name, StoredFile._meta.table_name)
        self.sql_twin = f"SELECT item_id FROM {entry} WHERE batch_id = {p} AND sha256 = {p} LIMIT 1"  # noqa: S608 (names from the models, values bound)
        target = "incident_id IS NULL" if incident is None else f"incident_id = {p}"
        self.sql_known = f"SELECT id FROM {item} WHERE stored_file_id = {p} AND {target} LIMIT 1"  # noqa: S608 (names from the models, values bound)
        self.sql_stored = f"SELECT 1 FROM {stored} WHERE sha256 = {p}"  # noqa: S608 (names from the models, values bound)
        self.sql_store = f"INSERT INTO {stored} (sha256, size, media_type, created_at) VALUES ({p}, {p}, {p}, {p})"  # noqa: S608 (names from the models, values bound)
        self.sql_forget = f"DELETE FROM {entry} WHERE id = {p}"  # noqa: S608 (names from the models, values bound)
        self.sql_entry = (f"INSERT INTO {entry} (batch_id, path, size, mtime_ns, sha256, item_id) "  # noqa: S608 (names from the models, values bound)
                          f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})")
        self.sql_item = None  # built with the first item: its columns are known then
        self.sql_custody = (f"INSERT INTO {custody} (item_id, action, actor_id, sha256, detail, created_at) "  # noqa: S608 (names from the models, values bound)
                            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})")
        # What an earlier run over this batch recorded, by path. Read once, as paths are encrypted
        # (a file's name may name a person) and so cannot be looked up in SQL.
        self.done = {path: (size, mtime_ns, entry_id) for entry_id, path, size, mtime_ns in
                     IngestEntry.select(IngestEntry.id, IngestEntry.path, IngestEntry.size, IngestEntry.mtime_ns)
                     .where(IngestEntry.batch == batch).tuples()}

    def _one(self, sql: str, *params):
        return database.execute_sql(sql, params).fetchone()

    def already_done(self, relative: str, info) -> bool:
        row = self.done.get(stored_name(relative))
        return row is not None and row[0] == info.st_size and row[1] == info.st_mtime_ns

    def record(self, relative: str, info, preserved, report: IngestReport) -> None:
        if self._one(self.sql_stored, preserved.sha256) is None:
            database.execute_sql(self.sql_store, (preserved.sha256, preserved.size, preserved.media_type, utcnow()))
        twin = self._one(self.sql_twin, self.batch.id, preserved.sha256)
        known = None if twin else self._one(
            self.sql_known, preserved.sha256, *([] if self.incident is None else [self.incident.id]))
        if twin:
            item_id = twin[0]
            report.duplicate_in_run += 1
        elif known:
            item_id = known[0]
            report.already_known += 1
        else:
            item_id = self._new_item(relative, preserved)
            report.preserved += 1
            report.fresh[item_id] = preserved.media_type
        key = stored_name(relative)
        if key in self.done:  # changed since an interrupted run recorded it: the new bytes replace the record
            database.execute_sql(self.sql_forget, (self.done[key][2],))
        database.execute_sql(self.sql_entry, (self.batch.id, IngestEntry.path.db_value(key), info.st_size,
                                              info.st_mtime_ns, preserved.sha256, item_id))

    def _new_item(self, relative: str, preserved) -> int:
        batch, now = self.batch, utcnow()
        path, read_as = decoded_name(relative)
        values = {**ITEM_DEFAULTS, "incident_id": self.incident.id if self.incident else None,
                  "batch_id": batch.id, "created_by_id": self.actor.id, "created_at": now,
                  "stored_file_id": preserved.sha256,
                  "kind": KIND_BY_MEDIA.get(preserved.media_type.split("/")[0], OTHER_KIND),
                  "original_filename": os.path.basename(path),
                  # Not the path: a description is public once the item is published, and a path
                  # may name the person filmed or who filmed. The path stays in original_location.
                  "description": "",
                  "source": batch.source, "acquisition": batch.acquisition,
                  "received_on": batch.received_on, "original_location": path}
        # This insert bypasses the model for speed, so it encrypts what the model would (encryption.py).
        values.update({name: EvidenceItem._meta.columns[name].db_value(values[name]) for name in SEALED_ITEM_COLUMNS})
        if self.sql_item is None:
            columns = ", ".join(values)
            placeholders = ", ".join([database.param] * len(values))
            returning = " RETURNING id" if isinstance(database.obj, PostgresqlDatabase) else ""
            self.sql_item = (f"INSERT INTO {EvidenceItem._meta.table_name} ({columns}) "  # noqa: S608 (names from the models, values bound)
                             f"VALUES ({placeholders}){returning}")
        cursor = database.execute_sql(self.sql_item, tuple(values.values()))
        item_id = cursor.fetchone()[0] if isinstance(database.obj, PostgresqlDatabase) else cursor.lastrowid
        received = {"batch": batch.id, "path": path, "size": preserved.size}
        if read_as != "utf-8":  # the name as the archive holds it, byte for byte
            received.update(path_bytes=base64.b64encode(os.fsencode(relative)).decode("ascii"), path_read_as=read_as)
        for action, detail in (("received", received),
                               ("hashed", {"algorithm": "sha256"})):
            database.execute_sql(self.sql_custody, (item_id, action, self.actor.id, preserved.sha256,
                                                    CustodyEvent.detail.db_value(detail), now))
        return item_id


def _open_as_walked(full: str, info) -> int | None:
    """A descriptor on the very file the walk looked at, or None if something else is there now
    (a symbolic link, a pipe, another file, a second name), or if it was reached through a
    folder swapped for a link to elsewhere (O_NOFOLLOW guards the last part of a path only)."""
    try:
        fd = os.open(full, OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symbolic link now
            return None
        raise
    now = os.fstat(fd)
    if (now.st_dev, now.st_ino) != (info.st_dev, info.st_ino) or not stat.S_ISREG(now.st_mode) or now.st_nlink > 1:
        os.close(fd)
        return None
    try:
        reached = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # no /proc (not Linux): the checks above are all there is
        reached = full
    if reached != full:
        os.close(fd)
        return None
    return fd


def _preserve_one(store, writer: _Writer, copier, relative, full, info, report) -> None:
    try:
        fd = _open_as_walked(full, info)
        if fd is None:
            report.refused.append((relative, SWAPPED))
            return
        # preserve_file opens what it is given with open(), which takes a descriptor (and closes it).
        preserved = store.preserve_file(fd, durable=False, copier=copier)
    except OSError as exc:
        report.refused.append((relative, _unreadable(exc)))
        return
    writer.record(relative, info, preserved, report)
