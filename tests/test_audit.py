"""The audit trail: every write is recorded, and an edited entry breaks the chain where it was edited."""
from __future__ import annotations

import pytest
from peewee import IntegrityError

from factories import make_facility, make_incident, publish
from incidents import audit
from incidents.db import database
from incidents.models import AuditEvent


def test_writes_are_chained_and_tampering_is_found(users):
    facility = make_facility(users["contributor"])
    publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert {"facility.create", "incident.create", "incident.submit", "incident.approve"} <= set(actions)
    assert audit.verify() is None
    victim = AuditEvent.select().where(AuditEvent.action == "incident.submit").get()
    AuditEvent.update(actor_email="someone-else@example.org").where(AuditEvent.id == victim.id).execute()
    assert audit.verify().id == victim.id


def test_the_chain_cannot_fork(users):
    first = audit.record(users["admin"], "test.one")
    with pytest.raises(IntegrityError), database.atomic():
        AuditEvent.create(action="test.fork", prev_hash=first.prev_hash, hash="f" * 64)
