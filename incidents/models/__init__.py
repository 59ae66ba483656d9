"""The peewee models, one module per concern (floor 7): ``fields`` (column types: JSON, sealed
text), ``accounts``, ``records`` (facilities, incidents and their history), ``evidence``,
``published`` (the public projection), ``audit``, ``duplicates`` (incidents people marked as one
event, or as not duplicates), ``drafts`` (unsaved forms), ``uploads`` (files on their way in), ``conversation`` (comments on an
incident, notifications), ``jobs`` (background work) and ``organisation`` (who submits the dossiers). Every name is importable from here.

Models know nothing of Flask requests; rules about who may do what live in ``policy.py`` and
state changes in ``workflow.py``.
"""
from __future__ import annotations

from incidents.models.accounts import ROLES, ApiToken, LoginFailure, PasswordLink, RecoveryCode, User
from incidents.models.audit import AuditEvent, AuditStamp
from incidents.models.conversation import NOTIFICATION_KINDS, Comment, Notification
from incidents.models.drafts import Draft
from incidents.models.duplicates import DUPLICATE_VERDICTS, DuplicateMark
from incidents.models.evidence import (
    ACQUISITIONS,
    ASSESSMENT_OUTCOMES,
    ASSESSMENT_PARTS,
    CUSTODY_ACTIONS,
    ORIGINALITY,
    REDACTION_DECISIONS,
    VERIFICATION_STATUSES,
    Assessment,
    CustodyEvent,
    EvidenceItem,
    Fingerprint,
    FingerprintBand,
    IngestBatch,
    IngestEntry,
    Likeness,
    RedactionDecision,
    RedactionProposal,
    StoredFile,
)
from incidents.models.fields import JSONTextField, SealedJSONField, SealedTextField, folded, utcnow
from incidents.models.jobs import JOB_STATES, Job
from incidents.models.organisation import OrganisationProfile
from incidents.models.published import (
    PublishedChange,
    PublishedCount,
    PublishedIncident,
    PublishedRow,
    PublishedTerm,
)
from incidents.models.records import (
    CONSENTS,
    DATE_PRECISIONS,
    PERSON_ROLES,
    SEXES,
    STATUSES,
    Facility,
    Incident,
    IncidentTerm,
    Person,
    Response,
    ReviewEvent,
    Revision,
    name_in,
)
from incidents.models.uploads import Upload

ALL_MODELS = [User, RecoveryCode, LoginFailure, ApiToken, PasswordLink, Facility, Incident, IncidentTerm, Person,
              Response, StoredFile, IngestBatch, EvidenceItem, IngestEntry, Assessment, CustodyEvent, Revision,
              ReviewEvent, PublishedIncident, PublishedTerm, PublishedRow, PublishedCount, PublishedChange, AuditEvent, DuplicateMark,
              Draft, Upload, Comment, Notification, Job, Fingerprint, FingerprintBand, Likeness,
              RedactionProposal, RedactionDecision, AuditStamp, OrganisationProfile]


def sealed_fields() -> list:
    """Every encrypted column: (model, field). What a key rotation and the migration walk."""
    return [(model, field) for model in ALL_MODELS for field in model._meta.sorted_fields
            if isinstance(field, SealedTextField)]


__all__ = [
    "ACQUISITIONS", "ALL_MODELS", "ASSESSMENT_OUTCOMES", "ASSESSMENT_PARTS", "ApiToken", "Assessment",
    "AuditEvent", "AuditStamp", "CONSENTS", "CUSTODY_ACTIONS", "CustodyEvent", "DATE_PRECISIONS", "Draft", "EvidenceItem",
    "Facility", "Incident", "IncidentTerm", "IngestBatch", "IngestEntry", "JSONTextField", "LoginFailure",
    "ORIGINALITY", "PERSON_ROLES", "PasswordLink", "Person", "PublishedCount", "PublishedIncident",
    "PublishedRow", "PublishedTerm", "PublishedChange", "ROLES", "RecoveryCode", "Response", "ReviewEvent", "Revision", "SEXES",
    "STATUSES", "SealedJSONField", "SealedTextField", "StoredFile", "Upload", "User", "VERIFICATION_STATUSES",
    "folded", "name_in", "sealed_fields", "utcnow", "DUPLICATE_VERDICTS", "DuplicateMark",
    "Comment", "Notification", "NOTIFICATION_KINDS", "Job", "JOB_STATES", "Fingerprint", "FingerprintBand",
    "Likeness", "REDACTION_DECISIONS", "RedactionDecision", "RedactionProposal", "OrganisationProfile",
]
