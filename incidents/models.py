"""The peewee models: people, facilities, incidents and their history.

Models know nothing of Flask requests; rules about who may do what live in ``policy.py``
and state changes in ``workflow.py``.
"""
from __future__ import annotations

import datetime
import json

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    CompositeKey,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from incidents.db import BaseModel
from incidents.keys.encryption import keyring

ROLES = ("admin", "reviewer", "contributor", "lawyer", "researcher")
STATUSES = ("draft", "in_review", "published", "rejected", "retracted")
DATE_PRECISIONS = ("day", "month", "year", "circa")
PERSON_ROLES = ("victim", "witness", "perpetrator", "informant")
SEXES = ("male", "female", "other", "unknown")
CONSENTS = ("none", "anonymised", "named")


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class JSONTextField(TextField):
    """JSON kept as text, so SQLite and PostgreSQL store it the same way."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class SealedTextField(TextField):
    """Text encrypted at rest with the data key (see encryption.py); plain text in Python.

    Empty stays empty: that a person has no legal name on file is no secret, and it keeps ""
    defaults and emptiness checks plain. Such a column cannot be searched or compared in SQL.
    """

    def _context(self) -> str:
        return f"{self.model._meta.table_name}.{self.column_name}"

    def db_value(self, value):
        if value is None or value == "":
            return value
        return keyring.encrypt(str(value).encode("utf-8"), self._context())

    def python_value(self, value):
        if value is None or value == "":
            return value
        return keyring.decrypt(value, self._context()).decode("utf-8")


class SealedJSONField(SealedTextField):
    """JSON encrypted at rest: a revision's snapshot holds every identity of its incident."""

    def db_value(self, value):
        return None if value is None else super().db_value(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def python_value(self, value):
        return None if value is None else json.loads(super().python_value(value))


def sealed_fields() -> list:
    """Every encrypted column: (model, field). What a key rotation and the migration walk."""
    return [(model, field) for model in ALL_MODELS for field in model._meta.sorted_fields
            if isinstance(field, SealedTextField)]


class User(BaseModel):
    email = CharField(unique=True)
    name = CharField(default="")
    role = CharField(choices=[(r, r) for r in ROLES])
    password_hash = CharField(null=True)
    active = BooleanField(default=True)
    locale = CharField(null=True)
    created_at = DateTimeField(default=utcnow)
    # Raised to end every session of the user on every device (logout, new password, new role).
    session_epoch = IntegerField(default=0)
    # Two-factor sign-in (TOTP): the confirmed secret, one being enrolled, and the last time step
    # a code was accepted for, so that no code works twice.
    totp_secret = SealedTextField(null=True)
    totp_pending = SealedTextField(null=True)
    totp_last_step = BigIntegerField(default=0)

    # Flask-Login reads these three attributes.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class RecoveryCode(BaseModel):
    """A one-time code that stands in for the authenticator once; only its hash is kept."""

    user = ForeignKeyField(User, backref="recovery_codes", on_delete="CASCADE")
    code_hash = CharField()
    used_at = DateTimeField(null=True)


class LoginFailure(BaseModel):
    """A failed sign-in, counted per account and per address to slow down guessing."""

    key = CharField(index=True)  # "account:<sha256 of the e-mail>", "address:<IP>" or "device:<sha256 of a nonce>"
    at = DateTimeField(default=utcnow, index=True)


class ApiToken(BaseModel):
    """An API token; only its SHA-256 is stored, so a leaked database yields no usable token."""

    user = ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    token_hash = CharField(unique=True)
    created_at = DateTimeField(default=utcnow)
    revoked = BooleanField(default=False)


class PasswordLink(BaseModel):
    """A one-time link to set a password: for the first administrator (no user yet) or a new user."""

    user = ForeignKeyField(User, null=True, backref="password_links", on_delete="CASCADE")
    token_hash = CharField(unique=True)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class Facility(BaseModel):
    names = JSONTextField()  # {"en": "...", "ru": "..."}
    aliases = JSONTextField(default=list)  # any script: ["Саратов", "Saratov"]
    type = CharField()
    country = CharField(max_length=2, index=True)
    region = CharField(null=True, index=True)
    # 300: what validation.MAX_SHORT allows (more than VARCHAR's default 255).
    locality = CharField(max_length=300, default="")
    latitude = FloatField(null=True)
    longitude = FloatField(null=True)
    authority = CharField(max_length=300, default="")
    notes = TextField(default="")
    # Case-folded names, aliases and locality, so a name in any script finds the facility.
    search_text = TextField(default="")
    created_by = ForeignKeyField(User, null=True, backref="+")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    def save(self, *args, **kwargs):
        self.search_text = folded(*self.names.values(), *self.aliases, self.locality)
        return super().save(*args, **kwargs)


def folded(*parts: str) -> str:
    """Texts joined and case-folded for matching in any script ("Саратов" finds "САРАТОВ")."""
    return "\n".join(part for part in parts if part).casefold()


class Incident(BaseModel):
    """The working copy of an incident: what staff edit and review.

    The public never reads this table; it reads ``PublishedIncident``, written on approval.
    """

    reference = CharField(unique=True, null=True)
    status = CharField(default="draft", index=True)
    version = IntegerField(default=1)
    facility = ForeignKeyField(Facility, backref="incidents")
    date_start = DateField()
    date_end = DateField(null=True)
    date_precision = CharField(default="day")
    original_language = CharField(default="en")
    title = JSONTextField()
    narrative = JSONTextField()
    victims_count = IntegerField(null=True)
    violation_status = CharField(null=True)
    graphic = BooleanField(default=False)
    created_by = ForeignKeyField(User, backref="incidents")
    created_at = DateTimeField(default=utcnow)
    updated_by = ForeignKeyField(User, backref="+")
    updated_at = DateTimeField(default=utcnow)
    submitted_by = ForeignKeyField(User, null=True, backref="+")
    # Number of the revision the public sees; None while never published or after retraction.
    published_revision = IntegerField(null=True)
    # The last review comment the author must read (request changes, reject, retract).
    review_comment = TextField(default="")
    # Follows from its evidence's verification; kept here to filter on.
    verification = CharField(default="unassessed", index=True)
    # Search keys of the working copy's texts (see search_keys.py), so staff search drafts as
    # the public searches what is published.
    search_keys = TextField(default="")


class IncidentTerm(BaseModel):
    """One vocabulary term on an incident's working copy: abuse types and perpetrator types."""

    incident = ForeignKeyField(Incident, backref="terms", on_delete="CASCADE")
    vocabulary = CharField()
    code = CharField()

    class Meta:
        indexes = ((("incident", "vocabulary", "code"), True), (("vocabulary", "code"), False))


class Person(BaseModel):
    incident = ForeignKeyField(Incident, backref="persons", on_delete="CASCADE")
    position = IntegerField(default=0)
    role = CharField()
    pseudonym = CharField(max_length=300)  # validation.MAX_SHORT
    # Confidential: never on a public page, export or public API response; encrypted at rest.
    legal_name = SealedTextField(default="")
    contact = SealedTextField(default="")
    citizenship = SealedTextField(default="")
    sex = CharField(default="unknown")
    age = IntegerField(null=True)
    consent = CharField(default="none")


class Response(BaseModel):
    """What happened after an incident (ESF Intervention): a complaint, an inquiry, a dismissal, a ruling."""

    incident = ForeignKeyField(Incident, backref="responses", on_delete="CASCADE")
    position = IntegerField(default=0)
    kind = CharField()  # a code of the "responses" vocabulary
    date = DateField(null=True)
    # Who acted, e.g. "Investigative Committee, Saratov region"; the schema allows 300 (> VARCHAR(255)).
    body = SealedTextField(default="")
    description = SealedTextField(default="")
    # A victim's own complaint can identify them: such a response never reaches the public. Its
    # texts are encrypted at rest whether marked confidential or not, since the mark can change.
    confidential = BooleanField(default=False)


class StoredFile(BaseModel):
    """One original in the evidence store, however many evidence items point at it."""

    sha256 = CharField(primary_key=True, max_length=64)
    size = BigIntegerField()
    media_type = CharField()
    created_at = DateTimeField(default=utcnow)


ACQUISITIONS = ("leak_handover", "direct_upload", "capture_app", "platform_download", "other")
ORIGINALITY = ("original", "copy", "unknown")
CUSTODY_ACTIONS = ("received", "hashed", "viewed", "downloaded", "exported", "verified")


class IngestBatch(BaseModel):
    """One ingest of a folder: the single provenance record of every file it preserved."""

    root = SealedTextField()  # the folder handed over may be named after its giver
    incident = ForeignKeyField(Incident, null=True, backref="+")
    source = SealedTextField(default="")  # confidential
    acquisition = CharField(default="leak_handover")
    received_on = DateField(null=True)
    note = SealedTextField(default="")
    actor = ForeignKeyField(User, backref="+")
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)


class EvidenceItem(BaseModel):
    """A link or a preserved file, with where it came from. File items are never deleted.

    An item ingested from an archive may belong to no incident yet.
    """

    incident = ForeignKeyField(Incident, null=True, backref="evidence", on_delete="CASCADE")
    batch = ForeignKeyField(IngestBatch, null=True, backref="items")
    position = IntegerField(default=0)
    kind = CharField()
    # The texts of an item are encrypted at rest: an item may be marked confidential at any time.
    url = SealedTextField(default="")
    description = SealedTextField(default="")
    created_by = ForeignKeyField(User, backref="+")
    created_at = DateTimeField(default=utcnow)
    stored_file = ForeignKeyField(StoredFile, null=True, backref="items", on_delete="RESTRICT")
    original_filename = SealedTextField(default="")  # metadata only: never part of a path
    graphic = BooleanField(default=False)
    # Confidential items never appear to the public, whatever the incident's state.
    confidential = BooleanField(default=False)
    source = SealedTextField(default="")  # who it came from: confidential
    acquisition = CharField(default="")
    received_on = DateField(null=True)
    original_location = SealedTextField(default="")
    captured_on = DateField(null=True)  # as claimed
    captured_place = SealedTextField(default="")  # as claimed
    originality = CharField(default="unknown")
    # Follows from the assessments (see evidence/verification.py); kept here to filter on. Staff
    # only: the public sees ``confirmed_verification``, set when a second reviewer (neither an
    # assessor of the item nor its uploader) confirms a working status.
    verification = CharField(default="unassessed", index=True)
    confirmed_verification = CharField(default="unassessed")
    confirmed_by = ForeignKeyField(User, null=True, backref="+")
    confirmed_at = DateTimeField(null=True)


ASSESSMENT_PARTS = ("source", "technical", "content")  # the Berkeley Protocol's three parts
ASSESSMENT_OUTCOMES = ("consistent", "inconclusive", "inconsistent", "not_verifiable")
VERIFICATION_STATUSES = ("unassessed", "in_progress", "verified", "unverifiable", "disputed")


class Assessment(BaseModel):
    """One verification step on an item, by a reviewer: never edited, later ones add to it."""

    item = ForeignKeyField(EvidenceItem, backref="assessments", on_delete="RESTRICT")
    part = CharField()
    method = TextField()
    outcome = CharField()
    note = TextField(default="")
    assessor = ForeignKeyField(User, backref="+")
    created_at = DateTimeField(default=utcnow)


class IngestEntry(BaseModel):
    """A file an ingest has preserved, by its place under the batch's root: what a resumed run
    skips without reading it again."""

    batch = ForeignKeyField(IngestBatch, backref="entries", on_delete="CASCADE")
    path = SealedTextField()  # a file's name may name the person filmed or who filmed
    size = BigIntegerField()
    mtime_ns = BigIntegerField()
    sha256 = CharField(max_length=64)
    item = ForeignKeyField(EvidenceItem, null=True, backref="+")

    class Meta:
        indexes = ((("batch", "sha256"), False),)


class CustodyEvent(BaseModel):
    """One link of an item's chain of custody; rows are only ever added."""

    item = ForeignKeyField(EvidenceItem, backref="custody", on_delete="RESTRICT")
    action = CharField()
    actor = ForeignKeyField(User, null=True, backref="+")
    sha256 = CharField(default="")
    detail = SealedJSONField(default=dict)  # names files and links, which may be confidential
    created_at = DateTimeField(default=utcnow)


class Revision(BaseModel):
    """A full snapshot of an incident at one save; never changed once written."""

    incident = ForeignKeyField(Incident, backref="revisions", on_delete="CASCADE")
    number = IntegerField()
    snapshot = SealedJSONField()  # every field, identities included
    author = ForeignKeyField(User, backref="+")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("incident", "number"), True),)


# Declared once Revision exists. A file or link brought by an edit that a reviewer rejected is
# detached from the incident and keeps here the revision it came with (see workflow.py).
EvidenceItem._meta.add_field("rejected_revision", ForeignKeyField(Revision, null=True, backref="+",
                                                                  on_delete="RESTRICT"))


class ReviewEvent(BaseModel):
    incident = ForeignKeyField(Incident, backref="review_events", on_delete="CASCADE")
    action = CharField()
    from_status = CharField()
    to_status = CharField()
    actor = ForeignKeyField(User, backref="+")
    comment = TextField(default="")
    revision = IntegerField()
    created_at = DateTimeField(default=utcnow)


class PublishedIncident(BaseModel):
    """The public projection of an approved revision: public fields only, nothing confidential."""

    incident = ForeignKeyField(Incident, primary_key=True, backref="+", on_delete="CASCADE")
    reference = CharField()
    facility = ForeignKeyField(Facility, backref="published_incidents", index=False)
    country = CharField(max_length=2)
    region = CharField(null=True)
    date_start = DateField()
    date_end = DateField(null=True)
    # The start's year, kept apart so that counting per year reads an index, not every date.
    year = IntegerField(default=0, index=True)
    # The start date, then the id, in one integer (``key_of``): the order of every list. The
    # full-text index uses it as its rowid, so matches come out newest first without sorting.
    sort_key = BigIntegerField(default=0)
    date_precision = CharField()
    original_language = CharField()
    title = JSONTextField()
    narrative = JSONTextField()
    victims_count = IntegerField(null=True)
    violation_status = CharField(null=True)
    graphic = BooleanField(default=False)
    # From the published evidence items only (see evidence/verification.py).
    verification = CharField(default="unassessed")
    public_data = JSONTextField()  # abuse, perpetrators, public person and evidence fields
    search_text = TextField(default="")
    # Space-padded search keys (see search_keys.py): what the full-text index holds.
    search_keys = TextField(default="")
    published_at = DateTimeField(default=utcnow, index=True)  # the home page's latest

    class Meta:
        # Each filter with the sort key: a filtered list reads its page off one index, in order,
        # and the columns after it let counts under the other filters skip the wide rows.
        indexes = (
            (("sort_key", "facility", "country", "region", "year", "date_end"), True),
            (("facility", "sort_key", "date_end"), False),
            (("region", "sort_key", "date_end", "facility"), False),
            (("country", "sort_key", "date_end", "facility", "region"), False),
            (("verification", "sort_key"), False),
        )

    @staticmethod
    def key_of(date_start: datetime.date, incident_id: int) -> int:
        """Orders by start date, then id (ids stay below 2**32)."""
        return date_start.toordinal() << 32 | incident_id

    @staticmethod
    def date_bound(day: datetime.date) -> int:
        """The smallest key of an incident starting after ``day``."""
        return (day.toordinal() + 1) << 32


class PublishedTerm(BaseModel):
    incident = ForeignKeyField(PublishedIncident, backref="terms", on_delete="CASCADE", index=False)
    vocabulary = CharField()
    code = CharField()

    class Meta:
        # One for "incidents with this term", one for "the terms of these incidents".
        indexes = ((("vocabulary", "code", "incident"), True), (("incident", "vocabulary", "code"), False))


class PublishedRow(BaseModel):
    """Most of a published incident's open-data CSV line, rendered at publication (see
    open_data_row.py). A narrow table of its own, keyed by the sort key: an export reads it in
    order, not the wide projection rows."""

    sort_key = BigIntegerField(primary_key=True)  # INTEGER PRIMARY KEY in SQLite: the rowid
    incident = ForeignKeyField(PublishedIncident, unique=True, backref="+", on_delete="CASCADE")
    cells = TextField()


class PublishedCount(BaseModel):
    """How many published incidents have each facet value, kept with every publication so that
    counts over everything published are read rather than counted (see facet_counts.py)."""

    dimension = CharField()
    value = CharField()
    count = IntegerField(default=0)

    class Meta:
        primary_key = CompositeKey("dimension", "value")


class AuditEvent(BaseModel):
    """One entry of the audit trail; each carries the hash of the one before (a hash chain)."""

    created_at = DateTimeField(default=utcnow)
    actor_id = IntegerField(null=True)
    actor_email = CharField(default="")
    action = CharField()
    object_type = CharField(default="")
    object_id = CharField(default="")
    detail = JSONTextField(default=dict)
    prev_hash = CharField(unique=True)
    hash = CharField(unique=True)


ALL_MODELS = [User, RecoveryCode, LoginFailure, ApiToken, PasswordLink, Facility, Incident, IncidentTerm, Person, Response, StoredFile,
              IngestBatch, EvidenceItem, IngestEntry, Assessment, CustodyEvent, Revision, ReviewEvent,
              PublishedIncident, PublishedTerm, PublishedRow, PublishedCount, AuditEvent]
