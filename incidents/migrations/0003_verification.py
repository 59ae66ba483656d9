"""Verification assessments (Berkeley Protocol) and the statuses that follow from them."""
from peewee import CharField, DateTimeField, TextField

from incidents.migrations import Frozen, add_columns, create_tables, foreign_key


class _Assessment(Frozen):
    item = foreign_key("evidence_item", on_delete="RESTRICT")
    part = CharField()
    method = TextField()
    outcome = CharField()
    note = TextField()
    assessor = foreign_key("user")
    created_at = DateTimeField()

    class Meta:
        table_name = "assessment"


def up(migrator, db):
    create_tables(db, _Assessment)
    add_columns(migrator, "evidence_item", verification=CharField(default="unassessed", index=True))
    add_columns(migrator, "incident", verification=CharField(default="unassessed", index=True))
