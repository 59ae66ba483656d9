"""The public projection: what the public reads, kept apart from the working copies."""
from __future__ import annotations

import datetime

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    CompositeKey,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from incidents.db import BaseModel
from incidents.models.fields import JSONTextField, utcnow
from incidents.models.records import Facility, Incident


class PublishedIncident(BaseModel):
    """The public projection of an approved revision: public fields only, nothing confidential."""

    incident = ForeignKeyField(Incident, primary_key=True, backref="+", on_delete="CASCADE")
    reference = CharField()
    facility = ForeignKeyField(Facility, backref="published_incidents", index=False)
    country = CharField(max_length=2)
    region = CharField(null=True)
    date_start = DateField()
    date_end = DateField(null=True)
    # The start's year, kept apart so that counting per year reads an index, not every date.
    year = IntegerField(default=0, index=True)
    # The start date, then the id, in one integer (``key_of``): the order of every list. The
    # full-text index uses it as its rowid, so matches come out newest first without sorting.
    sort_key = BigIntegerField(default=0)
    date_precision = CharField()
    original_language = CharField()
    title = JSONTextField()
    narrative = JSONTextField()
    victims_count = IntegerField(null=True)
    violation_status = CharField(null=True)
    graphic = BooleanField(default=False)
    # From the published evidence items only (see evidence/verification.py).
    verification = CharField(default="unassessed")
    public_data = JSONTextField()  # abuse, perpetrators, public person and evidence fields
    search_text = TextField(default="")
    # Space-padded search keys (see search_keys.py): what the full-text index holds.
    search_keys = TextField(default="")
    published_at = DateTimeField(default=utcnow, index=True)  # the home page's latest

    class Meta:
        # Each filter with the sort key: a filtered list reads its page off one index, in order,
        # and the columns after it let counts under the other filters skip the wide rows.
        indexes = (
            (("sort_key", "facility", "country", "region", "year", "date_end"), True),
            (("facility", "sort_key", "date_end"), False),
            (("region", "sort_key", "date_end", "facility"), False),
            (("country", "sort_key", "date_end", "facility", "region"), False),
            (("verification", "sort_key"), False),
        )

    @staticmethod
    def key_of(date_start: datetime.date, incident_id: int) -> int:
        """Orders by start date, then id (ids stay below 2**32)."""
        return date_start.toordinal() << 32 | incident_id

    @staticmethod
    def date_bound(day: datetime.date) -> int:
        """The smallest key of an incident starting after ``day``."""
        return (day.toordinal() + 1) << 32


class PublishedTerm(BaseModel):
    incident = ForeignKeyField(PublishedIncident, backref="terms", on_delete="CASCADE", index=False)
    vocabulary = CharField()
    code = CharField()

    class Meta:
        # One for "incidents with this term", one for "the terms of these incidents".
        indexes = ((("vocabulary", "code", "incident"), True), (("incident", "vocabulary", "code"), False))


class PublishedRow(BaseModel):
    """Most of a published incident's open-data CSV line, rendered at publication (see
    open_data_row.py). A narrow table of its own, keyed by the sort key: an export reads it in
    order, not the wide projection rows."""

    sort_key = BigIntegerField(primary_key=True)  # INTEGER PRIMARY KEY in SQLite: the rowid
    incident = ForeignKeyField(PublishedIncident, unique=True, backref="+", on_delete="CASCADE")
    codes = TextField()  # the row's head and the codes its labels are read from
    cells = TextField()


class PublishedCount(BaseModel):
    """How many published incidents have each facet value, kept with every publication so that
    counts over everything published are read rather than counted (see facet_counts.py)."""

    dimension = CharField()
    value = CharField()
    count = IntegerField(default=0)

    class Meta:
        primary_key = CompositeKey("dimension", "value")


class PublishedChange(BaseModel):
    """What each change of the counts (``PublishedCount``'s generation) did to which published
    incident: every process's in-memory facet arrays (facet_index.py) follow these few rows instead
    of reading every published incident again. Old rows are pruned: a process further behind
    rebuilds its arrays."""

    generation = BigIntegerField(primary_key=True)
    # "add" or "remove" one incident, by its sort key; "all" when many changed at once (a facility's
    # place): the arrays are then built anew.
    change = CharField(max_length=10)
    sort_key = BigIntegerField(default=0)
