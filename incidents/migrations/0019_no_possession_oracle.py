"""Custody logs no longer say whether the store held an upload's bytes already: its uploader
could read it on their own item and learn that someone had handed over the same file."""
import json

from peewee import CharField, TextField

# Live: the details are sealed (0015) under today's data key, in today's format.
from incidents.keys.encryption import keyring
from incidents.migrations import Frozen

CONTEXT = "custody_event.detail"


class _CustodyEvent(Frozen):
    action = CharField()
    detail = TextField()

    class Meta:
        table_name = "custody_event"


def up(migrator, db):
    with db.bind_ctx([_CustodyEvent]):
        received = list(_CustodyEvent.select(_CustodyEvent.id, _CustodyEvent.detail)
                        .where(_CustodyEvent.action == "received").tuples())
        for event_id, sealed in received:
            detail = json.loads(keyring.decrypt(sealed, CONTEXT)) if sealed else {}
            if "already_stored" in detail:
                del detail["already_stored"]
                cleared = json.dumps(detail, ensure_ascii=False, sort_keys=True).encode("utf-8")
                _CustodyEvent.update(detail=keyring.encrypt(cleared, CONTEXT)).where(_CustodyEvent.id == event_id).execute()
