"""The first schema: the registry's tables as the first version made them.

Later steps add what came after (evidence files, verification, ingest, search keys, sort keys, the
public counts and rows, responses, sign-in throttling, two factors, encryption). Defaults live in the
application (peewee fills them in Python), not in the database, so a created table declares none.
"""
from peewee import BooleanField, CharField, DateField, DateTimeField, FloatField, IntegerField, TextField

from incidents.migrations import Frozen, create_tables, foreign_key


class _User(Frozen):
    email = CharField(unique=True)
    name = CharField()
    role = CharField()
    password_hash = CharField(null=True)
    active = BooleanField()
    locale = CharField(null=True)
    created_at = DateTimeField()

    class Meta:
        table_name = "user"


class _ApiToken(Frozen):
    user = foreign_key("user", on_delete="CASCADE")
    token_hash = CharField(unique=True)
    created_at = DateTimeField()
    revoked = BooleanField()

    class Meta:
        table_name = "api_token"


class _PasswordLink(Frozen):
    user = foreign_key("user", null=True, on_delete="CASCADE")
    token_hash = CharField(unique=True)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)

    class Meta:
        table_name = "password_link"


class _Facility(Frozen):
    names = TextField()
    aliases = TextField()
    type = CharField()
    country = CharField(max_length=2, index=True)
    region = CharField(null=True, index=True)
    locality = CharField()
    latitude = FloatField(null=True)
    longitude = FloatField(null=True)
    authority = CharField()
    notes = TextField()
    search_text = TextField()
    created_by = foreign_key("user", null=True)
    created_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        table_name = "facility"


class _Incident(Frozen):
    reference = CharField(unique=True, null=True)
    status = CharField(index=True)
    version = IntegerField()
    facility = foreign_key("facility")
    date_start = DateField()
    date_end = DateField(null=True)
    date_precision = CharField()
    original_language = CharField()
    title = TextField()
    narrative = TextField()
    victims_count = IntegerField(null=True)
    violation_status = CharField(null=True)
    graphic = BooleanField()
    created_by = foreign_key("user")
    created_at = DateTimeField()
    updated_by = foreign_key("user")
    updated_at = DateTimeField()
    submitted_by = foreign_key("user", null=True)
    published_revision = IntegerField(null=True)
    review_comment = TextField()

    class Meta:
        table_name = "incident"


class _IncidentTerm(Frozen):
    incident = foreign_key("incident", on_delete="CASCADE")
    vocabulary = CharField()
    code = CharField()

    class Meta:
        table_name = "incident_term"
        indexes = ((("incident", "vocabulary", "code"), True), (("vocabulary", "code"), False))


class _Person(Frozen):
    incident = foreign_key("incident", on_delete="CASCADE")
    position = IntegerField()
    role = CharField()
    pseudonym = CharField()
    legal_name = CharField()
    contact = TextField()
    citizenship = CharField()
    sex = CharField()
    age = IntegerField(null=True)
    consent = CharField()

    class Meta:
        table_name = "person"


class _EvidenceItem(Frozen):
    incident = foreign_key("incident", on_delete="CASCADE")
    position = IntegerField()
    kind = CharField()
    url = TextField()
    description = TextField()
    created_by = foreign_key("user")
    created_at = DateTimeField()

    class Meta:
        table_name = "evidence_item"


class _Revision(Frozen):
    incident = foreign_key("incident", on_delete="CASCADE")
    number = IntegerField()
    snapshot = TextField()
    author = foreign_key("user")
    created_at = DateTimeField()

    class Meta:
        table_name = "revision"
        indexes = ((("incident", "number"), True),)


class _ReviewEvent(Frozen):
    incident = foreign_key("incident", on_delete="CASCADE")
    action = CharField()
    from_status = CharField()
    to_status = CharField()
    actor = foreign_key("user")
    comment = TextField()
    revision = IntegerField()
    created_at = DateTimeField()

    class Meta:
        table_name = "review_event"


class _PublishedIncident(Frozen):
    incident = foreign_key("incident", primary_key=True, on_delete="CASCADE")
    reference = CharField()
    facility = foreign_key("facility", index=True)
    country = CharField(max_length=2, index=True)
    region = CharField(null=True, index=True)
    date_start = DateField(index=True)
    date_end = DateField(null=True)
    date_precision = CharField()
    original_language = CharField()
    title = TextField()
    narrative = TextField()
    victims_count = IntegerField(null=True)
    violation_status = CharField(null=True)
    graphic = BooleanField()
    public_data = TextField()
    search_text = TextField()
    published_at = DateTimeField()

    class Meta:
        table_name = "published_incident"


class _PublishedTerm(Frozen):
    incident = foreign_key("published_incident", "incident_id", on_delete="CASCADE")
    vocabulary = CharField()
    code = CharField()

    class Meta:
        table_name = "published_term"
        indexes = ((("vocabulary", "code", "incident"), True),)


class _AuditEvent(Frozen):
    created_at = DateTimeField()
    actor_id = IntegerField(null=True)
    actor_email = CharField()
    action = CharField()
    object_type = CharField()
    object_id = CharField()
    detail = TextField()
    prev_hash = CharField()
    hash = CharField(unique=True)

    class Meta:
        table_name = "audit_event"


def up(migrator, db):
    create_tables(db, _User, _ApiToken, _PasswordLink, _Facility, _Incident, _IncidentTerm, _Person,
                  _EvidenceItem, _Revision, _ReviewEvent, _PublishedIncident, _PublishedTerm, _AuditEvent)
