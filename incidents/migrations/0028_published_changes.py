"""Issue 15, point 5: the log of published changes that in-memory facet arrays follow (models/published.py)."""
from peewee import BigIntegerField, CharField

from incidents.migrations import Frozen, create_tables


class _PublishedChange(Frozen):
    generation = BigIntegerField(primary_key=True)
    change = CharField(max_length=10)
    sort_key = BigIntegerField()

    class Meta:
        table_name = "published_change"


def up(migrator, db):
    create_tables(db, _PublishedChange)
