"""Backups: a round trip keeps every row and every file; a damaged, cut, added-to or foreign backup
changes nothing; the file shows nothing confidential to someone without the key."""
from __future__ import annotations

import os
import sqlite3
import stat
import tracemalloc
from contextlib import closing

import pytest

from incidents import create_app
from incidents.backup.archive import create_backup, restore_backup
from incidents.backup.sealed import CHUNK_SIZE, HEADER, TAG_SIZE, SealedReader
from incidents.config import load_settings
from incidents.db import database
from tests.backup.conftest import BACKUP_KEY, CONTACT, FILE_BYTES, LEGAL_NAME, SOURCE
from tests.factories import JPEG, attach_file, make_facility, make_incident
from tests.helpers import TEST_DATABASE_URL

# The database is compared file to file; PostgreSQL's round trip is test_postgres_backup.py's.
sqlite_only = pytest.mark.skipif(TEST_DATABASE_URL.startswith("postgres"), reason="compares SQLite files")


@pytest.fixture
def fresh_instance(settings, tmp_path):
    """``fresh_instance()``: an empty instance with the source's keys (or others, as ``overrides``)."""

    def make(**overrides):
        folder = tmp_path / "restored"
        keys = {name: settings[name] for name in ("SECRET_KEY", "DATA_KEY", "BACKUP_KEY")}
        return create_app({**keys, "INSTANCE_PATH": str(folder), "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3",
                           "EVIDENCE_DIR": str(folder / "evidence"), "TESTING": True, **overrides})

    return make


def rows(database_path: str) -> dict:
    """Every table's rows (sorted, so that the order on disk does not matter), and the schema."""
    with closing(sqlite3.connect(database_path)) as db:
        names = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        found = {name: sorted(db.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}
        found["audit_event"] = db.execute("SELECT * FROM audit_event ORDER BY id").fetchall()
        found["schema"] = sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall(),
                                 key=repr)
    return found


def files(root: str, folder: str = "originals") -> dict:
    found = {}
    for path, _dirs, names in os.walk(os.path.join(root, folder)):
        for name in names:
            with open(os.path.join(path, name), "rb") as handle:
                found[os.path.relpath(os.path.join(path, name), root)] = handle.read()
    return found


def last_action(database_path: str) -> str:
    with closing(sqlite3.connect(database_path)) as db:
        return db.execute("SELECT action FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()[0]


def database_path(app) -> str:
    return app.config["SETTINGS"].DATABASE_URL.split(":///", 1)[1]


def assert_empty(instance) -> None:
    """Nothing restored, and nothing left behind: no tables, no files, no staging folders."""
    settings = instance.config["SETTINGS"]
    with closing(sqlite3.connect(database_path(instance))) as db:
        assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    assert not [names for _path, _dirs, names in os.walk(settings.EVIDENCE_DIR) if names]
    assert os.listdir(settings.EVIDENCE_DIR) == []
    assert not [n for n in os.listdir(os.path.dirname(database_path(instance))) if n.startswith(".restore-")]


@sqlite_only
def test_a_restored_instance_has_every_row_and_file_and_works(app, filled, tmp_path, fresh_instance):
    """Does a backup restored into an empty instance bring back every row and every original, recorded in
    the audit trail, with old sessions revoked, and serve at once?"""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    source = app.config["SETTINGS"]
    before, originals = rows(database_path(app)), files(source.EVIDENCE_DIR)
    backup = tmp_path / "nightly.backup"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert "Backup written to" in result.output and " s." in result.output and "evidence: " in result.output
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert not [n for n in os.listdir(app.instance_path) if n.startswith(".backup")]  # the snapshot is gone
    assert last_action(database_path(app)) == "instance.backup"  # a backup is on the record

    target = fresh_instance()
    result = target.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output

    with closing(sqlite3.connect(database_path(target))) as db:
        epochs = dict(db.execute('SELECT id, session_epoch FROM "user"'))
        # Sessions revoked after the backup must not come back with it: every epoch moved on.
        db.execute('UPDATE "user" SET session_epoch = session_epoch - 1')
        db.commit()
    with closing(sqlite3.connect(database_path(app))) as db:
        assert epochs == {id_: epoch + 1 for id_, epoch in db.execute('SELECT id, session_epoch FROM "user"')}
    after = rows(database_path(target))
    assert last_action(database_path(target)) == "instance.restore"
    assert after.pop("audit_event")[:-1] == before.pop("audit_event")
    assert after == before
    assert files(target.config["SETTINGS"].EVIDENCE_DIR) == originals
    assert not os.path.exists(os.path.join(target.config["SETTINGS"].EVIDENCE_DIR, "previews"))  # made again
    assert target.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
    assert target.test_cli_runner().invoke(args=["evidence", "verify"]).exit_code == 0
    # No init-db: the restored instance serves at once.
    assert target.test_client().get(f"/incidents/{filled['published'].id}").status_code == 200


@sqlite_only
def test_a_restore_by_a_process_that_read_the_empty_database_goes_into_the_restored_file(
        app, filled, tmp_path, fresh_instance):
    """Connections are pooled: one left open on the empty database must not be where the restore's
    migrations and audit record go, nor what the process reads afterwards."""
    backup = tmp_path / "nightly.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    target = fresh_instance()
    with database.connection_context():  # back to the pool afterwards, open on the empty file
        assert database.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    result = target.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code == 0, result.output
    assert last_action(database_path(target)) == "instance.restore"
    assert target.test_client().get(f"/incidents/{filled['published'].id}").status_code == 200


@sqlite_only
def test_a_raw_read_of_a_backup_finds_nothing_confidential(app, filled, tmp_path):
    """Can someone who holds a backup file but not the backup key read any name, contact, source, address
    or file in it?"""
    backup = tmp_path / "b.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    raw = backup.read_bytes()
    assert raw.startswith(b"incidents-backup\x01")
    for secret in (LEGAL_NAME, CONTACT, SOURCE, "contributor@example.org"):
        assert secret.encode() not in raw
    assert FILE_BYTES[:64] not in raw and JPEG[-64:] not in raw
    with open(backup, "rb") as handle:  # the control: the key opens what a raw read cannot see
        reader = SealedReader(handle, bytes.fromhex(BACKUP_KEY), "b.backup")
        content = reader.read(len(raw))
    assert FILE_BYTES in content and b"database.sqlite3" in content


def cut_records(raw: bytes, chunk: int, keep) -> bytes:
    size = chunk + TAG_SIZE
    records = [raw[at: at + size] for at in range(HEADER.size, len(raw), size)]
    return raw[: HEADER.size] + b"".join(keep(records))


def flipped(raw: bytes, at: int) -> bytes:
    return raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1:]


SMALL_CHUNK = 64 * 1024
DAMAGE = {
    "a byte flipped in the first chunk": (lambda raw: flipped(raw, HEADER.size + 5), "damaged or was altered"),
    "a byte flipped in the middle": (lambda raw: flipped(raw, len(raw) // 2), "damaged or was altered"),
    "a byte flipped in the last tag": (lambda raw: flipped(raw, len(raw) - 1), "damaged or was altered"),
    "a byte flipped in the header": (lambda raw: flipped(raw, HEADER.size - 1), "damaged or was altered"),
    "cut in the middle of a chunk": (lambda raw: raw[: len(raw) // 2], "damaged or was altered"),
    "cut after a chunk": (lambda raw: cut_records(raw, SMALL_CHUNK, lambda r: r[:3]), "is incomplete"),
    "a chunk appended": (lambda raw: cut_records(raw, SMALL_CHUNK, lambda r: r + [r[1]]), "damaged or was altered"),
    "a chunk dropped": (lambda raw: cut_records(raw, SMALL_CHUNK, lambda r: r[:2] + r[3:]), "damaged"),
    "two chunks swapped": (lambda raw: cut_records(raw, SMALL_CHUNK, lambda r: [r[1], r[0]] + r[2:]), "damaged"),
    "only the header": (lambda raw: raw[: HEADER.size], "is incomplete"),
    "not a backup": (lambda raw: b"PK\x03\x04" + raw[4:], "not a backup made by this application"),
}


@sqlite_only
@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_backup_is_refused_and_changes_nothing(app, filled, tmp_path, fresh_instance, damage):
    """Is a backup that was damaged, cut, added to, reordered or is not a backup at all refused, leaving
    the instance empty and still fit for an intact copy?"""
    change, message = DAMAGE[damage]
    intact = tmp_path / "intact.backup"
    with app.app_context():
        create_backup(app.config["SETTINGS"], app.instance_path, str(intact), chunk_size=SMALL_CHUNK)
    raw = intact.read_bytes()
    assert len(raw) > HEADER.size + 4 * (SMALL_CHUNK + TAG_SIZE)  # enough chunks to cut and swap
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(change(raw))
    target = fresh_instance()
    result = target.test_cli_runner().invoke(args=["restore", str(damaged)])
    assert result.exit_code != 0
    assert message in result.output and "Nothing was restored." in result.output, result.output
    assert_empty(target)
    # The instance is still fit for the intact copy.
    assert target.test_cli_runner().invoke(args=["restore", str(intact)]).exit_code == 0


@sqlite_only
@pytest.mark.parametrize("key, message", [("BACKUP_KEY", "another backup key"),
                                          ("DATA_KEY", "which this instance does not hold")])
def test_an_instance_with_other_keys_is_refused(app, filled, tmp_path, fresh_instance, key, message):
    """Is restoring a backup into an instance that holds another backup key or another data key refused,
    restoring nothing?"""
    backup = tmp_path / "b.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    target = fresh_instance(**{key: "0" * 64})
    result = target.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code != 0
    assert message in result.output and "Nothing was restored." in result.output
    assert_empty(target)


@sqlite_only
def test_restoring_into_an_instance_that_is_not_empty_is_refused(app, filled, tmp_path, fresh_instance):
    """Can a backup be restored over an instance that already has data or files in its evidence folder?"""
    backup = tmp_path / "b.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    count = len(rows(database_path(app))["audit_event"])
    result = app.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code != 0 and "is not empty" in result.output
    assert len(rows(database_path(app))["audit_event"]) == count

    target = fresh_instance()
    os.makedirs(os.path.join(target.config["SETTINGS"].EVIDENCE_DIR, "originals"))
    with open(os.path.join(target.config["SETTINGS"].EVIDENCE_DIR, "originals", "stray"), "w") as handle:
        handle.write("left over")
    result = target.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code != 0 and "evidence folder" in result.output and "stray" in result.output


@sqlite_only
def test_memory_stays_bounded_for_a_large_file(app, users, tmp_path, fresh_instance):
    """Do backing up and restoring a large file keep memory use far below the file's size?

    The file goes through in chunks: many of them, and far less memory than its size."""
    size = 16 * CHUNK_SIZE
    incident = make_incident(users["contributor"], make_facility(users["contributor"]))
    attach_file(app, incident, users["contributor"], os.urandom(size), "video.bin")
    backup = tmp_path / "large.backup"
    tracemalloc.start()
    try:
        with app.app_context():
            create_backup(app.config["SETTINGS"], app.instance_path, str(backup))
        written_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    target = fresh_instance()  # made outside the measure: the app itself is not the point
    tracemalloc.start()
    try:
        with target.app_context():
            restore_backup(target.config["SETTINGS"], str(backup))
        restored_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (backup.stat().st_size - HEADER.size) // (CHUNK_SIZE + TAG_SIZE) >= 16
    # A few chunks in memory at a time (about 3.5 MiB each way), never the 16 MiB file.
    assert written_peak < 6 * CHUNK_SIZE and restored_peak < 6 * CHUNK_SIZE, (written_peak, restored_peak)


def test_an_unreachable_postgresql_is_said_and_nothing_is_written(tmp_path, fresh_instance):
    """When the PostgreSQL server cannot be reached, do backup and restore say so, fail, and leave no
    file behind?"""
    app = fresh_instance(DATABASE_URL="postgresql://nobody:secret@127.0.0.1:1/none")
    for command in (["backup", str(tmp_path / "b.backup")], ["restore", __file__]):
        result = app.test_cli_runner().invoke(args=command)
        assert result.exit_code != 0 and "cannot be reached" in result.output and "secret" not in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "b.backup").exists()


def test_the_backup_key_is_generated_apart_and_must_be_32_bytes(tmp_path, fresh_instance, monkeypatch):
    """Is the backup key generated apart from the other keys, kept private, and refused when it is not 64
    hexadecimal digits?"""
    monkeypatch.delenv("INCIDENTS_BACKUP_KEY", raising=False)
    settings = load_settings(str(tmp_path))
    assert len(bytes.fromhex(settings.BACKUP_KEY)) == 32
    assert settings.BACKUP_KEY not in (settings.SECRET_KEY, settings.DATA_KEY)
    assert stat.S_IMODE(os.stat(tmp_path / "backup_key").st_mode) == 0o600
    app = fresh_instance(BACKUP_KEY="not hex")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.backup")])
    assert result.exit_code != 0 and "64 hexadecimal digits" in result.output


@sqlite_only
def test_leftovers_of_a_killed_run_are_cleared(app, filled, tmp_path, fresh_instance):
    """Are the clear-text snapshot left by a killed backup and the staging left by a killed restore cleared
    on the next run?

    A killed backup leaves a clear-text snapshot, a killed restore its staging: neither stays."""
    stale = os.path.join(app.instance_path, ".backup-snapshot-killed")
    with open(stale, "w") as handle:
        handle.write("identities in clear")
    backup = tmp_path / "b.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    assert not os.path.exists(stale)
    target = fresh_instance()
    evidence = target.config["SETTINGS"].EVIDENCE_DIR
    os.makedirs(os.path.join(evidence, ".restore-killed"), exist_ok=True)
    result = target.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code == 0, result.output
    assert not os.path.exists(os.path.join(evidence, ".restore-killed"))
