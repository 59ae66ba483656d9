"""Settings, the SQLite database and migrations."""
from __future__ import annotations

import os
import stat

import pytest

from incidents.config import load_settings
from incidents.db import MIGRATIONS_DIR, database, migrate
from tests.helpers import TEST_DATABASE_URL


def test_secrets_are_generated_into_the_instance_folder(tmp_path, monkeypatch):
    """Are the secret key and the data key generated once into the instance folder, distinct and readable
    only by their owner?"""
    monkeypatch.delenv("INCIDENTS_SECRET_KEY", raising=False)
    monkeypatch.delenv("INCIDENTS_DATA_KEY", raising=False)
    first = load_settings(str(tmp_path))
    second = load_settings(str(tmp_path))
    assert first.SECRET_KEY == second.SECRET_KEY and len(first.SECRET_KEY) == 64
    assert first.SECRET_KEY != first.DATA_KEY
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_environment_and_mapping_precedence(tmp_path, monkeypatch):
    """Do settings passed to the application override the environment, and does the environment fill in the
    rest?"""
    monkeypatch.setenv("INCIDENTS_DATABASE_URL", "sqlite:///from-env.sqlite3")
    monkeypatch.setenv("INCIDENTS_MAX_TEXT_LENGTH", "500")
    settings = load_settings(str(tmp_path), {"DATABASE_URL": "sqlite:///from-mapping.sqlite3"})
    assert settings.DATABASE_URL == "sqlite:///from-mapping.sqlite3"
    assert settings.MAX_TEXT_LENGTH == 500


@pytest.mark.skipif(TEST_DATABASE_URL.startswith("postgres"), reason="SQLite pragmas")
def test_sqlite_runs_in_wal_with_foreign_keys(app):
    """Does SQLite run with write-ahead logging, foreign keys enforced and deleted data overwritten?"""
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute_sql("PRAGMA secure_delete").fetchone()[0] == 1


@pytest.mark.skipif(TEST_DATABASE_URL.startswith("postgres"), reason="SQLite file")
def test_database_file_is_private(app, settings):
    """Is the SQLite database file readable only by its owner?"""
    path = settings["DATABASE_URL"].split(":///", 1)[1]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_migrations_are_recorded_and_safe_to_run_twice(app):
    """Are all migrations recorded in order as applied, and does running them again do nothing?"""
    assert migrate() == []
    applied = [row[0] for row in database.execute_sql("SELECT name FROM schema_migration ORDER BY id")]
    files = sorted(name[:-3] for name in os.listdir(MIGRATIONS_DIR) if name[:4].isdigit())
    assert applied == files and applied[0] == "0001_initial"


def test_a_later_migration_adds_its_columns_to_an_older_database(app):
    """Does upgrading an older database add the evidence file columns and tables?

    0002 on a database made before it: the evidence columns appear, existing rows stay."""
    from playhouse.migrate import SchemaMigrator

    from incidents.models import StoredFile
    migrator = SchemaMigrator.from_database(database.obj)
    with database.atomic():
        migrator.migrate(migrator.drop_column("evidence_item", "original_filename"),
                         migrator.drop_column("evidence_item", "received_on"))
        database.execute_sql("DROP TABLE custody_event")
        database.execute_sql("DELETE FROM schema_migration WHERE name = '0002_evidence_files'")
    assert migrate() == ["0002_evidence_files"]
    columns = {c.name for c in database.get_columns("evidence_item")}
    assert {"original_filename", "received_on"} <= columns and StoredFile.table_exists()


def test_init_db_command_twice(app):
    """Can the init-db command run twice, and does it give a fresh one-time link while there are still no
    users?"""
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "/set-password/" in second.output  # still no users: a fresh one-time link


def test_sort_key_migration_on_an_older_database(app, client, users):
    """Does upgrading an older database compute the sort keys of already published incidents, so that
    search, ordering and counts work on them?

    0008 on a database made before it: keys computed in SQL equal ``key_of``, search and
    counts work on the rows that were published already."""
    from incidents.models import PublishedCount, PublishedIncident
    from tests.factories import make_facility, make_incident, publish
    place = make_facility(users["contributor"])
    for start in ("1999-12-31", "2020-02-29", "2024"):
        publish(make_incident(users["contributor"], place, date_start=start,
                              date_precision="year" if len(start) == 4 else "day"),
                users["contributor"], users["reviewer"])
    with database.atomic():
        for index in database.get_indexes("published_incident"):
            if "sort_key" in index.columns:
                database.execute_sql(f"DROP INDEX {index.name}")
        database.execute_sql("UPDATE published_incident SET sort_key = 0")
        database.execute_sql("CREATE INDEX published_incident_facility_id ON published_incident (facility_id)")
        database.execute_sql("DROP TABLE published_count")
        database.execute_sql("DELETE FROM published_search")
        database.execute_sql("DELETE FROM schema_migration WHERE name = '0008_sort_key'")
        if TEST_DATABASE_URL.startswith("postgres"):  # 0008 drops the index table, which 0026 makes there
            database.execute_sql("DELETE FROM schema_migration WHERE name = '0026_postgres_search'")
    assert migrate() == (["0008_sort_key", "0026_postgres_search"] if TEST_DATABASE_URL.startswith("postgres")
                         else ["0008_sort_key"])
    rows = list(PublishedIncident.select())
    assert [row.sort_key for row in rows] == [PublishedIncident.key_of(row.date_start, row.incident_id)
                                              for row in rows]
    assert "published_incident_facility_id" not in {i.name for i in database.get_indexes("published_incident")}
    body = client.get("/api/v1/incidents?q=пытки").get_json()
    assert body["total"] == 3 and [item["date_start"] for item in body["items"]] == \
        ["2024-01-01", "2020-02-29", "1999-12-31"]
    assert PublishedCount.get(dimension="total").count == 3
