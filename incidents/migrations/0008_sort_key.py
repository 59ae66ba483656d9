"""One sort key per published incident (date, then id), indexes that pair each filter with it,
the full-text index keyed by it, and counts per facet value."""
from peewee import BigIntegerField, CharField, CompositeKey, DateField, DateTimeField, IntegerField, SqliteDatabase

from incidents.db import day_number
from incidents.migrations import Frozen, add_columns, count_published, create_tables, drop_indexes

# Single-column indexes the composite ones replace.
REPLACED = {
    "published_incident": ("published_incident_facility_id", "published_incident_country",
                           "published_incident_region", "published_incident_date_start"),
    "published_term": ("published_term_incident_id",),
}


class _Published(Frozen):
    incident_id = IntegerField(primary_key=True)
    sort_key = BigIntegerField()
    facility_id = IntegerField()
    country = CharField()
    region = CharField()
    year = IntegerField()
    date_start = DateField()
    published_at = DateTimeField(index=True)

    class Meta:
        table_name = "published_incident"
        indexes = (
            (("sort_key", "facility_id", "country", "region", "year"), True),
            (("facility_id", "sort_key"), False),
            (("region", "sort_key"), False),
            (("country", "sort_key"), False),
        )


class _PublishedTerm(Frozen):
    incident_id = IntegerField()
    vocabulary = CharField()
    code = CharField()

    class Meta:
        table_name = "published_term"
        indexes = ((("incident_id", "vocabulary", "code"), False),)


class _PublishedCount(Frozen):
    dimension = CharField()
    value = CharField()
    count = IntegerField()

    class Meta:
        table_name = "published_count"
        primary_key = CompositeKey("dimension", "value")


def up(migrator, db):
    add_columns(migrator, "published_incident", sort_key=BigIntegerField(default=0))
    for table, names in REPLACED.items():
        drop_indexes(migrator, table, *names)
    with db.bind_ctx([_Published, _PublishedTerm]):
        # The start day's ordinal, shifted, plus the id (what the application calls ``key_of``).
        _Published.update(sort_key=day_number(_Published.date_start) * 2**32 + _Published.incident_id).execute()
        _Published._schema.create_indexes(safe=True)
        _PublishedTerm._schema.create_indexes(safe=True)
    create_tables(db, _PublishedCount)
    db.execute_sql("DROP TABLE IF EXISTS published_search")
    if isinstance(db, SqliteDatabase):  # elsewhere search matches the keys column itself
        db.execute_sql("CREATE VIRTUAL TABLE published_search USING fts5(keys, tokenize='ascii', "
                       "detail='none', columnsize=0)")
        db.execute_sql("INSERT INTO published_search (rowid, keys) SELECT sort_key, search_keys FROM published_incident")
    count_published(db, {"facility": "facility_id", "country": "country", "region": "region", "year": "year"})
