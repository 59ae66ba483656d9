"""Sessions that can be ended everywhere: a counter per user that every session must match."""
from peewee import IntegerField

from incidents.migrations import add_columns


def up(migrator, db):
    add_columns(migrator, "user", session_epoch=IntegerField(default=0))
