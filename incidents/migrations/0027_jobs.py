"""Issue 15, point 3: background jobs run by ``flask --app app worker`` (see models/jobs.py)."""
from peewee import CharField, DateTimeField, IntegerField, TextField

from incidents.migrations import Frozen, create_tables, foreign_key


class _Job(Frozen):
    token = CharField(max_length=64, unique=True)
    kind = CharField(max_length=40)
    arguments = TextField()
    owner = foreign_key("user", null=True, on_delete="CASCADE")
    state = CharField(max_length=10, index=True)
    attempts = IntegerField()
    claim = CharField(max_length=64)
    lease_until = DateTimeField(null=True)
    created_at = DateTimeField()
    enqueued_at = DateTimeField()
    finished_at = DateTimeField(null=True)
    result = TextField()
    error = TextField()

    class Meta:
        table_name = "job"
        indexes = ((("kind", "state"), False),)


def up(migrator, db):
    create_tables(db, _Job)
