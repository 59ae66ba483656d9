"""Integrity checks that hold the data to its own records: each evidence item to the hash in its
custody log, the public projection to the digest its audit event kept, each review event to its
audit event. Someone who edits the database directly must now also rewrite the audit trail,
which breaks its hash chain (or a head noted elsewhere).

Each check yields failures as (what, why): ``what`` names the record, ``why`` says what is wrong,
both lazily translated for the command line.
"""
from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l

from . import audit
from .evidence.service import verify_store
from .models import AuditEvent, CustodyEvent, EvidenceItem, Facility, PublishedIncident, ReviewEvent

# The custody events that record the hash an item was preserved under.
HASHING_ACTIONS = ("received", "hashed")
REVIEW_ACTIONS = ("submit", "approve", "request_changes", "reject", "retract")
# The audit event (written by init-db) that vouches for projections approved before approvals kept
# a digest of what they published.
BASELINE = "projection.baseline"


def audit_failures():
    chain = audit.check()
    if chain.broken is not None:
        why = (_l("its contents were changed after it was written") if chain.reason == "edited"
               else _l("it no longer follows the event before it: an event was deleted or inserted"))
        yield _l("audit event #%(id)s", id=chain.broken.id), why


def fixity_failures(store):
    """Stored originals that changed or went missing (each check is a custody event, as ever)."""
    for sha256, outcome, items in verify_store(store):
        if outcome != "ok":
            names = ", ".join(str(item.id) for item in items)
            yield (_l("stored file %(sha256)s (evidence items %(items)s)", sha256=sha256, items=names),
                   _l("changed") if outcome == "changed" else _l("missing"))


def custody_mismatches():
    """Evidence items whose file is not the one their custody log recorded when it was preserved.

    Yields (item, recorded hashes): an item with a file must have exactly its hash recorded; a link
    none.
    """
    recorded = defaultdict(set)
    events = (CustodyEvent.select(CustodyEvent.item, CustodyEvent.sha256)
              .where(CustodyEvent.action.in_(HASHING_ACTIONS)).tuples().iterator())
    for item_id, sha256 in events:
        if sha256:
            recorded[item_id].add(sha256)
    for item in EvidenceItem.select(EvidenceItem.id, EvidenceItem.stored_file).order_by(EvidenceItem.id):
        expected = {item.stored_file_id} if item.stored_file_id else set()
        if recorded[item.id] != expected:
            yield item, sorted(recorded[item.id])


def custody_failures():
    for item, hashes in custody_mismatches():
        yield (_l("evidence item %(id)s", id=item.id),
               _l("its file %(file)s is not the one its custody log recorded when it was preserved (%(log)s)",
                  file=item.stored_file_id or _l("none"), log=", ".join(hashes) or _l("none")))


def _recorded_projections() -> dict[str, tuple[AuditEvent, str | None]]:
    """incident id -> (the newest audit event that wrote or removed its projection, its digest)."""
    latest = {}
    query = (AuditEvent.select().where(AuditEvent.action.in_(("incident.approve", "incident.retract", BASELINE)))
             .order_by(AuditEvent.id))
    for entry in query.iterator():
        detail = entry.detail if isinstance(entry.detail, dict) else {}
        if entry.action == BASELINE:
            for incident_id, digest in (detail.get("projections") or {}).items():
                latest[str(incident_id)] = (entry, digest)
        elif "projection_sha256" in detail:
            latest[entry.object_id] = (entry, detail["projection_sha256"])
        else:
            # Written before these events kept a digest: a retraction removed the projection; an
            # approval's projection is vouched for by the baseline only ("" until then).
            latest[entry.object_id] = (entry, None if entry.action == "incident.retract" else "")
    return latest


def projection_failures():
    """Public projections that differ from what their audit event recorded, or that no event wrote."""
    recorded = _recorded_projections()
    facilities = {f.id: f for f in Facility.select(Facility.id, Facility.country, Facility.region)}
    rows = {str(row.incident_id): row for row in PublishedIncident.select().iterator()}
    for incident_id in sorted(set(rows) | set(recorded), key=int):
        row = rows.get(incident_id)
        entry, digest = recorded.get(incident_id, (None, None))
        what = _l("published incident %(id)s", id=incident_id)
        if row is None:
            if digest:
                yield what, _l("missing, though audit event #%(event)s published it", event=entry.id)
            continue
        if entry is None:
            yield what, _l("no audit event published it")
        elif digest == "":
            yield what, _l("published before this check existed, and no baseline was recorded: "
                           "run `flask init-db` once to record one")
        elif digest is None:
            yield what, _l("audit event #%(event)s withdrew it, yet it is public", event=entry.id)
        elif audit.projection_digest(row) != digest:
            yield what, _l("differs from what audit event #%(event)s published", event=entry.id)
        facility = facilities.get(row.facility_id)
        if facility is None or (row.country, row.region) != (facility.country, facility.region):
            yield what, _l("its country or region is not its facility's")


def review_failures():
    """Review events that do not match their audit events, one for one and in order, per incident."""
    audited = defaultdict(list)
    query = (AuditEvent.select()
             .where(AuditEvent.action.in_(["incident." + action for action in REVIEW_ACTIONS]))
             .order_by(AuditEvent.id))
    for entry in query.iterator():
        audited[entry.object_id].append(entry)
    reviewed = defaultdict(list)
    for event in ReviewEvent.select().order_by(ReviewEvent.id).iterator():
        reviewed[str(event.incident_id)].append(event)
    for incident_id in sorted(set(audited) | set(reviewed), key=int):
        entries, events = audited[incident_id], reviewed[incident_id]
        for index in range(max(len(entries), len(events))):
            entry = entries[index] if index < len(entries) else None
            event = events[index] if index < len(events) else None
            if event is None:
                yield (_l("incident %(id)s", id=incident_id),
                       _l("audit event #%(event)s has no review event", event=entry.id))
            elif entry is None:
                yield (_l("review event %(id)s", id=event.id),
                       _l("no audit event records it"))
            elif not _same(entry, event):
                yield (_l("review event %(id)s", id=event.id),
                       _l("differs from audit event #%(event)s (actor, action, incident, status or revision)",
                          event=entry.id))


def _same(entry: AuditEvent, event: ReviewEvent) -> bool:
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    expected = {"review_event": event.id, "revision": event.revision,
                "from_status": event.from_status, "to_status": event.to_status}
    # Events written before the audit kept the review event's id and revision lack those two.
    return (entry.actor_id == event.actor_id and entry.action == "incident." + event.action
            and entry.object_id == str(event.incident_id)
            and all(detail.get(key, value) == value for key, value in expected.items()))


def record_baseline(actor=None) -> int:
    """Vouch, in the audit trail, for the projections approved before approvals kept a digest,
    as they are now; returns how many. Projections that no approval wrote are never vouched for,
    and once vouched for, a projection's newest event has a digest, so this covers each only once."""
    recorded = _recorded_projections()
    unvouched = {str(row.incident_id): audit.projection_digest(row)
                 for row in PublishedIncident.select().iterator()
                 if recorded.get(str(row.incident_id), (None, None))[1] == ""}
    if unvouched:
        audit.record(actor, BASELINE, projections=unvouched)
    return len(unvouched)


def checks(store):
    """Every check, in order: (its name, the failures it found)."""
    return [(_l("audit trail"), list(audit_failures())),
            (_l("evidence files"), list(fixity_failures(store))),
            (_l("evidence custody log"), list(custody_failures())),
            (_l("published incidents"), list(projection_failures())),
            (_l("review events"), list(review_failures()))]
