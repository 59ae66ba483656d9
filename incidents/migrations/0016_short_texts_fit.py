"""Pseudonyms, localities and authorities take the 300 characters validation allows: as VARCHAR(255)
on PostgreSQL, a longer one failed with a 500. (SQLite does not enforce declared lengths.)"""
from peewee import CharField, SqliteDatabase


def up(migrator, db):
    if isinstance(db, SqliteDatabase):
        return
    migrator.migrate(migrator.alter_column_type("person", "pseudonym", CharField(max_length=300)),
                     migrator.alter_column_type("facility", "locality", CharField(max_length=300)),
                     migrator.alter_column_type("facility", "authority", CharField(max_length=300)))
