"""Search keys for what is published already (0008 builds the full-text index from them)."""
from incidents.db import add_missing_columns
from incidents.models import Facility, PublishedIncident
from incidents.publication.search_keys import text_keys


def up(migrator, db):
    add_missing_columns(migrator, PublishedIncident, "search_keys")
    # Only the columns this migration's schema has: later ones are added after it.
    rows = PublishedIncident.select(PublishedIncident.incident, PublishedIncident.facility,
                                    PublishedIncident.title, PublishedIncident.narrative)
    for row in rows:
        facility = Facility.get_by_id(row.facility_id)
        keys = " " + text_keys(*row.title.values(), *row.narrative.values(), *facility.names.values(),
                               *facility.aliases, facility.locality) + " "
        PublishedIncident.update(search_keys=keys).where(PublishedIncident.incident == row.incident_id).execute()
