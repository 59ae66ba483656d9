"""Each published incident's open-data cells, rendered once (see open_data_row.py)."""
from incidents.models import PublishedIncident, PublishedRow
from incidents.publication import open_data_row

BATCH = 1000


def up(migrator, db):
    db.create_tables([PublishedRow], safe=True)
    selected = [PublishedIncident.incident, PublishedIncident.sort_key, PublishedIncident.public_data,
                *open_data_row.FIELDS]
    last = 0
    while True:  # in batches by id, so that memory stays flat however many rows
        rows = list(PublishedIncident.select(*selected).where(PublishedIncident.incident > last)
                    .order_by(PublishedIncident.incident).limit(BATCH).tuples())
        if not rows:
            break
        PublishedRow.insert_many([
            {"sort_key": key, "incident": incident_id,
             "cells": open_data_row.csv_cells(dict(zip(open_data_row.VALUES, values, strict=True)), public)}
            for incident_id, key, public, *values in rows]).on_conflict_ignore().execute()
        last = rows[-1][0]
