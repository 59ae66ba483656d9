"""The one place that answers "may this user do this to this record?".

It implements the access table of docs/access.md. Every page and API endpoint asks here; none
decides on its own. ``user`` is a ``User`` or ``None``/an anonymous user for the public.
"""
from __future__ import annotations

from incidents import shape
from incidents.models import CONSENTS, Assessment, EvidenceItem, Incident, ReviewEvent, Revision

# Endpoints anyone may open without signing in. Everything else needs a signed-in user,
# and then its own check below: deny by default.
PUBLIC_ENDPOINTS = frozenset({
    "static",
    "public.home",
    "public.incident_list",
    "public.facility_list",
    "public.facility_detail",
    "public.statistics",
    "public.statistics_csv",
    "public.statistics_download",
    "public.incident_map",
    "records.incident_detail",
    "evidence.item",
    "evidence.media",
    "evidence.preview",
    "auth.login",
    "auth.login_code",
    "auth.set_password",
    "auth.set_language",
    "api.incident_list",
    "api.incident_detail",
    "api.facility_list",
    "api.facility_detail",
    "api.vocabulary",
    "api.evidence_detail",
    "api.openapi",
    "api.signing_key",
    "api.content_credentials_root",
})

# API endpoints the site's own pages write to with the session cookie, each request carrying the
# page's CSRF token in ``X-CSRFToken`` (web/login.py checks it): the incident form sends its files
# through the resumable uploads. Every other API write needs a bearer token.
SESSION_API_WRITES = frozenset({"api.upload_create", "api.upload_append", "api.upload_cancel"})

# What a signed-in user who must use a second factor but has not enrolled one may still reach.
SECOND_FACTOR_ENROLMENT = frozenset({
    "static", "auth.two_factor_page", "auth.two_factor_confirm", "auth.logout", "auth.set_language",
})

STAFF_READERS = {"lawyer", "reviewer", "admin"}
EDITORS = {"contributor", "reviewer", "admin"}
REVIEWERS = {"reviewer", "admin"}
REVIEW_ACTIONS = {"approve", "request_changes", "reject", "retract"}

# Person fields the public never sees: identities and what could lead to them.
CONFIDENTIAL_PERSON_FIELDS = tuple(field.name for field in shape.PERSON if field.confidential)


def role_of(user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.role


def _is_author(user, incident: Incident) -> bool:
    return role_of(user) is not None and incident.created_by_id == user.id


def is_signed_in(user) -> bool:
    return role_of(user) is not None


def can_hold_api_token(user) -> bool:
    return is_signed_in(user)


def can_create_incident(user) -> bool:
    return role_of(user) in EDITORS


def can_upload(user) -> bool:
    """Send files ahead of attaching them (resumable uploads): whoever enters incidents. Each
    person reaches only their own uploads (``uploads/service.py``)."""
    return can_create_incident(user)


def can_read_working_copy(user, incident: Incident) -> bool:
    """Unpublished states and pending edits: lawyers, reviewers, admins, and the author."""
    role = role_of(user)
    return role in STAFF_READERS or (role == "contributor" and _is_author(user, incident))


def can_read_confidential(user, incident: Incident) -> bool:
    """Legal names, contacts, sources. Every such read is written to the audit trail."""
    return can_read_working_copy(user, incident)


def can_edit_incident(user, incident: Incident) -> bool:
    role = role_of(user)
    if incident.status in ("rejected", "retracted"):
        return False
    if role in REVIEWERS:
        return True
    # A contributor edits their own draft, or proposes a pending edit of their published case.
    return role == "contributor" and _is_author(user, incident) and incident.status in ("draft", "published")


def can_keep_draft(user, incident: Incident | None) -> bool:
    """A draft of the new-incident form, or of an incident's edit form: whoever may fill that form.
    Each keeps their own; nobody, not even an admin, reads another's (records/drafts.py)."""
    return can_create_incident(user) if incident is None else can_edit_incident(user, incident)


def can_submit(user, incident: Incident) -> bool:
    role = role_of(user)
    return role in REVIEWERS or (role == "contributor" and _is_author(user, incident))


def is_own_work(user, incident: Incident) -> bool:
    """Created it, submitted this round, or saved a revision in this round.

    A round of review ends with an approval or a rejection; revisions after that belong to
    the next round.
    """
    if _is_author(user, incident) or incident.submitted_by_id == user.id:
        return True
    round_start = (ReviewEvent.select(ReviewEvent.revision)
                   .where((ReviewEvent.incident == incident)
                          & (ReviewEvent.action.in_(("approve", "reject"))))
                   .order_by(ReviewEvent.id.desc()).scalar()) or 0
    return (Revision.select()
            .where((Revision.incident == incident) & (Revision.number > round_start)
                   & (Revision.author == user.id))
            .exists())


def can_review(user, incident: Incident) -> bool:
    """Approve, request changes, reject, retract: reviewers and admins, never on their own work."""
    return role_of(user) in REVIEWERS and not is_own_work(user, incident)


def may_transition(user, incident: Incident, action: str) -> bool:
    if action == "submit":
        return can_submit(user, incident)
    if action in REVIEW_ACTIONS:
        return can_review(user, incident)
    return False


def can_see_duplicates(user, incident: Incident) -> bool:
    """An incident's likely duplicates: those who may read its working copy (each match is one
    they may read, too)."""
    return can_read_working_copy(user, incident)


def can_mark_duplicates(user, incident: Incident) -> bool:
    """Mark it "same event as" or "not a duplicate of" another one they may read, or undo a mark:
    editors who may read its working copy (a reviewer any, a contributor their own)."""
    return role_of(user) in EDITORS and can_read_working_copy(user, incident)


def can_converse(user, incident: Incident) -> bool:
    """Read and write the conversation on an incident (comments, never public): its author and
    those who may review or edit any incident (reviewers, admins), in every state, for a rejected
    author must still read why. Lawyers and researchers take no part; a contributor never reads
    the conversation on another's incident."""
    role = role_of(user)
    return role in REVIEWERS or (role == "contributor" and _is_author(user, incident))


def may_read_incident(user, incident: Incident) -> bool:
    """Something of this incident: its working copy, or its published revision. A notification
    about an incident goes only to someone who may read it."""
    return incident.published_revision is not None or can_read_working_copy(user, incident)


def can_attach_evidence(user, incident: Incident) -> bool:
    """Attaching evidence is an edit: the same people, in the same states."""
    return can_edit_incident(user, incident)


def can_handle_originals(user, incident: Incident) -> bool:
    """Download originals and read provenance and custody: staff who may read confidential fields."""
    return can_read_confidential(user, incident)


def can_see_copies(user) -> bool:
    """Likely copies of an item (perceptual fingerprints), always among the items the user may read:
    signed-in users. Visitors are not told which public files are one another's copies either."""
    return is_signed_in(user)


def can_decide_redaction(user, item: EvidenceItem, incident: Incident | None) -> bool:
    """Decide what the public's copy of a picture or video hides: a reviewer who may handle the
    original, never the person who added the item (four eyes, as for publication)."""
    if role_of(user) not in REVIEWERS or item.created_by_id == user.id:
        return False
    return can_handle_archive(user) if incident is None else can_handle_originals(user, incident)


def can_assess_evidence(user) -> bool:
    """Verification is a reviewer's judgement, recorded under their name."""
    return role_of(user) in REVIEWERS


def can_confirm_verification(user, item: EvidenceItem) -> bool:
    """Make an item's working verification status public: a reviewer or admin who neither
    uploaded the item nor recorded any of its assessments (four eyes, as for publication)."""
    if role_of(user) not in REVIEWERS or item.created_by_id == user.id:
        return False
    return not (Assessment.select()
                .where((Assessment.item == item.id) & (Assessment.assessor == user.id)).exists())


def can_handle_archive(user) -> bool:
    """Ingested files not yet tied to an incident: staff who read unpublished work, no one else."""
    return role_of(user) in STAFF_READERS


def can_ingest(user) -> bool:
    return role_of(user) in REVIEWERS


def can_see_review_queue(user) -> bool:
    return role_of(user) in REVIEWERS


def can_list_working_copies(user) -> bool:
    """Staff lists of unpublished incidents (a contributor sees only their own in them)."""
    return role_of(user) in EDITORS | STAFF_READERS


def can_see_every_facility(user) -> bool:
    """Staff see facilities that so far appear only in unpublished work; others would learn from
    such a facility that somebody is documenting something there."""
    return role_of(user) in EDITORS | STAFF_READERS


def can_create_facility(user) -> bool:
    return role_of(user) in EDITORS


def can_edit_facility(user) -> bool:
    return role_of(user) in REVIEWERS


# Who may build a dossier of each redaction (the access table of docs/access.md). A confidential dossier
# also needs, per incident, the right to read its confidential fields.
DOSSIER_BUILDERS = {
    "public": {"researcher", "lawyer", "reviewer", "admin"},
    "confidential": {"lawyer", "reviewer", "admin"},
}


def can_build_dossier(user, redaction: str) -> bool:
    return role_of(user) in DOSSIER_BUILDERS.get(redaction, ())


def can_build_any_dossier(user) -> bool:
    return can_build_dossier(user, "public")


def can_read_job(user, job) -> bool:
    """A background job's page and what it prepared (a dossier bundle, say) are its owner's alone,
    while their account is active: not even an administrator reads another's."""
    return bool(getattr(user, "is_authenticated", False)) and job.owner_id == user.id and user.active


def can_manage_users(user) -> bool:
    return role_of(user) == "admin"


def can_manage_organisation(user) -> bool:
    """Set the organisation profile every dossier names as its author: administrators."""
    return role_of(user) == "admin"


def redact_incident(snapshot: dict) -> dict:
    """The public form of an incident snapshot.

    A person appears only as far as they consented: not at all without consent, by role and
    pseudonym when anonymised, with sex and age too when they agreed to be named (their legal
    name still never appears). Internal ids are dropped: they count confidential records.
    """
    public = dict(snapshot)
    public["persons"] = [
        {k: v for k, v in person.items() if k in PUBLIC_PERSON_FIELDS[person.get("consent", "none")]}
        for person in snapshot.get("persons", [])
        if PUBLIC_PERSON_FIELDS[person.get("consent", "none")]
    ]
    public["evidence"] = [
        {k: v for k, v in item.items() if k in (PUBLIC_FILE_FIELDS if item.get("sha256") else PUBLIC_LINK_FIELDS)}
        for item in snapshot.get("evidence", []) if not item.get("confidential")
    ]
    public["responses"] = [
        {k: v for k, v in response.items() if k in PUBLIC_RESPONSE_FIELDS}
        for response in snapshot.get("responses", []) if not response.get("confidential")
    ]
    return public


# What the public sees of each row: declared in ``shape.py``.
PUBLIC_FILE_FIELDS = shape.public_names(shape.FILE)
PUBLIC_LINK_FIELDS = shape.public_names(shape.LINK)
# What the authorities did is public unless marked confidential (a victim's own complaint can
# identify them).
PUBLIC_RESPONSE_FIELDS = shape.public_names(shape.RESPONSE)
PUBLIC_PERSON_FIELDS = {consent: shape.public_person_fields(consent) for consent in CONSENTS}
