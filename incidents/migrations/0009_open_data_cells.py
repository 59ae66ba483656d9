"""Each published incident's open-data cells, rendered once (see open_data_row.py)."""
from incidents import open_data_row
from incidents.db import add_missing_columns
from incidents.models import PublishedIncident

BATCH = 1000


def up(migrator, db):
    add_missing_columns(migrator, PublishedIncident, "csv_cells")
    selected = [PublishedIncident.incident, PublishedIncident.public_data] + [
        getattr(PublishedIncident, name.removesuffix("_id")) for name in open_data_row.VALUES]
    last = 0
    while True:  # in batches by id, so that memory stays flat however many rows
        rows = list(PublishedIncident.select(*selected).where(PublishedIncident.incident > last)
                    .order_by(PublishedIncident.incident).limit(BATCH).tuples())
        if not rows:
            break
        with db.atomic():
            for incident_id, public, *values in rows:
                cells = open_data_row.csv_cells(dict(zip(open_data_row.VALUES, values)), public)
                PublishedIncident.update(csv_cells=cells).where(PublishedIncident.incident == incident_id).execute()
        last = rows[-1][0]
