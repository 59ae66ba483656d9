"""Issue 17, point 5: who acted in a response and what came of it take a version per language beside
the original (models/records.py), as an evidence item's description does since 0033. New columns,
NULL until a translation is written: no row is rewritten, so this takes no time on a large register."""
from peewee import TextField

from incidents.migrations import add_columns


def up(migrator, db):
    add_columns(migrator, "response", body_translations=TextField(null=True),
                description_translations=TextField(null=True))
