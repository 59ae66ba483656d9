"""A year column on the public projection, so counts per year read an index."""
from incidents.db import add_missing_columns
from incidents.models import PublishedIncident


def up(migrator, db):
    add_missing_columns(migrator, PublishedIncident, "year")
    for row in PublishedIncident.select(PublishedIncident.incident, PublishedIncident.date_start):
        PublishedIncident.update(year=row.date_start.year).where(
            PublishedIncident.incident == row.incident_id).execute()
    if not any(index.name == "published_incident_year" for index in db.get_indexes("published_incident")):
        migrator.migrate(migrator.add_index("published_incident", ("year",), False))
