"""Verification assessments (Berkeley Protocol) and the statuses that follow from them."""
from incidents.db import add_missing_columns
from incidents.models import Assessment, EvidenceItem, Incident


def up(migrator, db):
    db.create_tables([Assessment], safe=True)
    add_missing_columns(migrator, EvidenceItem, "verification")
    add_missing_columns(migrator, Incident, "verification")
