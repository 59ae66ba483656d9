"""The verification status the public sees, kept on the public projection and counted."""
import json

from peewee import BigIntegerField, CharField, DateField, IntegerField, TextField

from incidents.migrations import Frozen, add_columns, count_published
from incidents.verification_status import incident_status, published_item_ids


class _Published(Frozen):
    incident_id = IntegerField(primary_key=True)
    sort_key = BigIntegerField()
    facility_id = IntegerField()
    country = CharField()
    region = CharField()
    year = IntegerField()
    date_end = DateField()
    verification = CharField()
    public_data = TextField()

    class Meta:
        table_name = "published_incident"
        # Each filter with the sort key, and the columns after it that counts under the other
        # filters read instead of the wide rows.
        indexes = (
            (("sort_key", "facility_id", "country", "region", "year", "date_end"), True),
            (("facility_id", "sort_key", "date_end"), False),
            (("region", "sort_key", "date_end", "facility_id"), False),
            (("country", "sort_key", "date_end", "facility_id", "region"), False),
            (("verification", "sort_key"), False),
        )


class _Item(Frozen):
    incident_id = IntegerField()
    verification = CharField()

    class Meta:
        table_name = "evidence_item"


def up(migrator, db):
    add_columns(migrator, "published_incident", verification=CharField(default="unassessed"))
    with db.bind_ctx([_Published, _Item]):
        _Published._schema.create_indexes(safe=True)
        # Only incidents with an assessed item can have another status than the default.
        assessed = _Item.select(_Item.incident_id).where(_Item.verification != "unassessed")
        for incident_id, public in (_Published.select(_Published.incident_id, _Published.public_data)
                                    .where(_Published.incident_id.in_(assessed)).tuples()):
            # The items' working statuses as they stood then (0017 made the public one a confirmed
            # status), combined by today's rule and read out of the public data by today's reader:
            # both pure, and what a republication of the incident would use.
            statuses = [status for (status,) in _Item.select(_Item.verification)
                        .where(_Item.id.in_(published_item_ids(json.loads(public)))).tuples()]
            _Published.update(verification=incident_status(statuses)).where(
                _Published.incident_id == incident_id).execute()
    count_published(db, {"facility": "facility_id", "country": "country", "region": "region", "year": "year",
                         "verification": "verification"})
