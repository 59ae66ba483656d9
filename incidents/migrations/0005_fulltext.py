"""The full-text index of published incidents, filled from what is published already."""
from incidents import fulltext
from incidents.db import add_missing_columns
from incidents.models import Facility, PublishedIncident
from incidents.search_keys import text_keys


def up(migrator, db):
    add_missing_columns(migrator, PublishedIncident, "search_keys")
    fulltext.create()
    for row in PublishedIncident.select():
        facility = Facility.get_by_id(row.facility_id)
        keys = " " + text_keys(*row.title.values(), *row.narrative.values(), *facility.names.values(),
                               *facility.aliases, facility.locality) + " "
        PublishedIncident.update(search_keys=keys).where(PublishedIncident.incident == row.incident_id).execute()
        fulltext.replace(row.incident_id, keys)
