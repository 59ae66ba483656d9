"""The review state machine: every transition checked, in one transaction, logged.

    draft --submit--> in_review --approve--> published --retract--> retracted
      ^                   |   \\--reject--> rejected
      +--request_changes--+

An edit of a published incident is a pending revision (status draft or in_review) while the
public keeps reading the last approved one; rejecting such an edit restores the published
revision instead of ending the incident's life.
"""
from __future__ import annotations

import datetime
from collections import Counter

from flask_babel import lazy_gettext as _l

from . import audit, facet_counts, fulltext, open_data_row, policy
from .custody import has_custody, record_custody
from .db import database
from .errors import Conflict, Forbidden, NotFound, ValidationFailed
from .models import (EvidenceItem, Facility, Incident, PublishedIncident, PublishedRow, PublishedTerm,
                     ReviewEvent, Revision, folded, utcnow)
from .verification_status import published_item_ids, status_of_items, working_status
from .search_keys import text_keys
from .text import CONTROL
from .revisions import TERM_VOCABULARIES, apply_snapshot, get_revision, latest_number, save_revision

ACTIONS = ("submit", "approve", "request_changes", "reject", "retract")
# action -> states it may start from
SOURCES = {
    "submit": ("draft",),
    "approve": ("in_review",),
    "request_changes": ("in_review",),
    "reject": ("in_review",),
    "retract": ("published", "draft", "in_review"),
}
# The author must learn why their work was turned back.
COMMENT_REQUIRED = {"request_changes", "reject", "retract"}
MAX_COMMENT_LENGTH = 5000


def available_actions(user, incident: Incident) -> list[str]:
    """The transitions this user may take on this incident now, for buttons and the API."""
    return [action for action in ACTIONS
            if _state_allows(incident, action) and policy.may_transition(user, incident, action)]


def _state_allows(incident: Incident, action: str) -> bool:
    if incident.status not in SOURCES[action]:
        return False
    # Retracting needs something public to withdraw.
    return action != "retract" or incident.published_revision is not None


def review_queue(user) -> list[tuple[Incident, bool]]:
    """Incidents in review, oldest first, each with whether ``user`` may review it."""
    waiting = (Incident.select(Incident, Facility).join(Facility)
               .where(Incident.status == "in_review").order_by(Incident.updated_at, Incident.id))
    return [(incident, policy.can_review(user, incident)) for incident in waiting]


def queue_count() -> int:
    return Incident.select().where(Incident.status == "in_review").count()


def parse_version(value) -> int | None:
    """A version as sent by a page or the API; None when absent.

    :raise ValidationFailed: anything but a whole number (booleans and floats included).
    """
    if value is None or value == "":
        return None
    # Decimal digits only, and few enough for int() ("²" is a digit but no number).
    if isinstance(value, bool) or not isinstance(value, (int, str)) or \
            (isinstance(value, str) and not (value.strip().isdecimal() and len(value.strip()) < 11)):
        raise ValidationFailed(_l("The version must be a whole number."),
                               {"version": [_l("The version must be a whole number.")]})
    number = int(value)
    if number > 2**31:
        raise ValidationFailed(_l("The version must be a whole number."),
                               {"version": [_l("The version must be a whole number.")]})
    return number


VERSION_MISSING = _l("Nothing was changed: the version of the incident you read is missing. "
                     "Open the incident again and decide on what you see there.")


def required_version(value) -> int:
    """The version the person read, which every edit and transition must name: without it an
    approval would publish, and a save overwrite, whatever the incident had become since.

    :raise ValidationFailed: absent, or not a whole number.
    """
    version = parse_version(value)
    if version is None:
        raise ValidationFailed(VERSION_MISSING, {"version": [_l("Required.")]})
    return version


def transition(incident_id: int, user, action: str, comment: str = "", *, version) -> Incident:
    """Move an incident along the workflow, from the ``version`` the user read.

    :raise NotFound: no such incident, or the user may not see its working copy.
    :raise ValidationFailed: no version, an unknown action, or a missing or oversized comment.
    :raise Forbidden: the policy refuses (e.g. approving one's own work).
    :raise Conflict: the incident is not in a state for this action, or changed since ``version``.
    """
    comment = (comment or "").strip()
    version = required_version(version)
    if action not in ACTIONS:
        raise ValidationFailed(_l("Unknown action."), {"action": [_l("Unknown action.")]})
    if action in COMMENT_REQUIRED and not comment:
        raise ValidationFailed(_l("Please say why, for the author."),
                               {"comment": [_l("Please say why, for the author.")]})
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ValidationFailed(_l("The comment is too long."),
                               {"comment": [_l("The comment is too long.")]})
    if CONTROL.search(comment):  # the author reads it, on pages and in exports, as any text
        raise ValidationFailed(_l("Contains control characters; please remove them."),
                               {"comment": [_l("Contains control characters; please remove them.")]})
    with database.atomic():
        incident = Incident.get_or_none(Incident.id == incident_id)
        if incident is None or not policy.can_read_working_copy(user, incident):
            raise NotFound(_l("No such incident."))
        if version != incident.version:
            raise Conflict(_l("Someone changed this incident after you opened it. "
                              "Reload the page to see their changes."))
        if not policy.may_transition(user, incident, action):
            if action in policy.REVIEW_ACTIONS and policy.role_of(user) in policy.REVIEWERS:
                raise Forbidden(_l("You cannot review your own work: another reviewer must do it."))
            raise Forbidden(_l("You may not do this."))
        if not _state_allows(incident, action):
            raise Conflict(_l("This incident is not in a state where that is possible."))
        before = incident.status
        _apply(incident, user, action, latest_number(incident))
        event = ReviewEvent.create(incident=incident, action=action, from_status=before,
                                   to_status=incident.status, actor=user, comment=comment,
                                   revision=latest_number(incident))
        incident.review_comment = comment if action in COMMENT_REQUIRED else ""
        incident.version += 1
        incident.save()
        # The review event and the public projection are checked against this entry (integrity.py).
        audit.record(user, "incident." + action, incident, from_status=before,
                     to_status=incident.status, review_event=event.id, revision=event.revision,
                     **_projection_written(incident, action))
    return incident


def _projection_written(incident: Incident, action: str) -> dict:
    """The digest of the public projection an approval wrote (None after a retraction removed it)."""
    if action not in ("approve", "retract"):
        return {}
    row = PublishedIncident.get_or_none(PublishedIncident.incident == incident)
    return {"projection_sha256": audit.projection_digest(row)}


def _apply(incident: Incident, user, action: str, revision_number: int) -> None:
    if action == "submit":
        incident.status = "in_review"
        incident.submitted_by = user
    elif action == "request_changes":
        incident.status = "draft"
    elif action == "approve":
        incident.status = "published"
        incident.published_revision = revision_number
        publish(incident, revision_number)
    elif action == "reject":
        if incident.published_revision is None:
            incident.status = "rejected"
        else:
            # Only the pending edit is rejected: the working copy returns to what is public, and
            # nothing the edit brought stays behind to be proposed again with the next one.
            published = get_revision(incident, incident.published_revision)
            _detach_rejected_evidence(incident, published.snapshot, get_revision(incident, revision_number),
                                      user)
            incident.status = "published"
            apply_snapshot(incident, published.snapshot, user)
            # An assessment of a detached item no longer speaks for the incident.
            incident.verification = working_status(incident.id)
            save_revision(incident, user)
    elif action == "retract":
        incident.status = "retracted"
        incident.published_revision = None
        _unpublish(incident)


def _detach_rejected_evidence(incident: Incident, published: dict, rejected: Revision, user) -> None:
    """Detach the evidence a rejected edit brought: every item with a chain of custody (files,
    attached links, archive items) that the published revision does not hold. Nothing is deleted:
    each keeps its file and custody, with the detaching added. Items tied from the ingest archive
    go back to it, unassigned, for another incident may be theirs; the others keep ``rejected``.
    Links typed into the incident's form have no custody and follow the snapshot like any field.
    """
    held = [row["id"] for row in published.get("evidence", [])]
    brought = EvidenceItem.select().where((EvidenceItem.incident == incident) & EvidenceItem.id.not_in(held)
                                          & has_custody())
    for item in brought.order_by(EvidenceItem.id):
        archived = item.batch_id is not None
        item.incident, item.rejected_revision = None, None if archived else rejected
        item.save(only=[EvidenceItem.incident, EvidenceItem.rejected_revision])
        where = {"returned_to": "archive"} if archived else {}
        record_custody(item, "detached", user, reason="revision rejected", incident=incident.id,
                       revision=rejected.number, **where)
        audit.record(user, "evidence.detach", item, incident=incident.id, revision=rejected.number, **where)


def _search_text(public: dict, facility: Facility) -> str:
    return folded(*public["title"].values(), *public["narrative"].values(), facility.search_text)


def _search_keys(public: dict, facility: Facility) -> str:
    return " " + text_keys(*public["title"].values(), *public["narrative"].values(),
                           *facility.names.values(), *facility.aliases, facility.locality) + " "


def refresh_facility(facility: Facility) -> None:
    """After a facility's place or names change, its published incidents follow."""
    rows = list(PublishedIncident.select().where(PublishedIncident.facility == facility))
    for name in ("country", "region"):
        for old, count in Counter(getattr(row, name) for row in rows).items():
            if old != getattr(facility, name):
                facet_counts.move(name, old, getattr(facility, name), count)
    for row in rows:
        row.country, row.region = facility.country, facility.region
        row.search_text = _search_text(row.public_data, facility)
        row.search_keys = _search_keys(row.public_data, facility)
        row.save()
        _write_open_data_row(row, row.public_data)
        fulltext.remove(row.sort_key)
        fulltext.add(row.sort_key, row.search_keys)


def _write_open_data_row(row: PublishedIncident, public: dict) -> None:
    PublishedRow.delete().where(PublishedRow.incident == row.incident_id).execute()
    PublishedRow.create(sort_key=row.sort_key, incident=row.incident_id,
                        cells=open_data_row.csv_cells(open_data_row.values_of(row), public))


def _unpublish(incident: Incident) -> None:
    """Remove the public projection of ``incident``, if any, with its index entry and counts."""
    row = PublishedIncident.get_or_none(PublishedIncident.incident == incident)
    if row is not None:
        facet_counts.subtract(row, facet_counts.terms_of(row))
        fulltext.remove(row.sort_key)
        row.delete_instance()


def publish(incident: Incident, revision_number: int) -> PublishedIncident:
    """Write the public projection of one revision: public fields only."""
    revision = get_revision(incident, revision_number)
    public = policy.redact_incident(revision.snapshot)
    facility = Facility.get_by_id(public["facility"])
    _unpublish(incident)
    date_start = datetime.date.fromisoformat(public["date_start"])
    row = PublishedIncident.create(
        incident=incident, reference=incident.reference, facility=facility,
        country=facility.country, region=facility.region,
        date_start=date_start, date_end=public["date_end"], year=date_start.year,
        sort_key=PublishedIncident.key_of(date_start, incident.id),
        date_precision=public["date_precision"], original_language=public["original_language"],
        title=public["title"], narrative=public["narrative"],
        victims_count=public["victims_count"], violation_status=public["violation_status"],
        graphic=public["graphic"], public_data=public, search_text=_search_text(public, facility),
        verification=status_of_items(published_item_ids(public)),
        search_keys=_search_keys(public, facility), published_at=utcnow())
    _write_open_data_row(row, public)
    fulltext.add(row.sort_key, row.search_keys)
    terms = {name: list(dict.fromkeys(public[name])) for name in TERM_VOCABULARIES}
    rows = [{"incident": row, "vocabulary": name, "code": code} for name, codes in terms.items() for code in codes]
    if rows:
        PublishedTerm.insert_many(rows).execute()
    facet_counts.add(row, terms)
    return row
