"""Verification after the Berkeley Protocol: source, technical and content assessments.

An item is *verified* when each of the three parts has a consistent assessment and none is
inconsistent; *disputed* when any assessment found it inconsistent; *unverifiable* when someone
recorded that it could not be verified and nothing settled it; *in progress* otherwise once
anything is recorded. An incident takes the most telling status of its items.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .. import audit, policy
from ..db import database
from ..errors import Forbidden
from ..models import (ASSESSMENT_OUTCOMES, ASSESSMENT_PARTS, Assessment, EvidenceItem, Incident,
                      utcnow)
from ..validation import Errors, clean_choice, clean_text
from .service import read_item, record_custody

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


def refresh(item: EvidenceItem) -> None:
    """Recompute the item's and its incident's status; call inside the change's transaction."""
    item.verification = item_status(list(item.assessments))
    item.save()
    if item.incident_id is None:
        return
    statuses = [row.verification for row in
                EvidenceItem.select(EvidenceItem.verification).where(EvidenceItem.incident == item.incident_id)]
    Incident.update(verification=incident_status(statuses)).where(Incident.id == item.incident_id).execute()


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
