"""The verification status the public sees, kept on the public projection and counted."""
from incidents.db import add_missing_columns
from incidents.models import EvidenceItem, PublishedIncident
from incidents.publication import facet_counts
from incidents.verification_status import incident_status, published_item_ids


def up(migrator, db):
    add_missing_columns(migrator, PublishedIncident, "verification")
    PublishedIncident._schema.create_indexes(safe=True)
    # Only incidents with an assessed item can have another status than the default.
    assessed = EvidenceItem.select(EvidenceItem.incident).where(EvidenceItem.verification != "unassessed")
    for incident_id, public in (PublishedIncident.select(PublishedIncident.incident, PublishedIncident.public_data)
                                .where(PublishedIncident.incident.in_(assessed)).tuples()):
        # The items' statuses as they stood then (0017 made the public one a confirmed status).
        statuses = [row.verification for row in EvidenceItem.select(EvidenceItem.verification)
                    .where(EvidenceItem.id.in_(published_item_ids(public)))]
        PublishedIncident.update(verification=incident_status(statuses)).where(
            PublishedIncident.incident == incident_id).execute()
    facet_counts.rebuild()
