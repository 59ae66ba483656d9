"""One sort key per published incident (date, then id), indexes that pair each filter with it,
the full-text index keyed by it, and counts per facet value."""
from peewee import SqliteDatabase

from incidents import facet_counts, fulltext
from incidents.db import add_missing_columns
from incidents.models import PublishedCount, PublishedIncident, PublishedTerm

# Single-column indexes the composite ones replace.
REPLACED = {
    "published_incident": ("published_incident_facility_id", "published_incident_country",
                           "published_incident_region", "published_incident_date_start"),
    "published_term": ("published_term_incident_id",),
}


def up(migrator, db):
    add_missing_columns(migrator, PublishedIncident, "sort_key")
    # PublishedIncident.key_of in SQL: the day's proleptic Gregorian ordinal, shifted, plus the id.
    ordinal = ("CAST(julianday(date_start) - 1721424.5 AS INTEGER)" if isinstance(db, SqliteDatabase)
               else "(date_start - DATE '0001-01-01' + 1)::bigint")
    db.execute_sql(f"UPDATE published_incident SET sort_key = {ordinal} * 4294967296 + incident_id")
    for table, names in REPLACED.items():
        present = {index.name for index in db.get_indexes(table)}
        for name in names:
            if name in present:
                migrator.migrate(migrator.drop_index(table, name))
    PublishedIncident._schema.create_indexes(safe=True)
    PublishedTerm._schema.create_indexes(safe=True)
    db.create_tables([PublishedCount], safe=True)
    db.execute_sql("DROP TABLE IF EXISTS published_search")
    fulltext.create()
    fulltext.rebuild()
    facet_counts.rebuild()
