"""Issue 16, point 5: trusted timestamps of the audit chain's head (models/audit.py)."""
from peewee import BlobField, CharField, DateTimeField, IntegerField, TextField

from incidents.migrations import Frozen, create_tables


class _AuditStamp(Frozen):
    event_id = IntegerField()
    head = CharField(max_length=64)
    token = BlobField()
    stamped_at = DateTimeField()
    authority = TextField()
    created_at = DateTimeField()

    class Meta:
        table_name = "audit_stamp"


def up(migrator, db):
    create_tables(db, _AuditStamp)
