"""Search keys for working copies, so staff find drafts in any script and word form."""
from incidents.db import add_missing_columns
from incidents.models import Incident
from incidents.publication.search_keys import text_keys


def up(migrator, db):
    add_missing_columns(migrator, Incident, "search_keys")
    for incident in Incident.select(Incident.id, Incident.title, Incident.narrative):
        keys = " " + text_keys(*incident.title.values(), *incident.narrative.values()) + " "
        Incident.update(search_keys=keys).where(Incident.id == incident.id).execute()
