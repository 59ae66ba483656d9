"""Preserved files, provenance and the chain of custody."""
from peewee import BigIntegerField, BooleanField, CharField, DateField, DateTimeField, TextField

from incidents.migrations import Frozen, add_columns, create_tables, foreign_key


class _StoredFile(Frozen):
    sha256 = CharField(primary_key=True, max_length=64)
    size = BigIntegerField()
    media_type = CharField()
    created_at = DateTimeField()

    class Meta:
        table_name = "stored_file"


class _CustodyEvent(Frozen):
    item = foreign_key("evidence_item", on_delete="RESTRICT")
    action = CharField()
    actor = foreign_key("user", null=True)
    sha256 = CharField()
    detail = TextField()
    created_at = DateTimeField()

    class Meta:
        table_name = "custody_event"


def up(migrator, db):
    create_tables(db, _StoredFile, _CustodyEvent)
    add_columns(migrator, "evidence_item",
                stored_file_id=foreign_key("stored_file", "sha256", CharField(max_length=64), null=True,
                                           on_delete="RESTRICT"),
                original_filename=CharField(default=""),
                graphic=BooleanField(default=False),
                confidential=BooleanField(default=False),
                source=TextField(default=""),
                acquisition=CharField(default=""),
                received_on=DateField(null=True),
                original_location=TextField(default=""),
                captured_on=DateField(null=True),
                captured_place=CharField(default=""),
                originality=CharField(default="unknown"))
