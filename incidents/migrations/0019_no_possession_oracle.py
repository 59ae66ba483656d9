"""Custody logs no longer say whether the store held an upload's bytes already: its uploader
could read it on their own item and learn that someone had handed over the same file."""
from incidents.models import CustodyEvent


def up(migrator, db):
    told = [event for event in CustodyEvent.select().where(CustodyEvent.action == "received").iterator()
            if "already_stored" in event.detail]
    with db.atomic():
        for event in told:
            detail = {key: value for key, value in event.detail.items() if key != "already_stored"}
            CustodyEvent.update(detail=detail).where(CustodyEvent.id == event.id).execute()
