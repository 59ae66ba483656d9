"""One sort key per published incident (date, then id), indexes that pair each filter with it,
the full-text index keyed by it, and counts per facet value."""
from incidents.db import add_missing_columns, day_number
from incidents.models import PublishedCount, PublishedIncident, PublishedTerm
from incidents.publication import facet_counts, fulltext

# Single-column indexes the composite ones replace.
REPLACED = {
    "published_incident": ("published_incident_facility_id", "published_incident_country",
                           "published_incident_region", "published_incident_date_start"),
    "published_term": ("published_term_incident_id",),
}


def up(migrator, db):
    add_missing_columns(migrator, PublishedIncident, "sort_key")
    # PublishedIncident.key_of in SQL: the start day's ordinal, shifted, plus the id.
    PublishedIncident.update(sort_key=day_number(PublishedIncident.date_start) * 2**32
                             + PublishedIncident.incident).execute()
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
