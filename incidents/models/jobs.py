"""Background jobs: what the worker is asked to do, and how far it got.

The queue (huey, see ``jobs/queue.py``) carries only a job's id. This row is the truth: a worker
claims it for a while (``lease_until``) before running it and marks it done in the transaction that
commits its effects, so a worker killed half-way leaves a row whose lease runs out, and the next
sweep hands the job to another worker. A page polls the row to say "being prepared".
"""
from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from incidents.db import BaseModel
from incidents.models.accounts import User
from incidents.models.fields import JSONTextField, utcnow

JOB_STATES = ("queued", "running", "done", "failed")


class Job(BaseModel):
    # In the page's address: random, so one person's job cannot be guessed by another; reading it
    # still needs its owner's sign-in.
    token = CharField(max_length=64, unique=True)
    kind = CharField(max_length=40)
    # Ids and choices only, never a name or a narrative: the queue is not encrypted.
    arguments = JSONTextField(default=dict)
    owner = ForeignKeyField(User, null=True, backref="+", on_delete="CASCADE")
    state = CharField(max_length=10, default="queued", index=True)
    attempts = IntegerField(default=0)
    # Who holds the job (a random claim) and until when: past it, the worker is taken for dead.
    claim = CharField(max_length=64, default="")
    lease_until = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    # When the job was last handed to the queue: a queued job not picked up for long is handed again.
    enqueued_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    result = JSONTextField(default=dict)
    # The last failure, for the operator's log and the page: a type and a short message.
    error = TextField(default="")

    class Meta:
        indexes = ((("kind", "state"), False),)
