"""What people decided about two incidents that look alike: the same event, or not a duplicate."""
from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField

from incidents.db import BaseModel
from incidents.models.accounts import User
from incidents.models.fields import utcnow
from incidents.models.records import Incident

# "same": one event recorded twice (both records show the link; statistics count it once);
# "different": looked alike, but a person said it is not a duplicate (never offered again).
DUPLICATE_VERDICTS = ("same", "different")


class DuplicateMark(BaseModel):
    """One pair of incidents, the lower id first, and what a person said of it. Undoing deletes
    the row; the audit trail keeps who marked and who undid it."""

    first = ForeignKeyField(Incident, backref="+", on_delete="CASCADE")
    second = ForeignKeyField(Incident, backref="+", on_delete="CASCADE")
    verdict = CharField()
    marked_by = ForeignKeyField(User, backref="+")
    marked_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("first", "second"), True), (("second", "first"), False))
