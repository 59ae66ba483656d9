"""Each published incident's open-data cells, rendered once (see publication/open_data_row.py)."""
import json

from peewee import BigIntegerField, BooleanField, CharField, DateField, DateTimeField, IntegerField, TextField

from incidents.migrations import Frozen, create_tables, foreign_key
from incidents.publication.open_data_row import csv_cells

BATCH = 1000
# What ``csv_cells`` is given of each incident.
VALUES = ("reference", "date_start", "date_end", "date_precision", "country", "region", "facility_id",
          "victims_count", "violation_status", "graphic", "original_language", "published_at")


class _PublishedRow(Frozen):
    sort_key = BigIntegerField(primary_key=True)
    incident = foreign_key("published_incident", "incident_id", unique=True, on_delete="CASCADE")
    cells = TextField()

    class Meta:
        table_name = "published_row"


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
    create_tables(db, _PublishedRow)
    last = 0
    with db.bind_ctx([_Published, _PublishedRow]):
        while True:  # in batches by id, so that memory stays flat however many rows
            rows = list(_Published.select().where(_Published.incident_id > last)
                        .order_by(_Published.incident_id).limit(BATCH))
            if not rows:
                break
            # Rendered by today's renderer (a pure function): an export joins these cells with
            # those it renders itself, so they must be in today's columns and form.
            _PublishedRow.insert_many([
                {"sort_key": row.sort_key, "incident": row.incident_id,
                 "cells": csv_cells({name: getattr(row, name) for name in VALUES}, json.loads(row.public_data))}
                for row in rows]).on_conflict_ignore().execute()
            last = rows[-1].incident_id
