"""Issue 14, point 3: incidents marked as one event or as not duplicates, and the incident's dates
indexed, so that likely duplicates are looked for among incidents whose dates come near."""
from peewee import CharField, DateTimeField

from incidents.migrations import Frozen, add_indexes, create_tables, foreign_key


class _DuplicateMark(Frozen):
    first = foreign_key("incident", on_delete="CASCADE")
    second = foreign_key("incident", on_delete="CASCADE")
    verdict = CharField()
    marked_by = foreign_key("user")
    marked_at = DateTimeField()

    class Meta:
        table_name = "duplicate_mark"
        indexes = ((("first", "second"), True), (("second", "first"), False))


def up(migrator, db):
    create_tables(db, _DuplicateMark)
    add_indexes(migrator, "incident", (("date_start", "date_end"), False))
