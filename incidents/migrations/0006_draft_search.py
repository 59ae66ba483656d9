"""Search keys for working copies, so staff find drafts in any script and word form."""
import json

from peewee import TextField

from incidents.migrations import Frozen, add_columns
from incidents.publication.search_keys import text_keys


class _Incident(Frozen):
    title = TextField()
    narrative = TextField()
    search_keys = TextField()

    class Meta:
        table_name = "incident"


def up(migrator, db):
    add_columns(migrator, "incident", search_keys=TextField(default=""))
    with db.bind_ctx([_Incident]):
        for incident in _Incident.select(_Incident.id, _Incident.title, _Incident.narrative):
            # Today's keys (a pure function): a query finds only what was indexed with the keys
            # today's search makes of its words.
            keys = " " + text_keys(*json.loads(incident.title).values(), *json.loads(incident.narrative).values()) + " "
            _Incident.update(search_keys=keys).where(_Incident.id == incident.id).execute()
