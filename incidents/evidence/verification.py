"""Verification after the Berkeley Protocol: recording source, technical and content
assessments, keeping the working statuses they imply (see verification_status.py) up to date,
and a second reviewer's confirmation that makes a working status the public one."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from incidents import audit, policy, vocab
from incidents.db import database
from incidents.errors import Conflict, Forbidden
from incidents.evidence.service import read_item, record_custody
from incidents.models import (
    ASSESSMENT_OUTCOMES,
    ASSESSMENT_PARTS,
    VERIFICATION_STATUSES,
    Assessment,
    EvidenceItem,
    Incident,
    PublishedIncident,
    utcnow,
)
from incidents.publication import facet_counts
from incidents.validation import Errors, clean_choice, clean_text
from incidents.verification_status import (
    awaits_confirmation,
    item_status,
    published_item_ids,
    status_of_items,
    working_status,
)


def refresh(item: EvidenceItem) -> None:
    """Recompute the item's and its incident's working status; call inside the change's
    transaction. The public status stays as confirmed until the next confirmation."""
    item.verification = item_status(list(item.assessments))
    # Only this column: a confirmation committed since the item was read must not be undone.
    item.save(only=[EvidenceItem.verification])
    if item.incident_id is None:
        return
    Incident.update(verification=working_status(item.incident_id)).where(Incident.id == item.incident_id).execute()


def _refresh_published(item: EvidenceItem) -> None:
    """Recompute the public status of the item's incident, and its counts, when the item is public."""
    published = PublishedIncident.get_or_none(PublishedIncident.incident == item.incident_id)
    if published is None or item.id not in published_item_ids(published.public_data):
        return
    terms = facet_counts.terms_of(published)
    facet_counts.subtract(published, terms)
    published.verification = status_of_items(published_item_ids(published.public_data))
    published.save(only=[PublishedIncident.verification])
    facet_counts.add(published, terms)


def record_assessment(user, item_id: int, data: dict) -> Assessment:
    """Add one assessment. It changes the working status only; the public one waits for a
    second reviewer's confirmation (``confirm``).

    :raise NotFound: the item is not visible to this user. :raise Forbidden: not a reviewer.
    :raise ValidationFailed: unknown part or outcome, no method.
    """
    view = read_item(user, item_id)
    if not policy.can_assess_evidence(user):
        raise Forbidden(_l("Only reviewers record verification assessments."))
    errors = Errors()
    clean = {
        "part": clean_choice(data.get("part"), ASSESSMENT_PARTS, "part", errors),
        "method": clean_text(data.get("method"), "method", errors, required=True, max_length=2000,
                             multiline=True),
        "outcome": clean_choice(data.get("outcome"), ASSESSMENT_OUTCOMES, "outcome", errors),
        "note": clean_text(data.get("note"), "note", errors, max_length=5000, multiline=True),
    }
    errors.raise_if_any()
    with database.atomic():
        assessment = Assessment.create(item=view.item, assessor=user, created_at=utcnow(), **clean)
        refresh(view.item)
        record_custody(view.item, "verified", user, part=clean["part"], outcome=clean["outcome"])
        # The assessment is checked against this entry (integrity.py), as a review event is.
        audit.record(user, "evidence.assess", view.item, part=clean["part"], outcome=clean["outcome"],
                     assessment=assessment.id)
    return assessment


def confirm(user, item_id: int, data: dict) -> EvidenceItem:
    """Make the item's working status its public one. ``data["status"]`` is the working status the
    reviewer saw: if it changed since, they confirmed something else, and nothing happens.

    :raise NotFound: the item is not visible to this user.
    :raise Forbidden: not a reviewer, or the item's uploader or one of its assessors (four eyes).
    :raise ValidationFailed: no or an unknown status.
    :raise Conflict: the working status changed since, or nothing awaits confirmation.
    """
    read_item(user, item_id)
    if not policy.can_assess_evidence(user):
        raise Forbidden(_l("Only reviewers confirm verification."))
    errors = Errors()
    seen = clean_choice(data.get("status"), VERIFICATION_STATUSES, "status", errors)
    errors.raise_if_any()
    with database.atomic():
        # Read again inside the transaction: assessments or a confirmation may have come in between.
        item = EvidenceItem.get_by_id(item_id)
        if not policy.can_confirm_verification(user, item):
            raise Forbidden(_l("A second reviewer confirms a verification: not whoever uploaded the item "
                               "or assessed it."))
        if item.verification != seen:
            raise Conflict(_l("The verification status changed while you were reading: it is now "
                              "\u201c%(status)s\u201d. Read the assessments again before you confirm.",
                              status=vocab.VERIFICATION_LABELS[item.verification]))
        if not awaits_confirmation(item):
            raise Conflict(_l("Nothing awaits confirmation: the public already sees this status."))
        previous = item.confirmed_verification
        confirmed = (EvidenceItem.update(confirmed_verification=seen, confirmed_by=user, confirmed_at=utcnow())
                     .where((EvidenceItem.id == item.id) & (EvidenceItem.verification == seen)).execute())
        if not confirmed:  # an assessment changed it after the read above (PostgreSQL)
            raise Conflict(_l("The verification status changed while you were reading. Read the "
                              "assessments again before you confirm."))
        item = EvidenceItem.get_by_id(item_id)
        _refresh_published(item)
        record_custody(item, "verification_confirmed", user, status=seen, previous=previous)
        audit.record(user, "evidence.confirm_verification", item, status=seen, previous=previous)
    return item

