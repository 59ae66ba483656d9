"""Issue 16, point 3: perceptual fingerprints of originals, the copies found, and when each item was
compared (models/evidence.py)."""
from peewee import BlobField, CharField, DateTimeField, FloatField, IntegerField

from incidents.migrations import Frozen, add_columns, create_tables, foreign_key


def _stored_file(**options):
    return foreign_key("stored_file", "sha256", CharField(max_length=64), on_delete="CASCADE", **options)


class _Fingerprint(Frozen):
    stored_file = _stored_file(primary_key=True)
    kind = CharField(max_length=10)
    hashes = BlobField()
    seconds = BlobField()
    created_at = DateTimeField()

    class Meta:
        table_name = "fingerprint"


class _FingerprintBand(Frozen):
    band = IntegerField(index=True)
    stored_file = _stored_file()

    class Meta:
        table_name = "fingerprint_band"
        primary_key = False


class _Likeness(Frozen):
    stored_file = _stored_file()
    other = _stored_file()
    score = FloatField()
    offset = FloatField()

    class Meta:
        table_name = "likeness"
        indexes = ((("stored_file", "other"), True),)


def up(migrator, db):
    create_tables(db, _Fingerprint, _FingerprintBand, _Likeness)
    add_columns(migrator, "evidence_item", compared_at=DateTimeField(null=True))
