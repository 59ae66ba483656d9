"""Withdrawing a file or link attached to an incident by mistake, before it is published.

The item leaves the incident (its pages, its next publication, exports and dossiers) but is never
deleted: a preserved original stays in the store under its hash, the item stays reachable for
those who handle unattached archive items (to tie it to the right incident), and its chain of
custody says who withdrew it, from which incident, and why.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from incidents import audit, policy
from incidents.custody import record_custody
from incidents.db import database
from incidents.errors import Conflict, Forbidden, NotFound
from incidents.evidence import service
from incidents.models import EvidenceItem
from incidents.validation import Errors, clean_text

MAX_REASON = 2000


def withdrawable(user, view: service.ItemView) -> bool:
    """May ``user`` withdraw this item now: attached, editable by them, and not public?"""
    return (view.incident is not None and view.staff and policy.can_attach_evidence(user, view.incident)
            and view.item.id not in service.published_ids(view.incident.id))


def withdraw(user, item_id: int, reason) -> EvidenceItem:
    """Take the item off its incident, with ``reason`` (required) in its chain of custody.

    Withdrawing is an edit of the incident: a new version and revision, as attaching is.

    :raise NotFound: the item is not visible to ``user``, or belongs to no incident.
    :raise Forbidden: ``user`` may not edit the incident in its current state.
    :raise Conflict: the item is part of the published incident: retract the incident first.
    :raise ValidationFailed: no reason, or an unusable one.
    """
    view = service.read_provenance(user, item_id)
    if view.incident is None:
        raise NotFound(_l("This item belongs to no incident."))
    if not policy.can_attach_evidence(user, view.incident):
        raise Forbidden(_l("You may not change this incident's evidence in its current state."))
    if view.item.id in service.published_ids(view.incident.id):
        raise Conflict(_l("This item is public with the incident: retract the incident first, then "
                          "withdraw the item."))
    errors = Errors()
    reason = clean_text(reason, "reason", errors, required=True, max_length=MAX_REASON, multiline=True)
    errors.raise_if_any()
    with database.atomic():
        # Only while it is still on this incident: two people withdrawing at once withdraw it once.
        taken = (EvidenceItem.update(incident=None)
                 .where((EvidenceItem.id == view.item.id) & (EvidenceItem.incident == view.incident.id))
                 .execute())
        if not taken:
            raise Conflict(_l("This item was withdrawn or moved meanwhile."))
        item = EvidenceItem.get_by_id(view.item.id)
        record_custody(item, "withdrawn", user, incident=view.incident.id, reason=reason)
        service.touch(view.incident, user)
        # The reason may name someone: it stays in the sealed custody detail, not the audit trail.
        audit.record(user, "evidence.withdraw", item, incident=view.incident.id)
    return item
