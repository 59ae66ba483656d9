"""Each published incident's open-data cells, rendered once (see publication/open_data_row.py).

The table only: 0034 made it anew with the columns an export reads today and fills it then, so
rows rendered here would be thrown away (a database upgraded across both steps renders them once)."""
from peewee import BigIntegerField, TextField

from incidents.migrations import Frozen, create_tables, foreign_key


class _PublishedRow(Frozen):
    sort_key = BigIntegerField(primary_key=True)
    incident = foreign_key("published_incident", "incident_id", unique=True, on_delete="CASCADE")
    cells = TextField()

    class Meta:
        table_name = "published_row"


def up(migrator, db):
    create_tables(db, _PublishedRow)
