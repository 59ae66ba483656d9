"""Backup and restore on PostgreSQL (issue 15, point 1): `pg_dump` of one snapshot inside the same
sealed file as SQLite's, restored with `pg_restore` into an empty database. Runs in the PostgreSQL
suite (`make test-postgres`); the SQLite suite has its own (test_backup.py)."""
from __future__ import annotations

import os

import pytest

from incidents import create_app
from incidents.backup.archive import BackupError, create_backup, restore_backup
from incidents.db import database
from incidents.models import AuditEvent, EvidenceItem, Person, PublishedIncident
from incidents.publication import fulltext
from incidents.publication.search_keys import query_keys
from tests.backup.conftest import FILE_BYTES, LEGAL_NAME
from tests.helpers import TEST_DATABASE_URL, database_named

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgres"), reason="PostgreSQL's own backup")


@pytest.fixture
def other_database():
    """The URL of a second, empty database in the same cluster, dropped afterwards."""
    import psycopg2
    name = "restored_" + os.urandom(4).hex()
    admin = psycopg2.connect(TEST_DATABASE_URL)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    yield database_named(TEST_DATABASE_URL, name)
    if not database.is_closed():
        database.close()
    admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


def counts() -> dict:
    return {model.__name__: model.select().count() for model in (PublishedIncident, Person, EvidenceItem, AuditEvent)}


def test_a_backup_restores_into_an_empty_database_whole(app, filled, tmp_path, settings, other_database):
    """Does a backup of a PostgreSQL instance restore into an empty database and evidence folder with
    every row, the identities readable with the same keys, the files whole, search finding what it
    found, and the audit trail going on; and is a second restore into it refused?"""
    before = counts()
    backup = tmp_path / "instance.backup"
    summary = create_backup(app.config["SETTINGS"], str(tmp_path / "instance"), str(backup))
    assert summary.rows["published_incident"] == before["PublishedIncident"] and summary.database_bytes > 0
    found = {row[0] for row in fulltext.all_keys(query_keys("пытки"))}
    restored = create_app({**{name: settings[name] for name in ("SECRET_KEY", "DATA_KEY", "BACKUP_KEY")},
                           "INSTANCE_PATH": str(tmp_path / "restored"), "DATABASE_URL": other_database,
                           "EVIDENCE_DIR": str(tmp_path / "restored" / "evidence"), "TESTING": True})
    with restored.app_context():
        restore_backup(restored.config["SETTINGS"], str(backup))
        with database.connection_context():
            after = counts()
            assert {k: v for k, v in after.items() if k != "AuditEvent"} == \
                {k: v for k, v in before.items() if k != "AuditEvent"}
            assert after["AuditEvent"] == before["AuditEvent"] + 1  # the restore (the backup is recorded after its copy)
            assert LEGAL_NAME in [person.legal_name for person in Person.select()]
            assert {row[0] for row in fulltext.all_keys(query_keys("пытки"))} == found != set()
            leak = next(item for item in EvidenceItem.select() if item.original_filename == "leak.bin")
        sha = leak.stored_file_id
        with open(os.path.join(str(tmp_path / "restored" / "evidence"), "originals", sha[:2], sha[2:4], sha), "rb") as f:
            assert f.read() == FILE_BYTES
        with pytest.raises(BackupError, match="not empty"):
            restore_backup(restored.config["SETTINGS"], str(backup))
