"""Search keys for what is published already (0008 builds the full-text index from them)."""
import json

from peewee import CharField, IntegerField, TextField

from incidents.migrations import Frozen, add_columns
from incidents.publication.search_keys import text_keys


class _Published(Frozen):
    incident_id = IntegerField(primary_key=True)
    facility_id = IntegerField()
    title = TextField()
    narrative = TextField()
    search_keys = TextField()

    class Meta:
        table_name = "published_incident"


class _Facility(Frozen):
    names = TextField()
    aliases = TextField()
    locality = CharField()

    class Meta:
        table_name = "facility"


def up(migrator, db):
    add_columns(migrator, "published_incident", search_keys=TextField(default=""))
    with db.bind_ctx([_Published, _Facility]):
        for row in _Published.select(_Published.incident_id, _Published.facility_id, _Published.title,
                                     _Published.narrative):
            facility = _Facility.get_by_id(row.facility_id)
            # Today's keys (a pure function): a query finds only what was indexed with the keys
            # today's search makes of its words.
            keys = " " + text_keys(*json.loads(row.title).values(), *json.loads(row.narrative).values(),
                                   *json.loads(facility.names).values(), *json.loads(facility.aliases),
                                   facility.locality) + " "
            _Published.update(search_keys=keys).where(_Published.incident_id == row.incident_id).execute()
