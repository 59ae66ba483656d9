"""The first schema: every table of the registry.

It builds tables from the current models, so later migrations add their columns with
``incidents.db.add_missing_columns`` (a no-op on a fresh database, where they exist already).
"""
from incidents.models import ALL_MODELS


def up(migrator, db):
    db.create_tables(ALL_MODELS, safe=True)
