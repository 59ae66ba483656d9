"""Evidence: stored files, items, archive batches, assessments, the chain of custody, fingerprints
and redaction."""
from __future__ import annotations

from peewee import (
    BigIntegerField,
    BlobField,
    BooleanField,
    CharField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from incidents.db import BaseModel
from incidents.models.accounts import User
from incidents.models.fields import JSONTextField, SealedJSONField, SealedTextField, utcnow
from incidents.models.records import Incident, Revision


class StoredFile(BaseModel):
    """One original in the evidence store, however many evidence items point at it."""

    sha256 = CharField(primary_key=True, max_length=64)
    size = BigIntegerField()
    media_type = CharField()
    created_at = DateTimeField(default=utcnow)


# "not_stated" until someone says how a file was obtained: a default must not claim a leak.
ACQUISITIONS = ("not_stated", "leak_handover", "direct_upload", "capture_app", "platform_download", "other")
ORIGINALITY = ("original", "copy", "unknown")
CUSTODY_ACTIONS = ("received", "hashed", "viewed", "downloaded", "exported", "verified")


class IngestBatch(BaseModel):
    """One ingest of a folder: the single provenance record of every file it preserved."""

    root = SealedTextField()  # the folder handed over may be named after its giver
    incident = ForeignKeyField(Incident, null=True, backref="+")
    source = SealedTextField(default="")  # confidential
    acquisition = CharField(default="not_stated")
    received_on = CharField(max_length=10, null=True)  # ISO 8601 as precisely as known: 2020, 2020-03
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
    # The original description, in its incident's original language; ``description_translations``
    # holds it in the others (language -> text). None on rows from before them (0033): none yet.
    description = SealedTextField(default="")
    description_translations = SealedJSONField(null=True)
    created_by = ForeignKeyField(User, backref="+")
    created_at = DateTimeField(default=utcnow)
    stored_file = ForeignKeyField(StoredFile, null=True, backref="items", on_delete="RESTRICT")
    original_filename = SealedTextField(default="")  # metadata only: never part of a path
    graphic = BooleanField(default=False)
    # Confidential items never appear to the public, whatever the incident's state.
    confidential = BooleanField(default=False)
    source = SealedTextField(default="")  # who it came from: confidential
    acquisition = CharField(default="not_stated")  # rows from before "not_stated" may hold ""
    # ISO 8601 as precisely as known ("2020", "2020-03", "2020-03-15"): a month is not its first day.
    received_on = CharField(max_length=10, null=True)
    original_location = SealedTextField(default="")
    captured_on = CharField(max_length=10, null=True)  # as claimed, as precisely as known
    captured_place = SealedTextField(default="")  # as claimed
    originality = CharField(default="unknown")
    # Follows from the assessments (see evidence/verification.py); kept here to filter on. Staff
    # only: the public sees ``confirmed_verification``, set when a second reviewer (neither an
    # assessor of the item nor its uploader) confirms a working status.
    verification = CharField(default="unassessed", index=True)
    confirmed_verification = CharField(default="unassessed")
    confirmed_by = ForeignKeyField(User, null=True, backref="+")
    confirmed_at = DateTimeField(null=True)
    # A file or link brought by an edit that a reviewer rejected is detached from the incident
    # and keeps here the revision it came with (see workflow.py).
    rejected_revision = ForeignKeyField(Revision, null=True, backref="+", on_delete="RESTRICT")
    # When a picture or video was compared with the originals held (``evidence/copies.py``).
    compared_at = DateTimeField(null=True)


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


class Fingerprint(BaseModel):
    """Perceptual hashes of one original (``media/fingerprints.py``), made once by a job: one for a
    picture, one a second for a video, none for frames without a picture. ``hashes``: 8 bytes each,
    big-endian; ``seconds``: each hash's time in the video, 4-byte floats."""

    stored_file = ForeignKeyField(StoredFile, primary_key=True, backref="+", on_delete="CASCADE")
    kind = CharField(max_length=10)
    hashes = BlobField()
    seconds = BlobField()
    created_at = DateTimeField(default=utcnow)


class FingerprintBand(BaseModel):
    """Each hash of a video cut into four bands of 16 bits, kept as (band number << 16 | its bits):
    two hashes within three bits of each other share a band, and a copy's frames share many, so the
    videos to compare a new one with are found through this index, not by reading every one."""

    band = IntegerField(index=True)
    stored_file = ForeignKeyField(StoredFile, backref="+", on_delete="CASCADE")

    class Meta:
        primary_key = False


class Likeness(BaseModel):
    """Two originals found to be copies of one another (``evidence/likeness.py``), kept both ways:
    the picture at time t of ``stored_file`` is at t + ``offset`` seconds of ``other``."""

    stored_file = ForeignKeyField(StoredFile, backref="+", on_delete="CASCADE")
    other = ForeignKeyField(StoredFile, backref="+", on_delete="CASCADE")
    score = FloatField()
    offset = FloatField(default=0.0)

    class Meta:
        indexes = ((("stored_file", "other"), True),)


class RedactionProposal(BaseModel):
    """What the face detector found in an item's original (``media/faces.py``), made once by a job:
    boxes for a reviewer to confirm, in the original's pixels (with seconds and a track number for
    video), and the frames shown with them (``frames``: file, time, width, height of the original)."""

    item = ForeignKeyField(EvidenceItem, primary_key=True, backref="+", on_delete="CASCADE")
    boxes = JSONTextField(default=list)
    frames = JSONTextField(default=list)
    readable = BooleanField(default=True)  # False: the decoder could not read the file
    created_at = DateTimeField(default=utcnow)


REDACTION_DECISIONS = ("redact", "publish_unredacted")


class RedactionDecision(BaseModel):
    """A reviewer's decision on what the public's copy of an item hides. Rows are only ever added;
    the latest stands. ``digest`` names the boxes (the public copy is made for it), "" when the copy
    hides nothing."""

    item = ForeignKeyField(EvidenceItem, backref="+", on_delete="RESTRICT")
    decision = CharField(max_length=20)
    boxes = JSONTextField(default=list)
    digest = CharField(max_length=64, default="")
    reason = SealedTextField(default="")  # may say who is shown
    decided_by = ForeignKeyField(User, backref="+")
    decided_at = DateTimeField(default=utcnow)
