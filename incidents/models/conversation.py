"""The conversation on an incident between its author and its reviewers, and what each person is
told of it (issue 14: reviewer and author in one conversation).

A comment may name a witness or a source, so its body is sealed with the data key like every
identity. Comments are no part of the record: never published, exported or put in a dossier.
A notification holds no text at all: its kind and the incidents it is about, nothing else.
"""
from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField

from incidents.db import BaseModel
from incidents.models.accounts import User
from incidents.models.fields import SealedTextField, utcnow
from incidents.models.records import Incident, ReviewEvent

# returned: a reviewer requested changes to, or rejected, your incident; submitted: an incident
# you may review was submitted; comment: a new comment where you take part; duplicate: another
# incident may be a duplicate of yours.
NOTIFICATION_KINDS = ("returned", "submitted", "comment", "duplicate")


class Comment(BaseModel):
    incident = ForeignKeyField(Incident, backref="+", on_delete="CASCADE")
    author = ForeignKeyField(User, backref="+")
    # The comment this one answers; None for one that starts a thread.
    parent = ForeignKeyField("self", null=True, backref="+", on_delete="CASCADE")
    # A reviewer's request for changes (or rejection, or retraction) as it enters the conversation.
    review_event = ForeignKeyField(ReviewEvent, null=True, backref="+", on_delete="CASCADE")
    body = SealedTextField()
    created_at = DateTimeField(default=utcnow)


class Notification(BaseModel):
    recipient = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    kind = CharField(max_length=20)
    incident = ForeignKeyField(Incident, backref="+", on_delete="CASCADE")
    # For "duplicate": the other incident, the one that may repeat ``incident``.
    other = ForeignKeyField(Incident, null=True, backref="+", on_delete="CASCADE")
    comment = ForeignKeyField(Comment, null=True, backref="+", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    read_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("recipient", "read_at"), False),)
