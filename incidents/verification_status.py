"""How verification statuses combine, after the Berkeley Protocol: an item's from its
assessments, an incident's from its items.

An item is *verified* when each of the three parts has a consistent assessment and none is
inconsistent; *disputed* when any assessment found it inconsistent; *unverifiable* when someone
recorded that it could not be verified and nothing settled it; *in progress* otherwise once
anything is recorded. An incident takes the most telling status of its items.

That status is the *working* one, for staff. The public sees an item's *confirmed* status: the
working status a second reviewer (neither its uploader nor one of its assessors) confirmed last,
and an incident's from its published items' confirmed statuses only.
"""
from __future__ import annotations

from incidents.models import ASSESSMENT_PARTS, Assessment, EvidenceItem

# For an incident: the first status in this order that any of its items has.
INCIDENT_ORDER = ("disputed", "verified", "unverifiable", "in_progress", "unassessed")


def item_status(assessments: list[Assessment]) -> str:
    if not assessments:
        return "unassessed"
    outcomes = {a.outcome for a in assessments}
    if "inconsistent" in outcomes:
        return "disputed"
    if all(any(a.part == part and a.outcome == "consistent" for a in assessments)
           for part in ASSESSMENT_PARTS):
        return "verified"
    if "not_verifiable" in outcomes:
        return "unverifiable"
    return "in_progress"


def incident_status(item_statuses: list[str]) -> str:
    for status in INCIDENT_ORDER:
        if status in item_statuses:
            return status
    return "unassessed"


def working_status(incident_id: int) -> str:
    """An incident's working status, for staff: from the working statuses of the items it holds."""
    return incident_status([row.verification for row in EvidenceItem.select(EvidenceItem.verification)
                            .where(EvidenceItem.incident == incident_id)])


def status_of_items(ids) -> str:
    """The public status of an incident with the items ``ids`` (its published items): from their
    confirmed statuses, never from a working one nobody else has checked."""
    return incident_status([row.confirmed_verification for row in
                            EvidenceItem.select(EvidenceItem.confirmed_verification)
                            .where(EvidenceItem.id.in_(list(ids)))])


def awaits_confirmation(item: EvidenceItem) -> bool:
    """The working status differs from the public one, or was carried over from before
    confirmations were required (no confirmer on record)."""
    return item.verification != item.confirmed_verification or (
        item.confirmed_by_id is None and item.verification != "unassessed")


def published_item_ids(public: dict) -> list[int]:
    return [entry["id"] for entry in public.get("evidence", []) if "id" in entry]
