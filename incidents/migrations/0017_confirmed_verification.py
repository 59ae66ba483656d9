"""A second reviewer's confirmation of an item's verification status, which alone the public sees.

Existing items: the status of an item in a published projection was public already under the
old rule, so it is carried over as its confirmed status (with no confirmer on record: staff see
it as carried over and awaiting a confirmation); nothing public changes silently. Every other
item starts unconfirmed ("unassessed"): its status never reached the public, and now waits for
a second reviewer.
"""
import json

from peewee import CharField, DateTimeField, IntegerField, TextField

from incidents.migrations import Frozen, add_columns, foreign_key
from incidents.verification_status import published_item_ids


class _Item(Frozen):
    incident_id = IntegerField(null=True)
    verification = CharField()
    confirmed_verification = CharField()
    confirmed_by_id = IntegerField(null=True)

    class Meta:
        table_name = "evidence_item"


class _Published(Frozen):
    incident_id = IntegerField(primary_key=True)
    public_data = TextField()

    class Meta:
        table_name = "published_incident"


def up(migrator, db):
    add_columns(migrator, "evidence_item", confirmed_verification=CharField(default="unassessed"),
                confirmed_by_id=foreign_key("user", null=True), confirmed_at=DateTimeField(null=True))
    with db.bind_ctx([_Item, _Published]):
        # Only assessed items can have another status than the default.
        assessed: dict[int, set[int]] = {}
        for item_id, incident_id in (_Item.select(_Item.id, _Item.incident_id)
                                     .where((_Item.verification != "unassessed")
                                            & _Item.incident_id.in_(_Published.select(_Published.incident_id)))
                                     .tuples()):
            assessed.setdefault(incident_id, set()).add(item_id)
        for incident_id, item_ids in assessed.items():
            data = _Published.select(_Published.public_data).where(_Published.incident_id == incident_id).scalar()
            # Today's reader of the public data, which reads what every version wrote.
            public = item_ids & set(published_item_ids(json.loads(data)))
            if public:
                (_Item.update(confirmed_verification=_Item.verification)
                 .where(_Item.id.in_(list(public)) & _Item.confirmed_by_id.is_null()).execute())
