"""The audit trail: every write, view of confidential data and export, chained by hashes.

Each event stores the hash of the one before; ``prev_hash`` is unique, so two writers that
raced for the same predecessor cannot both commit and fork the chain.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

from incidents import shape
from incidents.db import serialize_writers
from incidents.models import AuditEvent, utcnow

GENESIS = "0" * 64
# The advisory-lock key of audit appends on PostgreSQL (any constant the app uses for nothing else).
AUDIT_APPEND_LOCK = 0x417564


def _digest(prev_hash: str, event: dict) -> str:
    body = json.dumps(event, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _payload(entry: AuditEvent) -> dict:
    return {
        "created_at": entry.created_at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_email": entry.actor_email,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "detail": entry.detail,
    }


def record(actor, action: str, obj=None, **detail) -> AuditEvent:
    """Append one event; call inside the transaction of the change it records."""
    # Two writers reading the same last event would fork the chain (prev_hash is unique, so one
    # would fail): appends take turns.
    serialize_writers(AUDIT_APPEND_LOCK)
    last = AuditEvent.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).first()
    prev_hash = last.hash if last else GENESIS
    entry = AuditEvent(
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_email=getattr(actor, "email", "") or "",
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(obj.get_id()) if obj is not None else "",
        detail=detail,
        prev_hash=prev_hash,
    )
    # Round-trip through JSON first, so the hash covers exactly what the database keeps.
    entry.detail = json.loads(json.dumps(detail, ensure_ascii=False, default=str))
    entry.hash = _digest(prev_hash, _payload(entry))
    entry.save(force_insert=True)
    return entry


# The columns of a public projection that a reader sees and only publishing writes: the audit
# event that publishes or withdraws a projection keeps their digest (``projection_sha256``).
# Left out, because they change later by other means: country and region follow the facility
# (integrity.py holds them to it), search_text and search_keys are derived for the index, and
# verification follows the assessments of the published evidence (evidence/verification.py).
PROJECTED_COLUMNS = ("reference", *(field.name for field in shape.INCIDENT if field.published_column),
                     "year", "sort_key", "public_data", "published_at")


def projection_digest(row) -> str | None:
    """The SHA-256 of the canonical JSON of a PublishedIncident's projected columns; None for none."""
    if row is None:
        return None
    values = {name: row.__data__.get(name) for name in PROJECTED_COLUMNS}
    body = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass
class ChainCheck:
    """What ``check`` found: how many events, the newest hash, and the first break if any."""

    count: int = 0
    head: str = GENESIS
    broken: AuditEvent | None = None
    reason: str = ""  # "edited": its own contents changed; "relinked": the link to the row before it
    head_found: bool = True  # the hash noted earlier is still in the chain
    last_id: int = 0  # the newest event walked


def check(noted_head: str | None = None, since: ChainCheck | None = None) -> ChainCheck:
    """Walk the chain in order. An edited event no longer matches its own hash; a deleted or
    inserted one breaks the link of the event after it; events deleted from the end leave the
    chain whole, so only a head noted earlier (``noted_head``) can show that they are missing.

    ``since``, an earlier unbroken result, walks only the events added after it; they must follow
    its head, and its last event must still be there with that hash, or the whole chain is walked.
    """
    if since is not None and since.broken is None and AuditEvent.select().where(
            (AuditEvent.id == since.last_id) & (AuditEvent.hash == since.head)).exists():
        result = replace(since, head_found=noted_head is None or since.head_found)
    else:
        result, since = ChainCheck(head_found=noted_head is None), None
    query = AuditEvent.select().order_by(AuditEvent.id)
    if since is not None:
        query = query.where(AuditEvent.id > since.last_id)
    for entry in query.iterator():
        if entry.prev_hash != result.head:
            result.broken, result.reason = entry, "relinked"
            return result
        try:
            intact = entry.hash == _digest(result.head, _payload(entry))
        except (AttributeError, TypeError, ValueError):  # a value edited into something not even a date
            intact = False
        if not intact:
            result.broken, result.reason = entry, "edited"
            return result
        result.head, result.count, result.last_id = entry.hash, result.count + 1, entry.id
        result.head_found = result.head_found or entry.hash == noted_head
    return result


def verify() -> AuditEvent | None:
    """The first event that does not fit the chain, or None."""
    return check().broken
