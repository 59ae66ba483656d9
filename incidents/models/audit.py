"""The audit trail: one hash-chained entry per change."""
from __future__ import annotations

from peewee import CharField, DateTimeField, IntegerField

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
