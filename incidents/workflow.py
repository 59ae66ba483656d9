"""The review state machine: every transition checked, in one transaction, logged.

    draft --submit--> in_review --approve--> published --retract--> retracted
      ^                   |   \\--reject--> rejected
      +--request_changes--+

An edit of a published incident is a pending revision (status draft or in_review) while the
public keeps reading the last approved one; rejecting such an edit restores the published
revision instead of ending the incident's life.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from incidents import audit, policy, redactions
from incidents.comments import service as comments
from incidents.custody import has_custody, record_custody
from incidents.db import database
from incidents.errors import Conflict, Forbidden, NotFound, ValidationFailed
from incidents.models import EvidenceItem, Facility, Incident, PublishedIncident, ReviewEvent, Revision
from incidents.notifications import mail
from incidents.notifications import service as notifications
from incidents.publication import projection
from incidents.revisions import apply_snapshot, get_revision, latest_number, save_revision
from incidents.text import CONTROL
from incidents.verification_status import working_status

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


# The actions a page asks to confirm first: each is hard to undo, or undone only by someone else.
CONFIRMED = ("approve", "request_changes", "reject", "retract")


def confirmation(incident_id: int, user, action: str) -> tuple[Incident, dict | None]:
    """What a confirmation page shows before ``action``: the incident and, for an approval, the
    revision it would publish as the public would read it (``policy.redact_incident``).

    :raise NotFound: an action that asks no confirmation, or an incident the user may not see.
    :raise Forbidden: the user may not take the action. :raise Conflict: not in a state for it.
    """
    incident = Incident.get_or_none(Incident.id == incident_id)
    if action not in CONFIRMED or incident is None or not policy.can_read_working_copy(user, incident):
        raise NotFound(_l("No such incident."))
    if not policy.may_transition(user, incident, action):
        raise Forbidden(_l("You may not do this."))
    if not _state_allows(incident, action):
        raise Conflict(_l("This incident is not in a state where that is possible."))
    if action != "approve":
        return incident, None
    return incident, policy.redact_incident(get_revision(incident, latest_number(incident)).snapshot)


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
        if action == "approve":
            _refuse_unredacted(incident)
        before = incident.status
        _apply(incident, user, action, latest_number(incident))
        event = ReviewEvent.create(incident=incident, action=action, from_status=before,
                                   to_status=incident.status, actor=user, comment=comment,
                                   revision=latest_number(incident))
        comments.from_review(event)  # the author answers it in the incident's conversation
        told = notifications.for_transition(incident, action, user)
        incident.review_comment = comment if action in COMMENT_REQUIRED else ""
        incident.version += 1
        incident.save()
        # The review event and the public projection are checked against this entry (integrity.py).
        audit.record(user, "incident." + action, incident, from_status=before,
                     to_status=incident.status, review_event=event.id, revision=event.revision,
                     **_projection_written(incident, action))
    mail.send(told)  # committed: nothing e-mailed speaks of a change rolled back
    return incident


def unredacted(incident: Incident) -> list[int]:
    """The pictures and videos an approval would make public that wait for a redaction decision."""
    snapshot = get_revision(incident, latest_number(incident)).snapshot
    return redactions.undecided(row["id"] for row in snapshot.get("evidence", [])
                                if row.get("sha256") and row.get("id") and not row.get("confidential"))


def _refuse_unredacted(incident: Incident) -> None:
    """No picture or video goes public before a reviewer decided what its public copy hides.

    :raise Conflict: naming the items that wait for a decision.
    """
    waiting = unredacted(incident)
    if waiting:
        raise Conflict(_l("Before publishing, a reviewer must decide what the public copies of these pictures and "
                          "videos hide (open each and choose on its redaction page): items %(items)s.",
                          items=", ".join(str(item_id) for item_id in waiting)))


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
        projection.publish(incident, get_revision(incident, revision_number))
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
        projection.unpublish(incident)


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
