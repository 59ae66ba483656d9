"""Dates of evidence (received, claimed capture) and of responses are kept as precisely as they are
known: ISO 8601 text of a day, a month or a year ('2020-03-15', '2020-03', '2020'), not a DATE that
turns "March 2020" into 1 March. Every date stored so far is a day, and reads the same as text.

SQLite is left as it is: its DATE columns already hold that text (a bare year is stored as a number
there, by the column's affinity, and comes back as text through the model's CharField); rebuilding
the tables would rewrite every foreign key pointing at them."""
from peewee import CharField, SqliteDatabase

COLUMNS = (("response", "date"), ("evidence_item", "received_on"), ("evidence_item", "captured_on"),
           ("ingest_batch", "received_on"))


def up(migrator, db):
    if isinstance(db, SqliteDatabase):
        return
    migrator.migrate(*(migrator.alter_column_type(table, column, CharField(max_length=10, null=True),
                                                  cast=f"to_char({column}, 'YYYY-MM-DD')")
                       for table, column in COLUMNS))
