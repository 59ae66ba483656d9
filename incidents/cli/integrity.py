"""Integrity checks that hold the data to its own records: each evidence item to the hash in its
custody log, the public projection to the digest its audit event kept, each review event to its
audit event. Someone who edits the database directly must now also rewrite the audit trail,
which breaks its hash chain (or a head noted elsewhere).

Each check yields failures as (what, why): ``what`` names the record, ``why`` says what is wrong,
both lazily translated for the command line.
"""
from __future__ import annotations

from collections import defaultdict

from flask import current_app
from flask_babel import lazy_gettext as _l

from incidents import audit
from incidents.evidence.fixity import verify_store
from incidents.models import (
    Assessment,
    AuditEvent,
    CustodyEvent,
    EvidenceItem,
    Facility,
    PublishedCount,
    PublishedIncident,
    PublishedTerm,
    ReviewEvent,
)
from incidents.publication import facet_counts
from incidents.timestamps.authority import trusted_certificates
from incidents.timestamps.heads import checked_stamps
from incidents.verification_status import incident_status, item_status, published_item_ids
from incidents.vocab import TERM_VOCABULARIES

# The custody events that record the hash an item was preserved under.
HASHING_ACTIONS = ("received", "hashed")
REVIEW_ACTIONS = ("submit", "approve", "request_changes", "reject", "retract")
# The audit event (written by init-db) that vouches for projections approved before approvals kept
# a digest of what they published, and (once) for the public verification statuses migration 0017
# carried over from before a second reviewer's confirmation was required.
BASELINE = "projection.baseline"
CONFIRMATION = "evidence.confirm_verification"


def audit_failures(noted_head: str | None = None):
    chain = audit.check(noted_head)
    if chain.broken is not None:
        why = (_l("its contents were changed after it was written") if chain.reason == "edited"
               else _l("it no longer follows the event before it: an event was deleted or inserted"))
        yield _l("audit event #%(id)s", id=chain.broken.id), why
    elif not chain.head_found:
        # Events deleted from the end leave the chain whole: only a head noted elsewhere shows it.
        yield (_l("the head %(head)s noted earlier", head=noted_head),
               _l("is not in the trail: events were deleted from its end, or this is another database"))
    try:
        anchors = trusted_certificates(current_app.config["SETTINGS"])
    except (OSError, ValueError) as exc:
        yield "INCIDENTS_TSA_CA", str(exc)
        anchors = []
    for checked in checked_stamps(anchors or None):
        if checked.problem:
            yield (_l("timestamp #%(id)s of audit event #%(event)s", id=checked.row.id, event=checked.row.event_id),
                   checked.problem)


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
    confirmed = dict(EvidenceItem.select(EvidenceItem.id, EvidenceItem.confirmed_verification).tuples())
    terms = defaultdict(set)
    for incident_id, vocabulary, code in PublishedTerm.select(
            PublishedTerm.incident, PublishedTerm.vocabulary, PublishedTerm.code).tuples().iterator():
        terms[incident_id].add((vocabulary, code))
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
        # Columns written outside an approval, or derived from what it wrote: held to their sources.
        ids = published_item_ids(row.public_data)
        if row.verification != incident_status([confirmed[i] for i in ids if i in confirmed]):
            yield what, _l("its verification status is not the one its published evidence was confirmed with")
        if terms.get(row.incident_id, set()) != {(name, code) for name in TERM_VOCABULARIES
                                                 for code in row.public_data.get(name, ())}:
            yield what, _l("its abuse or perpetrator types, as filters find them, are not the ones it published")


def count_failures():
    """Kept facet counts (what the public reads as "Verified: 12") that differ from a fresh count."""
    fresh = {key: n for key, n in facet_counts.counted().items() if n}
    kept = {(dimension, value): n for dimension, value, n in
            PublishedCount.select(PublishedCount.dimension, PublishedCount.value, PublishedCount.count).tuples()
            if n and dimension != facet_counts.GENERATION}
    for dimension, value in sorted(set(fresh) | set(kept)):
        if fresh.get((dimension, value), 0) != kept.get((dimension, value), 0):
            yield (_l("the count of all published incidents") if dimension == facet_counts.TOTAL else
                   _l("the count of published incidents with %(dimension)s = %(value)s",
                      dimension=dimension, value=value),
                   _l("%(kept)s kept, %(counted)s counted", kept=kept.get((dimension, value), 0),
                      counted=fresh.get((dimension, value), 0)))


def assessment_failures():
    """Assessments that do not match their audit events, one for one and in order, per item; and
    working statuses that are not what the assessments give (they decide what a second reviewer
    is asked to confirm, and confidential dossiers carry them)."""
    audited = _grouped(AuditEvent.select().where(AuditEvent.action == "evidence.assess").order_by(AuditEvent.id),
                       lambda entry: entry.object_id)
    assessed = _grouped(Assessment.select().order_by(Assessment.id), lambda assessment: str(assessment.item_id))
    for item_id, entry, assessment in _paired(audited, assessed):
        if assessment is None:
            yield (_l("evidence item %(id)s", id=item_id),
                   _l("audit event #%(event)s has no assessment", event=entry.id))
        elif entry is None:
            yield _l("assessment %(id)s", id=assessment.id), _l("no audit event records it")
        elif not _same_assessment(entry, assessment):
            yield (_l("assessment %(id)s", id=assessment.id),
                   _l("differs from audit event #%(event)s (assessor, part or outcome)", event=entry.id))
    for item_id, status in EvidenceItem.select(EvidenceItem.id, EvidenceItem.verification).tuples().iterator():
        if status != item_status(assessed.get(str(item_id), [])):
            yield (_l("evidence item %(id)s", id=item_id),
                   _l("its verification status is not the one its assessments give"))


def _same_assessment(entry: AuditEvent, assessment: Assessment) -> bool:
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    # Events written before the audit kept the assessment's id lack it.
    return (entry.actor_id == assessment.assessor_id and detail.get("part") == assessment.part
            and detail.get("outcome") == assessment.outcome
            and detail.get("assessment", assessment.id) == assessment.id)


def _recorded_confirmations() -> tuple[dict[str, tuple[AuditEvent, str, int | None]], bool]:
    """(item id -> (the newest audit event that set its public verification status, that status, who
    confirmed it), whether a baseline of the statuses carried over by migration 0017 was recorded)."""
    latest, baselined = {}, False
    query = AuditEvent.select().where(AuditEvent.action.in_((CONFIRMATION, BASELINE))).order_by(AuditEvent.id)
    for entry in query.iterator():
        detail = entry.detail if isinstance(entry.detail, dict) else {}
        if entry.action == CONFIRMATION:
            latest[entry.object_id] = (entry, detail.get("status"), entry.actor_id)
        elif "confirmed" in detail:
            baselined = True
            for item_id, status in (detail["confirmed"] or {}).items():
                latest[str(item_id)] = (entry, status, None)
    return latest, baselined


def confirmation_failures():
    """Items whose public verification status (or its confirmer) is not what the newest confirmation
    in the audit trail set: a status put straight into the database skipped the second reviewer."""
    recorded, baselined = _recorded_confirmations()
    query = (EvidenceItem.select(EvidenceItem.id, EvidenceItem.confirmed_verification, EvidenceItem.confirmed_by)
             .order_by(EvidenceItem.id).tuples().iterator())
    for item_id, status, confirmer in query:
        entry, expected, by = recorded.get(str(item_id), (None, "unassessed", None))
        if (status, confirmer) == (expected, by):
            continue
        what = _l("evidence item %(id)s", id=item_id)
        if entry is None and confirmer is None and not baselined:
            yield what, _l("its public verification status was carried over from before a second reviewer's "
                           "confirmation was required, and no baseline was recorded: run `flask init-db` once "
                           "to record one")
        elif entry is None:
            yield what, _l("its public verification status was set by no confirmation in the audit trail")
        else:
            yield what, _l("its public verification status or who confirmed it differs from audit event "
                           "#%(event)s", event=entry.id)


def _grouped(query, key) -> dict:
    """The rows of ``query``, in its order, as lists under ``key(row)``."""
    grouped = defaultdict(list)
    for row in query.iterator():
        grouped[key(row)].append(row)
    return grouped


def _paired(audited: dict, recorded: dict):
    """Per key, in id order, each audit event with the record it wrote: (key, entry, record), either
    None where the other side has more."""
    for key in sorted(set(audited) | set(recorded), key=int):
        entries, records = audited.get(key, []), recorded.get(key, [])
        for index in range(max(len(entries), len(records))):
            yield (key, entries[index] if index < len(entries) else None,
                   records[index] if index < len(records) else None)


def review_failures():
    """Review events that do not match their audit events, one for one and in order, per incident."""
    audited = _grouped(AuditEvent.select()
                       .where(AuditEvent.action.in_(["incident." + action for action in REVIEW_ACTIONS]))
                       .order_by(AuditEvent.id), lambda entry: entry.object_id)
    reviewed = _grouped(ReviewEvent.select().order_by(ReviewEvent.id), lambda event: str(event.incident_id))
    for incident_id, entry, event in _paired(audited, reviewed):
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


def record_baseline(actor=None) -> tuple[int, int]:
    """Vouch, in the audit trail, for the projections approved before approvals kept a digest, as
    they are now, and once for the verification statuses migration 0017 carried over; returns how
    many of each. Projections that no approval wrote are never vouched for, and once vouched for, a
    projection's newest event has a digest, so this covers each only once."""
    recorded = _recorded_projections()
    unvouched = {str(row.incident_id): audit.projection_digest(row)
                 for row in PublishedIncident.select().iterator()
                 if recorded.get(str(row.incident_id), (None, None))[1] == ""}
    detail = {"projections": unvouched} if unvouched else {}
    if not _recorded_confirmations()[1]:
        # Once per installation, at the first init-db after this check came: the statuses carried
        # over (no confirmer, as only migration 0017 writes them) of the items it could carry over.
        # An empty record too, so that a status put in later is never vouched for.
        published = {i for data in PublishedIncident.select(PublishedIncident.public_data).tuples().iterator()
                     for i in published_item_ids(data[0])}
        detail["confirmed"] = {
            str(item_id): status for item_id, status in
            EvidenceItem.select(EvidenceItem.id, EvidenceItem.confirmed_verification)
            .where(EvidenceItem.confirmed_by.is_null() & (EvidenceItem.confirmed_verification != "unassessed"))
            .tuples() if item_id in published}
    if detail:
        audit.record(actor, BASELINE, **detail)
    return len(unvouched), len(detail.get("confirmed", {}))


def checks(store, noted_head: str | None = None):
    """Every check, in order: (its name, the failures it found). ``noted_head``: an audit head noted
    earlier, which must still be in the trail."""
    return [(_l("audit trail"), list(audit_failures(noted_head))),
            (_l("evidence files"), list(fixity_failures(store))),
            (_l("evidence custody log"), list(custody_failures())),
            (_l("published incidents"), list(projection_failures())),
            (_l("public counts"), list(count_failures())),
            (_l("verification assessments"), list(assessment_failures())),
            (_l("public verification statuses"), list(confirmation_failures())),
            (_l("review events"), list(review_failures()))]
