"""Verification after the Berkeley Protocol: recording source, technical and content
assessments and keeping the statuses they imply (see verification_status.py) up to date."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .. import audit, facet_counts, policy
from ..db import database
from ..errors import Forbidden
from ..models import (ASSESSMENT_OUTCOMES, ASSESSMENT_PARTS, Assessment, EvidenceItem, Incident,
                      PublishedIncident, utcnow)
from ..validation import Errors, clean_choice, clean_text
from ..verification_status import incident_status, item_status, published_item_ids, status_of_items
from .service import read_item, record_custody

def refresh(item: EvidenceItem) -> None:
    """Recompute the item's and its incident's status, and the published one when the item is
    public; call inside the change's transaction."""
    item.verification = item_status(list(item.assessments))
    item.save()
    if item.incident_id is None:
        return
    statuses = [row.verification for row in
                EvidenceItem.select(EvidenceItem.verification).where(EvidenceItem.incident == item.incident_id)]
    Incident.update(verification=incident_status(statuses)).where(Incident.id == item.incident_id).execute()
    published = PublishedIncident.get_or_none(PublishedIncident.incident == item.incident_id)
    if published is not None and item.id in published_item_ids(published.public_data):
        terms = facet_counts.terms_of(published)
        facet_counts.subtract(published, terms)
        published.verification = status_of_items(published_item_ids(published.public_data))
        published.save()
        facet_counts.add(published, terms)


def record_assessment(user, item_id: int, data: dict) -> Assessment:
    """Add one assessment.

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
        audit.record(user, "evidence.assess", view.item, part=clean["part"], outcome=clean["outcome"])
    return assessment
