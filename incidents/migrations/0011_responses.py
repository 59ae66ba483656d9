"""Responses: what happened after an incident (ESF Intervention)."""
from peewee import BooleanField, CharField, DateField, IntegerField, TextField

from incidents.migrations import Frozen, create_tables, foreign_key


class _Response(Frozen):
    incident = foreign_key("incident", on_delete="CASCADE")
    position = IntegerField()
    kind = CharField()
    date = DateField(null=True)
    body = CharField(max_length=300)
    description = TextField()
    confidential = BooleanField()

    class Meta:
        table_name = "response"


def up(migrator, db):
    create_tables(db, _Response)
