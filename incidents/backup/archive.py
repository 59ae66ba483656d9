"""Backups: one encrypted file holding a consistent copy of the database and the evidence store.

The file is sealed (``sealed.py``: a header in clear, then AES-256-GCM chunks) with the backup key.
Its content is a tar stream: the database (``engines.py``: ``database.sqlite3``, a snapshot by SQLite's
online backup API, or ``database.pgdump``, PostgreSQL's ``pg_dump`` of one snapshot), then
``evidence/...`` (every file of the evidence store except previews and temporary files), then
``manifest.json`` (when, the migrations applied, row counts, the SHA-256 of every file, the id of
the data key). Both ways
it is streamed, so memory stays at a few chunks however large the evidence store is.

Keys are not in the backup: a restore needs an instance with the same keys, and the backup key is
kept apart from the backups, since whoever holds both reads everything.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l

from incidents import audit
from incidents.backup import engines
from incidents.backup.sealed import CHUNK_SIZE, SealedReader, SealedWriter, Unreadable, key_id
from incidents.db import MIGRATIONS_DIR, database, migrate
from incidents.keys.encryption import keyring
from incidents.models import User

# tarfile copies and buffers in pieces of this size (its 10 KiB default is slow for videos).
STREAM_BUFFER = 256 * 1024
DATABASE_MEMBERS = (engines.Sqlite.member, engines.Postgres.member)
EVIDENCE_PREFIX = "evidence/"
MANIFEST_MEMBER = "manifest.json"
# Previews are made again from the originals on first view; spools and working copies are
# uploads in progress and a decoder's scratch files, and ``prepared`` holds bundles built for a
# day's download: none of them is evidence.
SKIPPED_FOLDERS = ("previews", "spool", "work", "prepared")
ENCRYPTION_MIGRATION = "0015_encrypt_identities"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the command line.

    Its message is translated when it is printed, in the command's language.
    """


@dataclass
class Summary:
    """What a backup holds (from its manifest), and the file's own size and SHA-256."""

    key_id: str
    created_at: str = ""
    size: int = 0
    sha256: str = ""
    seconds: float = 0.0
    migrations: list = field(default_factory=list)
    migrated: list = field(default_factory=list)  # applied after a restore, to a backup's older schema
    rows: dict = field(default_factory=dict)
    database_bytes: int = 0
    evidence_files: int = 0
    evidence_bytes: int = 0


def backup_key(settings) -> bytes:
    """The 32-byte key from ``BACKUP_KEY``. :raise BackupError: it is not 64 hex digits."""
    try:
        key = bytes.fromhex(settings.BACKUP_KEY)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise BackupError(_l("INCIDENTS_BACKUP_KEY must be 64 hexadecimal digits (32 random bytes)."))
    return key


def _engine(settings):
    """The database's engine (engines.py). :raise BackupError: it cannot be backed up."""
    try:
        return engines.current(settings.DATABASE_URL)
    except engines.EngineError as exc:
        raise BackupError(*exc.args) from None


def _evidence_files(root: str):
    """(path in the backup, path on disk) of every regular file kept, in a stable order."""
    for folder, dirs, files in os.walk(root):
        if folder == root:  # hidden folders there are a restore's staging, not the store's
            dirs[:] = [d for d in dirs if d not in SKIPPED_FOLDERS and not d.startswith(".")]
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                yield EVIDENCE_PREFIX + os.path.relpath(path, root).replace(os.sep, "/"), path


class _HashingReader:
    def __init__(self, handle):
        self._handle, self.digest = handle, hashlib.sha256()

    def read(self, size: int) -> bytes:
        data = self._handle.read(size)
        self.digest.update(data)
        return data


def _add_file(tar: tarfile.TarFile, name: str, path: str) -> tuple[str, int]:
    """Stream one file into the archive; (its SHA-256, its size)."""
    with open(path, "rb") as handle:
        status = os.fstat(handle.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = status.st_size, int(status.st_mtime), stat.S_IMODE(status.st_mode)
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    return reader.digest.hexdigest(), info.size


def _write_content(tar: tarfile.TarFile, member: str, snapshot: str, evidence_root: str, summary: Summary,
                   data_key_id: str) -> None:
    hashes = {}
    hashes[member], summary.database_bytes = _add_file(tar, member, snapshot)
    for name, path in _evidence_files(evidence_root):
        hashes[name], size = _add_file(tar, name, path)
        summary.evidence_files += 1
        summary.evidence_bytes += size
    manifest = {"created_at": summary.created_at, "migrations": summary.migrations, "rows": summary.rows,
                "files": hashes, "data_key_id": data_key_id}
    body = json.dumps(manifest, indent=1, sort_keys=True).encode()
    info = tarfile.TarInfo(MANIFEST_MEMBER)
    info.size, info.mtime, info.mode = len(body), int(time.time()), 0o600
    tar.addfile(info, io.BytesIO(body))


def _remove_leftovers(folder: str, prefix: str) -> None:
    """Delete what a killed earlier run left behind: a snapshot holds identities in clear, and a
    staging folder would make the instance look not empty."""
    if not os.path.isdir(folder):
        return
    for entry in os.listdir(folder):
        if entry.startswith(prefix):
            path = os.path.join(folder, entry)
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.remove(path)


def create_backup(settings, instance_path: str, target: str, chunk_size: int = CHUNK_SIZE) -> Summary:
    """Write the backup to ``target`` (atomically: a failed run leaves any earlier file as it was).

    The database is copied first and the evidence after: originals are never changed or removed,
    so every file the copy refers to is in the backup.
    :raise BackupError: a bad key, an empty database, or the engine's copy failed.
    """
    key, engine, started = backup_key(settings), _engine(settings), time.monotonic()
    evidence_root = os.path.abspath(settings.EVIDENCE_DIR)
    if os.path.abspath(target).startswith(evidence_root + os.sep):
        raise BackupError(_l("Write the backup outside the evidence folder: it would copy itself."))
    summary = Summary(key_id=key_id(key).hex(),
                      created_at=datetime.now(UTC).isoformat(timespec="seconds"))
    os.makedirs(instance_path, mode=0o700, exist_ok=True)
    _remove_leftovers(instance_path, ".backup-snapshot-")
    # Both temporary files are mode 0600: the snapshot holds identities in clear.
    snapshot_fd, snapshot = tempfile.mkstemp(dir=instance_path, prefix=".backup-snapshot-")
    os.close(snapshot_fd)
    fd, partial = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(target)), prefix=".backup-")
    try:
        try:
            summary.rows, summary.migrations = engine.snapshot(snapshot)
        except engines.EngineError as exc:
            raise BackupError(*exc.args) from None
        if not summary.rows:
            raise BackupError(_l("The database is empty (run init-db first): there is nothing to back up."))
        with os.fdopen(fd, "wb") as out:
            sealed = SealedWriter(out, key, chunk_size)
            with tarfile.open(fileobj=sealed, mode="w|", format=tarfile.PAX_FORMAT,
                              bufsize=STREAM_BUFFER, copybufsize=STREAM_BUFFER) as tar:
                _write_content(tar, engine.member, snapshot, evidence_root, summary, keyring.current_id)
            sealed.finish()
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    finally:
        for path in (partial, snapshot):
            if os.path.exists(path):
                os.unlink(path)
    summary.size, summary.sha256 = sealed.size, sealed.digest.hexdigest()
    summary.seconds = time.monotonic() - started
    with database.connection_context(), database.atomic():
        # A backup is an export of everything, confidential fields included: it is on the record.
        audit.record(None, "instance.backup", file=os.path.basename(target), sha256=summary.sha256,
                     size=summary.size, key_id=summary.key_id)
    return summary


def _refuse_unless_empty(engine, evidence_root: str) -> None:
    """:raise BackupError: the database holds a table, or the evidence folder a file."""
    advice = _l("Restore only into an empty instance: its own INCIDENTS_INSTANCE_PATH (or DATABASE_URL "
                "and EVIDENCE_DIR) with the keys of the installation that made the backup.")
    try:
        empty = engine.is_empty()
    except engines.EngineError as exc:
        raise BackupError(*exc.args) from None
    if not empty:
        raise BackupError(_l("The database %(path)s is not empty. %(advice)s", path=engine.where(), advice=advice))
    for folder, _dirs, files in os.walk(evidence_root):
        if files:
            raise BackupError(_l("The evidence folder %(path)s is not empty (it holds %(file)s). %(advice)s",
                                 path=evidence_root, file=os.path.join(folder, files[0]), advice=advice))


def _copy_out(tar: tarfile.TarFile, member: tarfile.TarInfo, path: str) -> str:
    """Write one archived file to ``path``, never over an existing file; its SHA-256."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    digest, source = hashlib.sha256(), tar.extractfile(member)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        while chunk := source.read(STREAM_BUFFER):
            digest.update(chunk)
            out.write(chunk)
    os.chmod(path, member.mode & 0o660)  # as it was (originals read-only), never for others
    os.utime(path, (member.mtime, member.mtime))
    return digest.hexdigest()


def _evidence_path(staging: str, name: str) -> str:
    parts = name[len(EVIDENCE_PREFIX):].split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise BackupError(_l("The backup names a file outside the evidence folder: %(name)s.", name=name))
    return os.path.join(staging, *parts)


def _extract(tar: tarfile.TarFile, engine, staged_db: str, staging: str, summary: Summary) -> tuple[dict, dict]:
    """Unpack into the staging folders; (SHA-256 of each file written, the manifest)."""
    hashes, manifest = {}, {}
    for member in tar:
        if member.isreg() and member.name == MANIFEST_MEMBER:
            manifest = json.load(tar.extractfile(member))
        elif member.isreg() and member.name == engine.member:
            hashes[member.name] = _copy_out(tar, member, staged_db)
            summary.database_bytes = member.size
        elif member.isreg() and member.name in DATABASE_MEMBERS:
            raise BackupError(_l("The backup is of another database engine (it holds %(member)s): restore it "
                                 "into an instance on that engine.", member=member.name))
        elif member.isreg() and member.name.startswith(EVIDENCE_PREFIX):
            hashes[member.name] = _copy_out(tar, member, _evidence_path(staging, member.name))
            summary.evidence_files += 1
            summary.evidence_bytes += member.size
        else:
            raise BackupError(_l("The backup holds something unexpected: %(name)s.", name=member.name))
    return hashes, manifest


def _check(manifest: dict, hashes: dict, name: str, settings) -> None:
    """:raise BackupError: a file missing, added or changed, or a newer schema."""
    if not manifest:
        raise BackupError(_l("%(name)s has no manifest.", name=name))
    expected = manifest["files"]
    for member in sorted(set(expected) | set(hashes)):
        if expected.get(member) != hashes.get(member):
            raise BackupError(_l("%(name)s does not match its manifest at %(member)s (missing, added or changed).",
                                 name=name, member=member))
    # Identities in the backup stay encrypted with the data key of the instance that made it
    # (backups made before migration 0015 hold them in clear, and the restore encrypts them).
    if ENCRYPTION_MIGRATION in manifest["migrations"] and manifest["data_key_id"] not in keyring.ids:
        raise BackupError(_l("%(name)s holds identities encrypted with data key %(key)s, which this instance "
                             "does not hold: give it that key (INCIDENTS_DATA_KEY, or the data_key file of the "
                             "instance that made the backup) and restore again.",
                             name=name, key=manifest["data_key_id"]))
    known = {entry[:-3] for entry in os.listdir(MIGRATIONS_DIR) if entry.endswith(".py")}
    unknown = [migration for migration in manifest["migrations"] if migration not in known]
    if unknown:
        raise BackupError(_l("%(name)s comes from a newer version of the application (its migration "
                             "%(migration)s is unknown here): upgrade this one first.",
                             name=name, migration=unknown[0]))


def _remove_empty_folders(path: str) -> None:
    for folder, _dirs, _files in os.walk(path, topdown=False):
        os.rmdir(folder)  # fails, and removes nothing more, should a file have appeared


def _move_into_place(staging: str, evidence_root: str, staged_db: str, engine) -> None:
    os.sync()  # every restored byte is on disk before the instance points at it
    for entry in os.listdir(staging):
        destination = os.path.join(evidence_root, entry)
        if os.path.isdir(destination):
            _remove_empty_folders(destination)
        os.replace(os.path.join(staging, entry), destination)
    try:
        engine.put_in_place(staged_db)  # last: the instance holds data only once all of it is in place
    except engines.EngineError as exc:
        raise BackupError(*exc.args) from None


def restore_backup(settings, source: str) -> Summary:
    """Bring the backup ``source`` into this instance, which must be empty; then migrate it.

    Every chunk is authenticated and every file checked against the manifest in staging folders
    beside the database and inside the evidence folder; only then is anything moved into place
    (by renames), so a damaged, cut-off or altered backup, or a wrong key, changes nothing.
    :raise BackupError: an instance that is not empty, another key or engine, a failed check.
    """
    key, engine, started = backup_key(settings), _engine(settings), time.monotonic()
    evidence_root, name = os.path.abspath(settings.EVIDENCE_DIR), os.path.basename(source)
    # A SQLite file is staged beside the database, to be renamed into place; a dump in the evidence
    # folder's hidden staging area, which no backup copies.
    db_folder = engine.folder or evidence_root
    for folder in (db_folder, evidence_root):
        _remove_leftovers(folder, ".restore-")
    _refuse_unless_empty(engine, evidence_root)
    for folder in (db_folder, evidence_root):
        os.makedirs(folder, mode=0o700, exist_ok=True)
    db_staging = tempfile.mkdtemp(dir=db_folder, prefix=".restore-")
    staging = tempfile.mkdtemp(dir=evidence_root, prefix=".restore-")
    staged_db = os.path.join(db_staging, engine.member)
    summary = Summary(key_id=key_id(key).hex(), size=os.path.getsize(source))
    try:
        try:
            with open(source, "rb") as handle:
                whole_file = _HashingReader(handle)
                reader = SealedReader(whole_file, key, name)
                with tarfile.open(fileobj=reader, mode="r|", bufsize=STREAM_BUFFER) as tar:
                    hashes, manifest = _extract(tar, engine, staged_db, staging, summary)
                reader.drain()
        except Unreadable as exc:
            raise BackupError(*exc.args) from None
        except (tarfile.TarError, OSError, ValueError) as exc:
            raise BackupError(_l("%(name)s could not be restored: %(reason)s.", name=name, reason=exc)) from None
        _check(manifest, hashes, name, settings)
        _move_into_place(staging, evidence_root, staged_db, engine)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(db_staging, ignore_errors=True)
    summary.created_at, summary.rows = manifest["created_at"], manifest["rows"]
    summary.migrations, summary.migrated = manifest["migrations"], migrate()
    with database.connection_context():
        # Sessions revoked after the backup was made must not come back with it.
        User.update(session_epoch=User.session_epoch + 1).execute()
    summary.sha256 = whole_file.digest.hexdigest()
    summary.seconds = time.monotonic() - started
    with database.connection_context(), database.atomic():
        audit.record(None, "instance.restore", file=name, sha256=summary.sha256,
                     backup_created_at=summary.created_at, key_id=summary.key_id)
    return summary
