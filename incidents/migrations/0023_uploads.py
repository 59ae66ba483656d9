"""Issue 14, point 5: resumable uploads (tus 1.0) waiting to be attached (see models/uploads.py)."""
from peewee import BigIntegerField, CharField, DateTimeField, TextField

from incidents.migrations import Frozen, create_tables, foreign_key


class _Upload(Frozen):
    token = CharField(max_length=64, unique=True)
    owner = foreign_key("user", on_delete="CASCADE")
    length = BigIntegerField()
    filename = TextField()
    form = CharField(max_length=20)
    head = CharField(max_length=64)
    sha256 = CharField(max_length=64)
    created_at = DateTimeField()
    expires_at = DateTimeField(index=True)
    item = foreign_key("evidence_item", null=True, on_delete="SET NULL")

    class Meta:
        table_name = "upload"
        indexes = ((("owner", "form"), False),)


def up(migrator, db):
    create_tables(db, _Upload)
