"""The chain of custody of evidence items: events are only ever appended.

Below the areas, so that the review workflow (detaching what a rejected revision brought) and the
evidence area write custody the same way.
"""
from __future__ import annotations

from peewee import fn

from incidents.models import CustodyEvent, EvidenceItem, utcnow


def record_custody(item: EvidenceItem, action: str, actor, **detail) -> CustodyEvent:
    """Add one event to the item's chain of custody; call inside the change's transaction."""
    return CustodyEvent.create(item=item, action=action, actor=getattr(actor, "id", None),
                               sha256=item.stored_file_id or "", detail=detail, created_at=utcnow())


def has_custody():
    """SQL for "this evidence item has a chain of custody": a preserved file, or a link attached as
    evidence (links typed into the incident's form have none). Such an item is never deleted."""
    return fn.EXISTS(CustodyEvent.select(CustodyEvent.id).where(CustodyEvent.item == EvidenceItem.id))
