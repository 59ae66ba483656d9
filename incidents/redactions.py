"""Which pictures and videos wait for a reviewer's redaction decision, and the decision that stands.

Below the areas (floor 6.5): the state machine refuses to publish an incident while one of its
public pictures or videos has no decision (``undecided``), and the evidence pages, the API and the
dossiers make the public's copy from the decision that stands (``standing``). Making proposals and
recording decisions is the evidence area's (``evidence/redaction.py``).
"""
from __future__ import annotations

from peewee import JOIN, fn

from incidents.media.kinds import shows_people
from incidents.models import EvidenceItem, RedactionDecision, StoredFile


def standing(item_id: int) -> RedactionDecision | None:
    """The item's latest decision, or None while none was made."""
    return (RedactionDecision.select().where(RedactionDecision.item == item_id)
            .order_by(RedactionDecision.id.desc()).first())


def public_copy(item_id: int, media_type: str) -> tuple[list, str] | None:
    """(boxes, digest) the public's copy of an item's file is made with: nothing hidden in a sound,
    the standing decision's boxes in a picture or a video, None while that decision waits (the
    public then gets no copy)."""
    if not shows_people(media_type):
        return [], ""
    decision = standing(item_id)
    return None if decision is None else hidden(decision)


def hidden(decision: RedactionDecision) -> tuple[list, str]:
    """(boxes, digest) of what a decision destroys in the public's copy; a copy that hides nothing
    (published unredacted) has the digest ""."""
    if decision.decision != "redact" or not decision.boxes:
        return [], ""
    return decision.boxes, decision.digest


def waits_for(item: EvidenceItem) -> bool:
    """Whether the public's copy of this item waits for a decision: a preserved picture or video."""
    return item.stored_file_id is not None and shows_people(item.stored_file.media_type)


def undecided(item_ids) -> list[int]:
    """Of these items (those the public would see), the pictures and videos with no decision yet, in order."""
    ids = sorted(set(item_ids))
    if not ids:
        return []
    decided = RedactionDecision.select(fn.DISTINCT(RedactionDecision.item)).where(RedactionDecision.item.in_(ids))
    candidates = (EvidenceItem.select(EvidenceItem.id, StoredFile.media_type)
                  .join(StoredFile, JOIN.INNER)
                  .where(EvidenceItem.id.in_(ids) & EvidenceItem.id.not_in(decided))
                  .order_by(EvidenceItem.id).tuples())
    return [item_id for item_id, media_type in candidates if shows_people(media_type)]
