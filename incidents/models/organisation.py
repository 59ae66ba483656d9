"""The organisation that submits the dossiers: its names, address, contact, logo and consent statement."""
from __future__ import annotations

from peewee import BlobField, CharField, DateTimeField, ForeignKeyField, TextField

from incidents.db import BaseModel
from incidents.models.accounts import User
from incidents.models.fields import JSONTextField, utcnow


class OrganisationProfile(BaseModel):
    """One row at most, set by administrators (``admin/organisation.py``). Every dossier names it as
    the author of the communication, never a member of staff; until it exists, a dossier says so.

    Public information, so nothing here is sealed: it is printed on every public dossier.
    """

    names = JSONTextField(default=dict)  # language -> the organisation's name in it
    address = TextField(default="")
    email = CharField(max_length=254, default="")
    phone = CharField(max_length=40, default="")
    website = TextField(default="")
    consent = JSONTextField(default=dict)  # language -> the consent statement the organisation uses
    # A PNG the app encoded itself from pixels decoded in the sandbox: never the bytes uploaded.
    # Kept in the database, so that every app server and every backup has it.
    logo = BlobField(null=True)
    updated_at = DateTimeField(default=utcnow)
    updated_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
