"""Failed sign-ins, counted to slow down password guessing."""
from peewee import CharField, DateTimeField

from incidents.migrations import Frozen, create_tables


class _LoginFailure(Frozen):
    key = CharField(index=True)
    at = DateTimeField(index=True)

    class Meta:
        table_name = "login_failure"


def up(migrator, db):
    create_tables(db, _LoginFailure)
