"""Migrations: does every step, run in order, build the schema the models declare, and does a
database made at an old step reach it with its data?"""
from __future__ import annotations

import datetime
import json
import pprint

from peewee import SqliteDatabase
from playhouse.migrations import Runner

from incidents.db import MIGRATIONS_DIR, database, init_database, migrate

# Declared types SQLite does not enforce, which 0015, 0016 and 0025 change on PostgreSQL only: a SQLite
# database keeps them as 0001, 0002, 0011 and 0014 declared them, whether upgraded or migrated afresh.
SQLITE_DECLARED = {
    ("user", "totp_secret"): "VARCHAR(255)", ("user", "totp_pending"): "VARCHAR(255)",
    ("person", "legal_name"): "VARCHAR(255)", ("person", "citizenship"): "VARCHAR(255)",
    ("person", "pseudonym"): "VARCHAR(255)", ("response", "body"): "VARCHAR(300)",
    ("evidence_item", "original_filename"): "VARCHAR(255)", ("evidence_item", "captured_place"): "VARCHAR(255)",
    ("facility", "locality"): "VARCHAR(255)", ("facility", "authority"): "VARCHAR(255)",
    ("response", "date"): "DATE", ("evidence_item", "received_on"): "DATE", ("evidence_item", "captured_on"): "DATE",
    ("ingest_batch", "received_on"): "DATE",
}


def _sqlite(db) -> bool:
    return isinstance(db, SqliteDatabase)


def _foreign_keys(db, table: str) -> set[tuple]:
    """(column, table and column it points at, what a deletion there does) of each foreign key."""
    if _sqlite(db):
        return {(column, target, to, on_delete) for _id, _seq, target, column, to, _update, on_delete, _match
                in db.execute_sql(f'PRAGMA foreign_key_list("{table}")')}
    return set(db.execute_sql(
        "SELECT kcu.column_name, ccu.table_name, ccu.column_name, rc.delete_rule "
        "FROM information_schema.referential_constraints rc "
        "JOIN information_schema.key_column_usage kcu ON kcu.constraint_schema = rc.constraint_schema "
        " AND kcu.constraint_name = rc.constraint_name "
        "JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_schema = rc.constraint_schema "
        " AND ccu.constraint_name = rc.constraint_name "
        "WHERE kcu.table_schema = current_schema() AND kcu.table_name = %s", (table,)))


def _lengths(db, table: str) -> dict[str, int | None]:
    """Declared lengths: PostgreSQL reports a VARCHAR's apart from its type."""
    if _sqlite(db):
        return {}
    return dict(db.execute_sql("SELECT column_name, character_maximum_length FROM information_schema.columns "
                               "WHERE table_schema = current_schema() AND table_name = %s", (table,)))


def describe(db) -> dict:
    """Every table as the engine reports it: columns (type, nullability, primary key), indexes
    (columns, uniqueness), foreign keys; on SQLite also the full-text table's definition."""
    schema = {}
    for table in db.get_tables():
        if table == "schema_migration":  # the runner's own record of what it applied
            continue
        lengths = _lengths(db, table)
        schema[table] = {
            "columns": {c.name: (c.data_type.upper(), lengths.get(c.name), c.null, c.primary_key)
                        for c in db.get_columns(table)},
            "indexes": {i.name: (tuple(i.columns), i.unique) for i in db.get_indexes(table)},
            "foreign_keys": _foreign_keys(db, table),
        }
    if _sqlite(db):
        schema["virtual tables"] = dict(db.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"))
    return schema


def _empty_database(tmp_path, name: str):
    """Point the models at an empty database: a new SQLite file, or PostgreSQL's schema emptied."""
    if _sqlite(database.obj):
        return init_database("sqlite:///" + str(tmp_path / f"{name}.sqlite3"))
    database.execute_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    return database.obj


def _declared_by_the_models(tmp_path) -> dict:
    from incidents.models import ALL_MODELS
    from incidents.publication import fulltext
    db = _empty_database(tmp_path, "models")
    with database.connection_context():
        database.create_tables(ALL_MODELS)
        fulltext.create()
        schema = describe(db)
    if _sqlite(db):
        for (table, column), declared in SQLITE_DECLARED.items():
            kind, length, null, primary = schema[table]["columns"][column]
            assert kind != declared, f"{table}.{column} is declared {declared} already: take it off the list"
            schema[table]["columns"][column] = (declared, length, null, primary)
    return schema


def _difference(migrated, declared) -> dict:
    """What differs, as {what: (migrated, declared)}."""
    if isinstance(declared, set):
        return {"only migrated": migrated - declared, "only declared": declared - migrated}
    return {key: (migrated.get(key), declared.get(key)) for key in migrated.keys() | declared.keys()
            if migrated.get(key) != declared.get(key)}


def test_every_step_from_an_empty_database_builds_what_the_models_declare(app, tmp_path):
    """Does every step, run from an empty database (the app's), build what the models create on
    another empty one: the same tables, columns, types, nullability, indexes and foreign keys?"""
    migrated = describe(database.obj)
    declared = _declared_by_the_models(tmp_path)
    assert migrated.keys() == declared.keys()
    differences = {(table, part): _difference(migrated[table][part], declared[table][part])
                   for table in declared for part in declared[table]
                   if migrated[table][part] != declared[table][part]}
    assert differences == {}, pprint.pformat(differences)  # (migrated, declared) of each part that differs


def _insert(db, table: str, **values) -> None:
    """A row written as an older version wrote it: straight into the table, by column name."""
    names = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join([db.param] * len(values))
    db.execute_sql(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', tuple(values.values()))


def test_a_database_made_at_step_4_reaches_today_with_its_data(app, tmp_path):
    """Does a database migrated up to 0004 and filled then (clear-text identities, a published
    incident with an assessed item, a deactivated user's token, a custody log that told of the
    store) reach the last step with its data: read back through today's models, encrypted,
    searchable, counted, and changed where later steps change it?"""
    from incidents import models
    from incidents.publication import facet_counts, open_data_row

    db = _empty_database(tmp_path, "old")
    with database.connection_context():
        assert Runner(db, MIGRATIONS_DIR).up(target="0004_ingest")[-1] == "0004_ingest"
    database.connect(reuse_if_open=True)
    now, day = datetime.datetime(2021, 3, 4, 5, 6, 7), datetime.date(2020, 2, 29)
    texts = {"title": json.dumps({"ru": "Пытки в СИЗО-1"}), "narrative": json.dumps({"ru": "Избиение током."})}
    with database.atomic():
        _insert(db, "user", id=1, email="old@example.org", name="Old", role="reviewer", active=True, created_at=now)
        _insert(db, "user", id=2, email="gone@example.org", name="Gone", role="researcher", active=False,
                created_at=now)
        _insert(db, "api_token", id=1, user_id=2, token_hash="h" * 64, created_at=now, revoked=False)
        _insert(db, "facility", id=1, names=json.dumps({"ru": "СИЗО-1"}), aliases="[]", type="pretrial",
                country="RU", region="RU-SAR", locality="Саратов", authority="", notes="", search_text="сизо-1",
                created_by_id=1, created_at=now, updated_at=now)
        _insert(db, "incident", id=1, reference="INC-000001", status="published", version=1, facility_id=1,
                date_start=day, date_precision="day", original_language="ru", graphic=False, created_by_id=1,
                created_at=now, updated_by_id=1, updated_at=now, published_revision=1, review_comment="",
                verification="verified", **texts)
        _insert(db, "person", id=1, incident_id=1, position=0, role="victim", pseudonym="A.", legal_name="Иван Петров",
                contact="+79000000000", citizenship="RU", sex="male", consent="none")
        _insert(db, "revision", id=1, incident_id=1, number=1, snapshot=json.dumps({"title": {"ru": "Пытки"}}),
                author_id=1, created_at=now)
        _insert(db, "evidence_item", id=1, incident_id=1, position=0, kind="link", url="https://example.org/v",
                description="Видео", created_by_id=1, created_at=now, original_filename="", graphic=False,
                confidential=False, source="Сосед", acquisition="", original_location="", captured_place="",
                originality="unknown", verification="verified")
        _insert(db, "custody_event", id=1, item_id=1, action="received", actor_id=1, sha256="",
                detail=json.dumps({"filename": "v.mp4", "already_stored": True}), created_at=now)
        _insert(db, "published_incident", incident_id=1, reference="INC-000001", facility_id=1, country="RU",
                region="RU-SAR", date_start=day, date_precision="day", original_language="ru", graphic=False,
                search_text="", published_at=now,
                public_data=json.dumps({"abuse": ["beating"], "evidence": [{"id": 1}]}), **texts)
        _insert(db, "published_term", id=1, incident_id=1, vocabulary="abuse", code="beating")
    assert migrate()[0] == "0005_fulltext" and migrate() == []

    person = models.Person.get_by_id(1)
    assert (person.legal_name, person.contact, person.citizenship) == ("Иван Петров", "+79000000000", "RU")
    raw = db.execute_sql("SELECT legal_name FROM person").fetchone()[0]
    assert "Иван" not in raw
    assert models.Revision.get_by_id(1).snapshot == {"title": {"ru": "Пытки"}}
    item = models.EvidenceItem.get_by_id(1)
    assert (item.source, item.confirmed_verification, item.confirmed_by_id) == ("Сосед", "verified", None)
    assert models.CustodyEvent.get_by_id(1).detail == {"filename": "v.mp4"}
    assert models.ApiToken.get_by_id(1).revoked
    published = models.PublishedIncident.get_by_id(1)
    assert (published.verification, published.title) == ("verified", {"ru": "Пытки в СИЗО-1"})
    assert (published.year, published.sort_key) == (2020, models.PublishedIncident.key_of(day, 1))
    row = models.PublishedRow.get(models.PublishedRow.incident == 1)
    assert (row.sort_key, row.codes, row.cells) == (published.sort_key, *open_data_row.csv_cells(
        open_data_row.values_of(published), published.public_data))
    kept = {(row.dimension, row.value): row.count for row in models.PublishedCount.select()
            if row.dimension != facet_counts.GENERATION}
    assert facet_counts.counted() == kept
    assert app.test_client().get("/api/v1/incidents?q=пытки").get_json()["total"] == 1
    assert models.Incident.get_by_id(1).search_keys.strip()
