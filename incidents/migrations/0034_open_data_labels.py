"""Issue 17, point 3: every coded column of the open data has a label column beside it, in the
reader's language. ``published_row`` now keeps the row's head and codes (``codes``), from which
an export writes the codes with their labels, apart from the texts (``cells``): the table is
made anew, filled in batches in the sort key's order (the export's), and its index built after.

Filled in that order, its rows lie on disk as an export reads them, so a cold export reads the
file nearly in sequence rather than a page here and there (bench/README.md); rows published
later go where there is room. SQLite gives a table the pages a dropped one freed first, in no
useful order, so there the new table is filled before the old one is dropped (its pages added at
the end of the file, in order) and then takes its name; PostgreSQL writes a new table to a file of
its own either way.
"""
import json

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    IntegerField,
    SqliteDatabase,
    TextField,
)

from incidents.migrations import Frozen, add_indexes, create_tables, foreign_key
from incidents.publication.open_data_row import csv_cells

# Each row comes with its public data (three narratives of up to 20,000 characters): 500 keep a
# batch's memory within tens of megabytes.
BATCH = 500
# What ``csv_cells`` is given of each incident.
VALUES = ("reference", "date_start", "date_end", "date_precision", "country", "region", "facility_id",
          "victims_count", "violation_status", "graphic", "original_language", "published_at")


def _rows_table(name: str) -> type[Frozen]:
    class _PublishedRow(Frozen):
        sort_key = BigIntegerField(primary_key=True)
        incident = foreign_key("published_incident", "incident_id", on_delete="CASCADE", index=False)
        codes = TextField()
        cells = TextField()

        class Meta:
            table_name = name
    return _PublishedRow


class _Published(Frozen):
    incident_id = IntegerField(primary_key=True)
    sort_key = BigIntegerField()
    public_data = TextField()
    reference = CharField()
    date_start = DateField()
    date_end = DateField(null=True)
    date_precision = CharField()
    country = CharField()
    region = CharField(null=True)
    facility_id = IntegerField()
    victims_count = IntegerField(null=True)
    violation_status = CharField(null=True)
    graphic = BooleanField()
    original_language = CharField()
    published_at = DateTimeField()

    class Meta:
        table_name = "published_incident"


def up(migrator, db):
    sqlite = isinstance(db, SqliteDatabase)
    if not sqlite:
        db.execute_sql("DROP TABLE published_row")
    rows_table = _rows_table("published_row_new" if sqlite else "published_row")
    create_tables(db, rows_table)
    last = None
    with db.bind_ctx([_Published, rows_table]):
        while True:  # in batches by key, so that memory stays flat however many rows
            query = _Published.select().order_by(_Published.sort_key).limit(BATCH)
            rows = list(query if last is None else query.where(_Published.sort_key > last))
            if not rows:
                break
            # Rendered by today's renderer (a pure function): an export joins these cells with
            # those it renders itself, so they must be in today's columns and form.
            rows_table.insert_many([
                {"sort_key": row.sort_key, "incident": row.incident_id,
                 **dict(zip(("codes", "cells"), csv_cells(
                     {name: getattr(row, name) for name in VALUES},
                     json.loads(row.public_data) if isinstance(row.public_data, str) else row.public_data),
                     strict=True))}
                for row in rows]).execute()
            last = rows[-1].sort_key
    if sqlite:
        db.execute_sql("DROP TABLE published_row")
        db.execute_sql("ALTER TABLE published_row_new RENAME TO published_row")
    add_indexes(migrator, "published_row", (("incident_id",), True))
