"""Issue 17, point 5: a facility's locality and authority, and an evidence item's description, take a
version per language (models/records.py, models/evidence.py).

A facility gets the language of its original texts: English when it has an English name (the name
every page fell back to until now), else the first of its names' languages. Its present locality and
authority become their versions in that language; facilities are read and written in batches, so a
large register is never held in memory. An evidence item's description stays its original (in its
incident's original language); its translations start empty, a NULL column, so no row is rewritten."""
import json

from peewee import CharField, TextField

from incidents.migrations import Frozen, add_columns

BATCH = 500


class _Facility(Frozen):
    names = TextField()
    original_language = CharField()
    locality = CharField()
    localities = TextField()
    authority = CharField()
    authorities = TextField()

    class Meta:
        table_name = "facility"


def _original(names: dict) -> str:
    return "en" if "en" in names or not names else sorted(names)[0]


def _versions(text: str, language: str) -> str:
    return json.dumps({language: text} if text else {}, ensure_ascii=False, sort_keys=True)


def up(migrator, db):
    add_columns(migrator, "facility", original_language=CharField(default="en"),
                localities=TextField(default="{}"), authorities=TextField(default="{}"))
    add_columns(migrator, "evidence_item", description_translations=TextField(null=True))
    last = 0
    with db.bind_ctx([_Facility]):
        while True:
            rows = list(_Facility.select(_Facility.id, _Facility.names, _Facility.locality, _Facility.authority)
                        .where(_Facility.id > last).order_by(_Facility.id).limit(BATCH).tuples())
            for key, names, locality, authority in rows:
                original = _original(json.loads(names or "{}"))
                _Facility.update(original_language=original, localities=_versions(locality, original),
                                 authorities=_versions(authority, original)).where(_Facility.id == key).execute()
            if len(rows) < BATCH:
                break
            last = rows[-1][0]
