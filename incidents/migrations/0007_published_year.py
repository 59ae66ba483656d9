"""A year column on the public projection, so counts per year read an index."""
from peewee import DateField, IntegerField

from incidents.migrations import Frozen, add_columns, indexes_of


class _Published(Frozen):
    incident_id = IntegerField(primary_key=True)
    date_start = DateField()
    year = IntegerField()

    class Meta:
        table_name = "published_incident"


def up(migrator, db):
    add_columns(migrator, "published_incident", year=IntegerField(default=0, index=True))
    with db.bind_ctx([_Published]):
        for row in _Published.select(_Published.incident_id, _Published.date_start):
            _Published.update(year=row.date_start.year).where(_Published.incident_id == row.incident_id).execute()
    if "published_incident_year" not in indexes_of(db, "published_incident"):
        migrator.migrate(migrator.add_index("published_incident", ("year",), False))
