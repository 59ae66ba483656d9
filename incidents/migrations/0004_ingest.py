"""Ingest batches: an item may come from an archive and belong to no incident yet."""
from incidents.db import add_missing_columns
from incidents.models import EvidenceItem, IngestBatch, IngestEntry


def up(migrator, db):
    db.create_tables([IngestBatch, IngestEntry], safe=True)
    add_missing_columns(migrator, EvidenceItem, "batch")
    column = next(c for c in db.get_columns("evidence_item") if c.name == "incident_id")
    if not column.null:
        migrator.migrate(migrator.drop_not_null("evidence_item", "incident_id"))
