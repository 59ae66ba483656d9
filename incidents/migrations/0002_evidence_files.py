"""Preserved files, provenance and the chain of custody."""
from incidents.db import add_missing_columns
from incidents.models import CustodyEvent, EvidenceItem, StoredFile


def up(migrator, db):
    db.create_tables([StoredFile, CustodyEvent], safe=True)
    add_missing_columns(migrator, EvidenceItem, "stored_file", "original_filename", "graphic",
                        "confidential", "source", "acquisition", "received_on", "original_location",
                        "captured_on", "captured_place", "originality")
