"""The audit trail: one hash-chained entry per change, and the trusted timestamps of its head."""
from __future__ import annotations

from peewee import BlobField, CharField, DateTimeField, IntegerField, TextField

from incidents.db import BaseModel
from incidents.models.fields import JSONTextField, utcnow


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


class AuditStamp(BaseModel):
    """An RFC 3161 timestamp of the audit chain's head (timestamps/heads.py): the authority's reply
    as it came, over the head event's hash. It shows the chain up to that event existed by then."""

    event_id = IntegerField()  # the head event; not a foreign key: a deleted event must leave its stamp to say so
    head = CharField(max_length=64)  # that event's hash, which the token stamps
    token = BlobField()
    stamped_at = DateTimeField()  # the authority's time (UTC), as the token says it
    authority = TextField()  # the address it was asked at (no bound on an address)
    created_at = DateTimeField(default=utcnow)
