"""Pseudonyms, localities and authorities take the 300 characters validation allows: as VARCHAR(255)
on PostgreSQL, a longer one failed with a 500. (SQLite does not enforce declared lengths.)"""
from peewee import SqliteDatabase

from incidents.models import Facility, Person


def up(migrator, db):
    if isinstance(db, SqliteDatabase):
        return
    migrator.migrate(*[migrator.alter_column_type(model._meta.table_name, field.column_name, field)
                       for model, field in ((Person, Person.pseudonym), (Facility, Facility.locality),
                                            (Facility, Facility.authority))])
