"""Creating, editing and reading incidents and facilities: the services behind pages and API."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from incidents import audit, policy, shape, workflow
from incidents.db import database
from incidents.duplicates import service as duplicates
from incidents.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PossibleDuplicate,
    Unauthenticated,
    ValidationFailed,
)
from incidents.models import STATUSES, Facility, Incident, PublishedIncident, ReviewEvent, Revision, utcnow
from incidents.publication import projection
from incidents.records import schema
from incidents.revisions import apply_snapshot, diff, get_revision, save_revision, snapshot
from incidents.search.facilities import possible_duplicates
from incidents.search.queries import filter_working_copies
from incidents.uploads.service import FormFiles
from incidents.verification_status import published_item_ids, status_of_items


@dataclass
class IncidentView:
    """What one reader may see of one incident."""

    incident: Incident | None  # the working copy, for those who may read it
    data: dict  # snapshot shape, redacted unless ``confidential``
    public: bool  # True when ``data`` is the published revision
    confidential: bool
    published: PublishedIncident | None


# A person's confidential fields that may be empty: a choice (their consent) always holds a value,
# so holding one shows nothing.
IDENTIFYING = tuple(field.name for field in shape.PERSON if field.confidential and field.kind != shape.CHOICE)


def has_confidential(data: dict) -> bool:
    """Whether reading ``data`` in full shows what the public never sees: that read is audited."""
    return any(person.get(field) for person in data.get("persons", []) for field in IDENTIFYING) or \
        any(response.get("confidential") for response in data.get("responses", [])) or \
        any(item.get("confidential") for item in data.get("evidence", []))


def _working_data(user, incident: Incident) -> tuple[dict, bool, bool]:
    """A working copy's snapshot as ``user`` may read it (redacted unless they may read
    confidential fields), whether they may, and whether it shows any: the caller audits that read."""
    data = snapshot(incident)
    if not policy.can_read_confidential(user, incident):
        return policy.redact_incident(data), False, False
    return data, True, has_confidential(data)


def read_incident(user, incident_id: int, *, prefer_public: bool = False) -> IncidentView:
    """The working copy for those who may read it, otherwise the published revision.

    :raise NotFound: nothing this reader may see (drafts, rejected, retracted for the public).
    """
    incident = Incident.get_or_none(Incident.id == incident_id)
    published = PublishedIncident.get_or_none(PublishedIncident.incident == incident_id)
    if incident is not None and policy.can_read_working_copy(user, incident) and not prefer_public:
        data, confidential, shown = _working_data(user, incident)
        if shown:
            with database.atomic():
                audit.record(user, "incident.view_confidential", incident)
        return IncidentView(incident, data, False, confidential, published)
    if published is None:
        raise NotFound(_l("No such incident."))
    return IncidentView(None, dict(published.public_data), True, False, published)


def revision_history(user, incident_id: int) -> tuple[Incident, list]:
    """Every revision, newest first, with what it changed; old revisions may hold identities,
    so only readers of confidential fields get it, and every look is audited.

    :raise NotFound: no such incident, or the reader may not see confidential fields.
    """
    incident = Incident.get_or_none(Incident.id == incident_id)
    if incident is None or not policy.can_read_confidential(user, incident):
        raise NotFound(_l("No such incident."))
    revisions = list(incident.revisions.order_by(Revision.number.desc()))
    entries = [(revision, diff(revisions[i + 1].snapshot if i + 1 < len(revisions) else None,
                               revision.snapshot))
               for i, revision in enumerate(revisions)]
    with database.atomic():
        audit.record(user, "incident.view_history", incident)
    return incident, entries


def changes_for_review(incident: Incident, user) -> tuple[str, list] | None:
    """What a reviewer compares the working copy with, and the changes: ("published", [...]) for a
    pending edit of a published incident, ("returned", [...]) for a draft returned with comments
    and changed since; None when there is nothing to compare with.

    A reader who may not see confidential fields compares the two as the public would read them,
    so that no change tells them what those fields hold."""
    if incident.published_revision is not None:
        base, kind = get_revision(incident, incident.published_revision), "published"
    else:
        returned = (ReviewEvent.select(ReviewEvent.revision)
                    .where((ReviewEvent.incident == incident) & (ReviewEvent.action == "request_changes"))
                    .order_by(ReviewEvent.id.desc()).scalar())
        base, kind = get_revision(incident, returned), "returned"
    if base is None:
        return None
    before, after = base.snapshot, snapshot(incident)
    if not policy.can_read_confidential(user, incident):
        before, after = policy.redact_incident(before), policy.redact_incident(after)
    elif has_confidential(before) and not has_confidential(after):
        # Reading the working copy is audited when it shows identities (``read_incident``); an
        # identity that only the earlier revision holds, removed since, is read here.
        with database.atomic():
            audit.record(user, "incident.view_confidential", incident)
    changes = diff(before, after)
    return (kind, changes) if changes else None


def _refuse_duplicate(clean: dict, user) -> None:
    """:raise PossibleDuplicate: a facility the user may know of has one of these names or aliases,
    in any script; a second one would split its incidents and count the events twice."""
    matches = possible_duplicates(user, [*clean["names"].values(), *clean["aliases"]])
    if matches:
        raise PossibleDuplicate(_l("This facility may already be in the register under another "
                                   "name. Choose it, or confirm that this is another facility."), matches)


def _create_facility_row(clean: dict, user) -> Facility:
    facility = Facility.create(created_by=user, **clean)
    audit.record(user, "facility.create", facility)
    return facility


def create_incident(data: dict, user, *, max_text: int, new_facility: dict | None = None,
                    confirm_new: bool = False, files: FormFiles | None = None) -> Incident:
    """Create a draft, optionally with a new facility entered on the way and files sent ahead.

    :raise Forbidden: the user may not create incidents (or facilities, when one is new).
    :raise ValidationFailed: with every field's messages; nothing is saved.
    :raise PossibleDuplicate: the new facility may be one already kept, and ``confirm_new`` is false.
    """
    if not policy.can_create_incident(user):
        raise Forbidden(_l("You may not create incidents."))
    errors: dict = {}
    facility_clean = None
    if new_facility is not None:
        if not policy.can_create_facility(user):
            raise Forbidden(_l("You may not create facilities."))
        try:
            facility_clean = schema.clean_facility(new_facility)
        except ValidationFailed as exc:
            errors.update({"new_facility-" + k: v for k, v in exc.fields.items()})
    try:
        clean = schema.clean_incident(data, max_text=max_text, facility_pending=new_facility is not None)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if files is not None:
        errors.update(files.errors())
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), errors)
    if facility_clean is not None and not confirm_new:
        _refuse_duplicate(facility_clean, user)
    with database.atomic():
        if facility_clean is not None:
            clean["facility"] = _create_facility_row(facility_clean, user).id
        now = utcnow()
        incident = Incident(created_by=user, updated_by=user, created_at=now, updated_at=now,
                            status="draft", version=1)
        apply_snapshot(incident, clean, user)
        incident.reference = f"INC-{incident.id:06d}"
        incident.save()
        save_revision(incident, user)
        audit.record(user, "incident.create", incident)
        if files is not None:
            files.attach_to(incident.id)
    duplicates.tell_authors(incident)
    return Incident.get_by_id(incident.id)


def update_incident(incident_id: int, data: dict, user, *, version, max_text: int,
                    files: FormFiles | None = None) -> Incident:
    """Save an edit, with any files sent ahead. Editing a published incident makes a pending
    revision (status draft).

    :raise NotFound: no such incident, or the user may not see its working copy.
    :raise Forbidden: the user may not edit it in its current state.
    :raise Conflict: someone saved after ``version`` was read.
    :raise ValidationFailed: with every field's messages; nothing is saved.
    """
    incident = Incident.get_or_none(Incident.id == incident_id)
    if incident is None or not policy.can_read_working_copy(user, incident):
        raise NotFound(_l("No such incident."))
    if not policy.can_edit_incident(user, incident):
        raise Forbidden(_l("This incident cannot be edited by you in its current state."))
    version = workflow.required_version(version)
    errors = files.errors() if files is not None else {}
    try:
        clean = schema.clean_incident(data, max_text=max_text)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, {**exc.fields, **errors}) from None
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), errors)
    with database.atomic():
        # Compare-and-set on the version: of two saves from the same page, exactly one wins.
        claimed = (Incident.update(version=version + 1, updated_by=user, updated_at=utcnow())
                   .where((Incident.id == incident_id) & (Incident.version == version)).execute())
        if not claimed:
            raise Conflict(_l("Someone saved this incident after you opened it. "
                              "Your changes were not saved: reload the page and apply them again."))
        incident = Incident.get_by_id(incident_id)
        if incident.status == "published":
            incident.status = "draft"
        apply_snapshot(incident, clean, user)
        save_revision(incident, user)
        audit.record(user, "incident.update", incident, version=incident.version)
        if files is not None:
            files.attach_to(incident.id)
    duplicates.tell_authors(incident)
    return Incident.get_by_id(incident.id)


def create_facility(data: dict, user, *, confirm_new: bool = False) -> Facility:
    """:raise Forbidden: not allowed. :raise ValidationFailed: bad fields.
    :raise PossibleDuplicate: it may be one already kept, and ``confirm_new`` is false."""
    if not policy.can_create_facility(user):
        raise Forbidden(_l("You may not create facilities."))
    clean = schema.clean_facility(data)
    if not confirm_new:
        _refuse_duplicate(clean, user)
    with database.atomic():
        return _create_facility_row(clean, user)


def update_facility(facility_id: int, data: dict, user) -> Facility:
    """:raise NotFound: no such facility. :raise Forbidden: not allowed. :raise ValidationFailed."""
    facility = Facility.get_or_none(Facility.id == facility_id)
    if facility is None:
        raise NotFound(_l("No such facility."))
    if not policy.can_edit_facility(user):
        raise Forbidden(_l("You may not edit facilities."))
    clean = schema.clean_facility(data)
    with database.atomic():
        for key, value in clean.items():
            setattr(facility, key, value)
        # The versions cleaned are the whole of it: the single texts follow them on save, to nothing
        # when every version was cleared (else save would take the old single text back).
        facility.locality = facility.authority = ""
        facility.updated_at = utcnow()
        facility.save()
        # Its published incidents are found by its place and names: keep them in step.
        projection.refresh_facility(facility)
        audit.record(user, "facility.update", facility)
    return facility


def working_copies(user, status: str | None = None):
    """Incidents in any state that this user may see in staff lists, newest first."""
    if not policy.can_list_working_copies(user):
        raise Forbidden(_l("You may not list unpublished incidents."))
    query = (Incident.select(Incident, Facility).join(Facility)
             .order_by(Incident.updated_at.desc(), Incident.id.desc()))
    if policy.role_of(user) == "contributor":
        query = query.where(Incident.created_by == user.id)
    if status:
        query = query.where(Incident.status == status)
    return query


def working_copy_page(user, status: str | None, filters) -> tuple[list[tuple[Incident, dict]], int]:
    """One page of the staff list of working copies under ``filters`` (``search/filters.py``): each
    incident with its data as ``read_incident`` shows it, and the number of all; showing confidential
    fields is audited as a read of each incident is.

    :raise Unauthenticated: not signed in. :raise Forbidden: not staff.
    :raise ValidationFailed: an unknown status.
    """
    if not policy.is_signed_in(user):
        raise Unauthenticated(_l("Sign in or send an API token."))
    if not policy.can_list_working_copies(user):
        raise Forbidden(_l("Only staff may filter by review status."))
    if status and status not in STATUSES:
        raise ValidationFailed(_l("Unknown status."), {"status": [_l("Unknown status.")]})
    query = filter_working_copies(working_copies(user, status), filters)
    total = query.count()
    items, shown = [], []
    for incident in query.paginate(filters.page, filters.per_page):
        data, _confidential, holds = _working_data(user, incident)
        if holds:
            shown.append(incident)
        items.append((incident, data))
    with database.atomic():
        for incident in shown:
            audit.record(user, "incident.view_confidential", incident, via="api list")
    return items, total


def public_verification(view: IncidentView) -> str:
    """The verification status a reader sees: from the items this reader may see."""
    if view.incident is not None:
        return view.incident.verification
    return status_of_items(published_item_ids(view.data))
