"""What the models gained or lost without a step of their own, while 0001 built every table from
the models of the day (so only databases made before each change lack it):

- the audit trail's ``prev_hash`` unique (two entries claiming the same predecessor are a fork);
- ingest entries indexed by (batch, sha256), which a resumed ingest looks files up by;
- the four sort-key indexes of the public projection that 0010's wider ones replaced;
- ``published_incident.csv_cells``, which 0009 added before its cells moved to ``published_row``:
  NOT NULL with no default in the database, it refused every new publication.
"""
from incidents.migrations import add_indexes, drop_indexes

REPLACED = ("published_incident_sort_key_facility_id_country_region_year", "published_incident_facility_id_sort_key",
            "published_incident_region_sort_key", "published_incident_country_sort_key")


def up(migrator, db):
    add_indexes(migrator, "audit_event", (("prev_hash",), True))
    add_indexes(migrator, "ingest_entry", (("batch_id", "sha256"), False))
    drop_indexes(migrator, "published_incident", *REPLACED)
    if "csv_cells" in {column.name for column in db.get_columns("published_incident")}:
        migrator.migrate(migrator.drop_column("published_incident", "csv_cells"))
