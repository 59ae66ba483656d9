"""A second reviewer's confirmation of an item's verification status, which alone the public sees.

Existing items: the status of an item in a published projection was public already under the
old rule, so it is carried over as its confirmed status (with no confirmer on record: staff see
it as carried over and awaiting a confirmation); nothing public changes silently. Every other
item starts unconfirmed ("unassessed"): its status never reached the public, and now waits for
a second reviewer.
"""
from incidents.db import add_missing_columns
from incidents.models import EvidenceItem, PublishedIncident
from incidents.verification_status import published_item_ids


def up(migrator, db):
    add_missing_columns(migrator, EvidenceItem, "confirmed_verification", "confirmed_by", "confirmed_at")
    # Only assessed items can have another status than the default.
    assessed: dict[int, set[int]] = {}
    for item_id, incident_id in (EvidenceItem.select(EvidenceItem.id, EvidenceItem.incident)
                                 .where((EvidenceItem.verification != "unassessed")
                                        & EvidenceItem.incident.in_(PublishedIncident.select(PublishedIncident.incident)))
                                 .tuples()):
        assessed.setdefault(incident_id, set()).add(item_id)
    for incident_id, item_ids in assessed.items():
        data = (PublishedIncident.select(PublishedIncident.public_data)
                .where(PublishedIncident.incident == incident_id).scalar())
        public = item_ids & set(published_item_ids(data))
        if public:
            (EvidenceItem.update(confirmed_verification=EvidenceItem.verification)
             .where(EvidenceItem.id.in_(list(public)) & EvidenceItem.confirmed_by.is_null()).execute())
