"""Unsaved incident forms, kept as their author types (issue 14: nothing typed is lost).

A draft holds everything the form holds, legal names included, so it is sealed with the data key
like every other identity, and only its author ever reads it (``records/drafts.py``). It is no
part of the record: never reviewed, published, exported or audited, and gone once saved,
discarded or 30 days old.
"""
from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from incidents.db import BaseModel
from incidents.models.accounts import User
from incidents.models.fields import SealedJSONField, utcnow
from incidents.models.records import Incident


class Draft(BaseModel):
    author = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    # "new" for the new-incident form, the incident's id for its edit form: one draft per form.
    form = CharField(max_length=20)
    incident = ForeignKeyField(Incident, null=True, backref="+", on_delete="CASCADE")
    # The incident's version the edit started from: a draft restored later is still checked
    # against it on save, so it never silently overwrites a newer save.
    version = IntegerField(null=True)
    fields = SealedJSONField()  # [[name, value], ...] as the browser would post the form
    updated_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("author", "form"), True),)
