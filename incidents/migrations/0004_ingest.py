"""Ingest batches: an item may come from an archive and belong to no incident yet."""
from peewee import BigIntegerField, CharField, DateField, DateTimeField, TextField

from incidents.migrations import Frozen, add_columns, create_tables, foreign_key


class _IngestBatch(Frozen):
    root = TextField()
    incident = foreign_key("incident", null=True)
    source = TextField()
    acquisition = CharField()
    received_on = DateField(null=True)
    note = TextField()
    actor = foreign_key("user")
    started_at = DateTimeField()
    finished_at = DateTimeField(null=True)

    class Meta:
        table_name = "ingest_batch"


class _IngestEntry(Frozen):
    batch = foreign_key("ingest_batch", on_delete="CASCADE")
    path = TextField()
    size = BigIntegerField()
    mtime_ns = BigIntegerField()
    sha256 = CharField(max_length=64)
    item = foreign_key("evidence_item", null=True)

    class Meta:
        table_name = "ingest_entry"
        indexes = ((("batch", "path"), True),)


def up(migrator, db):
    create_tables(db, _IngestBatch, _IngestEntry)
    add_columns(migrator, "evidence_item", batch_id=foreign_key("ingest_batch", null=True))
    column = next(c for c in db.get_columns("evidence_item") if c.name == "incident_id")
    if not column.null:
        migrator.migrate(migrator.drop_not_null("evidence_item", "incident_id"))
