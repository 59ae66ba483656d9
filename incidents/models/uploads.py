"""Files on their way in: resumable uploads (tus 1.0) not attached to an incident yet.

An upload's bytes are written to ``uploads/<token>`` in the evidence store as they arrive, so a
cut connection loses nothing already received; once whole, attaching it turns it into an
evidence item like any other file. Unattached uploads expire (``uploads/service.py``).
"""
from __future__ import annotations

from peewee import BigIntegerField, CharField, DateTimeField, ForeignKeyField

from incidents.db import BaseModel
from incidents.models.accounts import User
from incidents.models.evidence import EvidenceItem
from incidents.models.fields import SealedTextField, utcnow


class Upload(BaseModel):
    # The URL's last part: random, so one person's upload cannot be guessed by another; access
    # still needs the owner's sign-in.
    token = CharField(max_length=64, unique=True)
    owner = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    length = BigIntegerField()
    # The file's name, as metadata only: a leaked file's name may say whose it is.
    filename = SealedTextField(default="")
    # "new" for the new-incident form, an incident's id for its edit form, "" from the API: the
    # form offers back only its own unattached uploads after a reload or a crash.
    form = CharField(max_length=20, default="")
    # The SHA-256 of the file's first 64 KiB, as the form's script sent it: a stopped upload goes on
    # only with the very file it began with, never another of the same name and size.
    head = CharField(max_length=64, default="")
    # Hashed as the parts arrive: known once the last byte is in (see uploads/service.py).
    sha256 = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(index=True)
    item = ForeignKeyField(EvidenceItem, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        indexes = ((("owner", "form"), False),)
