"""The conversation on an incident (comments, sealed) and notifications; a person's choice of
e-mails about them (on by default: see docs/operations.md)."""
from peewee import BooleanField, CharField, DateTimeField, TextField

from incidents.migrations import Frozen, add_columns, create_tables, foreign_key


class _Comment(Frozen):
    incident = foreign_key("incident", on_delete="CASCADE")
    author = foreign_key("user")
    parent = foreign_key("comment", null=True, on_delete="CASCADE")
    review_event = foreign_key("review_event", null=True, on_delete="CASCADE")
    body = TextField()
    created_at = DateTimeField()

    class Meta:
        table_name = "comment"


class _Notification(Frozen):
    recipient = foreign_key("user", on_delete="CASCADE")
    kind = CharField(max_length=20)
    incident = foreign_key("incident", on_delete="CASCADE")
    other = foreign_key("incident", null=True, on_delete="CASCADE")
    comment = foreign_key("comment", null=True, on_delete="CASCADE")
    created_at = DateTimeField()
    read_at = DateTimeField(null=True)

    class Meta:
        table_name = "notification"
        indexes = ((("recipient", "read_at"), False),)


def up(migrator, db):
    create_tables(db, _Comment, _Notification)
    add_columns(migrator, "user", email_notifications=BooleanField(default=True))
