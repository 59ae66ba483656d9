"""The verification status the public sees, kept on the public projection and counted."""
from incidents import facet_counts
from incidents.db import add_missing_columns
from incidents.verification_status import published_item_ids, status_of_items
from incidents.models import EvidenceItem, PublishedIncident


def up(migrator, db):
    add_missing_columns(migrator, PublishedIncident, "verification")
    PublishedIncident._schema.create_indexes(safe=True)
    # Only incidents with an assessed item can have another status than the default.
    assessed = EvidenceItem.select(EvidenceItem.incident).where(EvidenceItem.verification != "unassessed")
    for incident_id, public in (PublishedIncident.select(PublishedIncident.incident, PublishedIncident.public_data)
                                .where(PublishedIncident.incident.in_(assessed)).tuples()):
        PublishedIncident.update(verification=status_of_items(published_item_ids(public))).where(
            PublishedIncident.incident == incident_id).execute()
    facet_counts.rebuild()
