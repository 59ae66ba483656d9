"""Snapshots of incidents: what every save keeps, and what changed between two of them."""
from __future__ import annotations

from peewee import JOIN

from incidents import audit, shape
from incidents.custody import has_custody, record_custody
from incidents.models import EvidenceItem, Incident, IncidentTerm, Person, Response, Revision, StoredFile, utcnow
from incidents.publication.search_keys import text_keys
from incidents.validation import as_date

DATES = (shape.PARTIAL_DATE, shape.DATE)


def _value(field: shape.Field, row):
    """A field of a model row as a snapshot keeps it: dates as ISO text, texts as a new mapping."""
    value = getattr(row, field.source)
    if field.kind in DATES:
        return value.isoformat() if value else None
    return dict(value) if field.kind == shape.TEXTS else value


def _row(fields, row) -> dict:
    return {field.name: _value(field, row) for field in fields}


def snapshot(incident: Incident) -> dict:
    """The whole incident as plain data, in the shape the JSON API reads and writes (``shape.INCIDENT``)."""
    terms: dict[str, list[str]] = {field.vocabulary: [] for field in shape.TERM_FIELDS}
    for term in incident.terms.order_by(IncidentTerm.id):
        terms.setdefault(term.vocabulary, []).append(term.code)
    rows = {
        "persons": [_row(shape.PERSON, p) for p in incident.persons.order_by(Person.position, Person.id)],
        "responses": [_row(shape.RESPONSE, r) for r in incident.responses.order_by(Response.position, Response.id)],
        "evidence": [_evidence(e) for e in incident.evidence.select(EvidenceItem, StoredFile)
                     .join(StoredFile, JOIN.LEFT_OUTER)
                     .order_by(EvidenceItem.position, EvidenceItem.id)],
    }
    return {field.name: terms[field.vocabulary] if field.kind == shape.CODES else
            rows[field.name] if field.kind == shape.ROWS else _value(field, incident)
            for field in shape.INCIDENT}


def _evidence(item: EvidenceItem) -> dict:
    data = _row(shape.LINK, item)
    if item.stored_file_id:
        data.update(sha256=item.stored_file_id, size=item.stored_file.size,
                    media_type=item.stored_file.media_type, filename=item.original_filename,
                    graphic=item.graphic)
    return data


def latest_number(incident: Incident) -> int:
    """Number of the newest revision; 0 when none was saved yet."""
    return (Revision.select(Revision.number).where(Revision.incident == incident)
            .order_by(Revision.number.desc()).scalar() or 0)


def save_revision(incident: Incident, author) -> Revision:
    """Keep the incident as it is now; call inside the transaction of the save."""
    number = latest_number(incident) + 1
    return Revision.create(incident=incident, number=number, snapshot=snapshot(incident),
                           author=author, created_at=utcnow())


def get_revision(incident: Incident, number: int | None) -> Revision | None:
    if number is None:
        return None
    return Revision.get_or_none((Revision.incident == incident) & (Revision.number == number))


def _without_ids(items: list[dict]) -> list[dict]:
    return [{k: v for k, v in item.items() if k != "id"} for item in items]


def diff(before: dict | None, after: dict) -> list[tuple[str, object, object]]:
    """(field, old, new) for every top-level field that differs; ``before`` None means all new."""
    before = before or {}
    changes = []
    for key, new in after.items():
        old = before.get(key)
        if key in ("persons", "responses", "evidence"):
            old, new = _without_ids(old or []), _without_ids(new)
        if old != new:
            changes.append((key, old, new))
    return changes


def _sync_children(model, incident: Incident, rows: list[dict], defaults: dict, scope=True) -> None:
    """Make ``incident``'s persons, responses or evidence links equal ``rows``: update by id, add, remove.

    ``scope`` limits which existing rows take part (preserved files are never touched here).
    """
    existing = {row.id: row for row in model.select().where((model.incident == incident) & scope)}
    kept = set()
    for position, data in enumerate(rows):
        values = {k: v for k, v in data.items() if k != "id"}
        row = existing.get(data.get("id"))
        if row is None:
            model.create(incident=incident, position=position, **defaults, **values)
            continue
        kept.add(row.id)
        model.update(position=position, **values).where(model.id == row.id).execute()
    removed = [row_id for row_id in existing if row_id not in kept]
    if removed:
        model.delete().where(model.id.in_(removed)).execute()


def _detach_left_out_links(incident: Incident, kept: set, actor) -> None:
    """A link attached as evidence has a chain of custody, which is never deleted: left out of an
    edit, it is detached from the incident instead, and its custody says so."""
    left_out = EvidenceItem.select().where((EvidenceItem.incident == incident) & EvidenceItem.stored_file.is_null()
                                           & has_custody())
    for item in left_out:
        if item.id in kept:
            continue
        item.incident = None
        item.save(only=[EvidenceItem.incident])
        record_custody(item, "left_out", actor, incident=incident.id)
        audit.record(actor, "evidence.detach", item, incident=incident.id)


def _stored(fields, row: dict) -> dict:
    """A snapshot's row as the model takes it: dates back from ISO text."""
    return dict(row, **{field.name: as_date(row[field.name]) for field in fields if field.kind in DATES})


def apply_snapshot(incident: Incident, data: dict, actor) -> None:
    """Write validated incident data (the snapshot shape) into the working copy and save it.

    Run it inside the transaction of the change.
    """
    for field in shape.COLUMNS:
        setattr(incident, field.name, as_date(data[field.name]) if field.kind in DATES else data[field.name])
    incident.search_keys = " " + text_keys(*data["title"].values(), *data["narrative"].values()) + " "
    incident.save()
    IncidentTerm.delete().where(IncidentTerm.incident == incident).execute()
    rows = [{"incident": incident, "vocabulary": field.vocabulary, "code": code}
            for field in shape.TERM_FIELDS for code in dict.fromkeys(data.get(field.name, []))]
    if rows:
        IncidentTerm.insert_many(rows).execute()
    _sync_children(Person, incident, data.get("persons", []), {})
    # Revisions saved before responses existed have none; restoring one removes any added since.
    _sync_children(Response, incident, [_stored(shape.RESPONSE, row) for row in data.get("responses", [])], {})
    # What an incident's edit may change on its evidence links; files are managed on their own.
    links = [{field.name: row[field.name] for field in shape.LINK if field.name in row}
             for row in data.get("evidence", []) if not row.get("sha256")]
    _detach_left_out_links(incident, {row.get("id") for row in links}, actor)
    _sync_children(EvidenceItem, incident, links, {"created_by": actor},
                   scope=EvidenceItem.stored_file.is_null())
