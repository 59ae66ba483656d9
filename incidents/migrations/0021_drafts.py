"""Drafts of the incident form, kept as their author types (sealed; see models/drafts.py)."""
from peewee import CharField, DateTimeField, IntegerField, TextField

from incidents.migrations import Frozen, create_tables, foreign_key


class _Draft(Frozen):
    author = foreign_key("user", on_delete="CASCADE")
    form = CharField(max_length=20)
    incident = foreign_key("incident", null=True, on_delete="CASCADE")
    version = IntegerField(null=True)
    fields = TextField()
    updated_at = DateTimeField(index=True)

    class Meta:
        table_name = "draft"
        indexes = ((("author", "form"), True),)


def up(migrator, db):
    create_tables(db, _Draft)
