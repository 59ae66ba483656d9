"""Issue 16, point 1: the face detector's proposals and reviewers' redaction decisions
(models/evidence.py)."""
from peewee import BooleanField, CharField, DateTimeField, TextField

from incidents.migrations import Frozen, create_tables, foreign_key


class _RedactionProposal(Frozen):
    item = foreign_key("evidence_item", primary_key=True, on_delete="CASCADE")
    boxes = TextField()
    frames = TextField()
    readable = BooleanField()
    created_at = DateTimeField()

    class Meta:
        table_name = "redaction_proposal"


class _RedactionDecision(Frozen):
    item = foreign_key("evidence_item", on_delete="RESTRICT")
    decision = CharField(max_length=20)
    boxes = TextField()
    digest = CharField(max_length=64)
    reason = TextField()
    decided_by = foreign_key("user")
    decided_at = DateTimeField()

    class Meta:
        table_name = "redaction_decision"


def up(migrator, db):
    create_tables(db, _RedactionProposal, _RedactionDecision)
