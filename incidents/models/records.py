"""Facilities and incidents, with their terms, people, responses, revisions and review events."""
from __future__ import annotations

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from incidents.db import BaseModel
from incidents.models.accounts import User
from incidents.models.fields import JSONTextField, SealedJSONField, SealedTextField, folded, utcnow

STATUSES = ("draft", "in_review", "published", "rejected", "retracted")
DATE_PRECISIONS = ("day", "month", "year", "circa")
PERSON_ROLES = ("victim", "witness", "perpetrator", "informant")
# "unknown" first: a form lists these in this order, and nobody is taken for a man until someone says so.
SEXES = ("unknown", "male", "female", "other")
CONSENTS = ("none", "anonymised", "named")


class Facility(BaseModel):
    """A place of detention. Its name, locality and authority have a version per language; the one in
    ``original_language`` is the original, the others translations of it (as an incident's texts)."""

    names = JSONTextField()  # {"en": "...", "ru": "..."}
    original_language = CharField(default="en")
    aliases = JSONTextField(default=list)  # any script: ["Саратов", "Saratov"]
    type = CharField()
    country = CharField(max_length=2, index=True)
    region = CharField(null=True, index=True)
    # 300: what validation.MAX_SHORT allows (more than VARCHAR's default 255).
    # The original version of ``localities`` (and of ``authorities`` below), kept beside them for
    # what reads one text: the API's string, search, exports, facets. Set from them on save.
    locality = CharField(max_length=300, default="")
    localities = JSONTextField(default=dict)
    latitude = FloatField(null=True)
    longitude = FloatField(null=True)
    authority = CharField(max_length=300, default="")
    authorities = JSONTextField(default=dict)
    notes = TextField(default="")
    # Case-folded names, aliases and locality, so a name in any script finds the facility.
    search_text = TextField(default="")
    created_by = ForeignKeyField(User, null=True, backref="+")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    def save(self, *args, **kwargs):
        # Code that sets only the single text (older callers, the demo) gives its original version.
        for single, versions in (("locality", "localities"), ("authority", "authorities")):
            texts = getattr(self, versions) or ({self.original_language: getattr(self, single)}
                                                if getattr(self, single) else {})
            setattr(self, versions, texts)
            setattr(self, single, original_text(texts, self.original_language))
        self.search_text = folded(*self.names.values(), *self.aliases, *self.localities.values())
        return super().save(*args, **kwargs)

    def name_in(self, language: str) -> str:
        return name_in(self.names, language, self.original_language)


def original_text(texts: dict, original: str) -> str:
    """The original version of a text kept per language; another when the original is missing."""
    return texts.get(original) or next((text for text in texts.values() if text), "")


def name_in(names: dict, language: str, original: str = "en") -> str:
    """A facility's name in ``language``, else in its original language, else in whatever language
    it has: for a facility as a row, as a revision keeps it, or as a dossier carries it."""
    return names.get(language) or original_text(names, original)


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

    class Meta:
        # Likely duplicates are looked for among incidents whose dates come near (duplicates/).
        indexes = ((("date_start", "date_end"), False),)


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
    date = CharField(max_length=10, null=True)  # ISO 8601 as precisely as known: 2020, 2020-03, 2020-03-15
    # Who acted, e.g. "Investigative Committee, Saratov region"; the schema allows 300 (> VARCHAR(255)).
    body = SealedTextField(default="")
    description = SealedTextField(default="")
    # Both in the languages other than the incident's original (language -> text); None: none yet.
    body_translations = SealedJSONField(null=True)
    description_translations = SealedJSONField(null=True)
    # A victim's own complaint can identify them: such a response never reaches the public. Its
    # texts are encrypted at rest whether marked confidential or not, since the mark can change.
    confidential = BooleanField(default=False)


class Revision(BaseModel):
    """A full snapshot of an incident at one save; never changed once written."""

    incident = ForeignKeyField(Incident, backref="revisions", on_delete="CASCADE")
    number = IntegerField()
    snapshot = SealedJSONField()  # every field, identities included
    author = ForeignKeyField(User, backref="+")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("incident", "number"), True),)


class ReviewEvent(BaseModel):
    incident = ForeignKeyField(Incident, backref="review_events", on_delete="CASCADE")
    action = CharField()
    from_status = CharField()
    to_status = CharField()
    actor = ForeignKeyField(User, backref="+")
    comment = TextField(default="")
    revision = IntegerField()
    created_at = DateTimeField(default=utcnow)
