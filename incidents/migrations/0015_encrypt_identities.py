"""Identities encrypted at rest (see encryption.py): what earlier versions kept in clear text is
encrypted with the current data key."""
from peewee import SqliteDatabase, TextField

from incidents.cli.key_rotation import reseal
from incidents.models import sealed_fields


def up(migrator, db):
    # Paths are encrypted now, each with its own nonce: a unique index on them means nothing.
    if "ingest_entry_batch_id_path" in {index.name for index in db.get_indexes("ingest_entry")}:
        migrator.migrate(migrator.drop_index("ingest_entry", "ingest_entry_batch_id_path"))
    if not isinstance(db, SqliteDatabase):
        # Ciphertext outgrows VARCHAR(255) and VARCHAR(300); SQLite does not enforce declared lengths.
        migrator.migrate(*[migrator.alter_column_type(model._meta.table_name, column.column_name,
                                                      TextField(null=column.null))
                           for model, column in sealed_fields()])
    reseal()
