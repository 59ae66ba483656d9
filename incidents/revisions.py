"""Snapshots of incidents: what every save keeps, and what changed between two of them."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from peewee import JOIN

from incidents import audit, shape
from incidents.custody import has_custody, record_custody
from incidents.models import EvidenceItem, Incident, IncidentTerm, Person, Response, Revision, StoredFile, utcnow
from incidents.publication.search_keys import text_keys
from incidents.validation import as_date

# Evidence in the order it is numbered on the incident's page and in every dossier: by its claimed
# date of capture (ISO text as precisely as known, so "2020" comes before "2020-03-15"), the undated
# after the dated, then as the contributor listed it. Kept in the snapshot in this order, so that
# the working copy, the published revision and each dossier number the same item the same way.
EVIDENCE_ORDER = (EvidenceItem.captured_on.is_null(), EvidenceItem.captured_on, EvidenceItem.position,
                  EvidenceItem.id)
# Kept in the model as dates; a shape.DATE is ISO text of its own precision in the model too.
DATES = (shape.PARTIAL_DATE,)


def _value(field: shape.Field, row):
    """A field of a model row as a snapshot keeps it: dates as ISO text, texts as a new mapping."""
    value = getattr(row, field.source)
    if field.kind in DATES:
        return value.isoformat() if value else None
    return dict(value or {}) if field.kind == shape.TEXTS else value


def _row(fields, row) -> dict:
    """A person, response or link; its translations only when it has some, so snapshots from before
    there were any differ in nothing (``_stored`` reads a missing one as none)."""
    values = {field.name: _value(field, row) for field in fields}
    return {name: value for name, value in values.items() if value or name not in shape.TRANSLATIONS_OF}


def snapshot(incident: Incident) -> dict:
    """The whole incident as plain data, in the shape the JSON API reads and writes (``shape.INCIDENT``)."""
    terms: dict[str, list[str]] = {field.vocabulary: [] for field in shape.TERM_FIELDS}
    for term in incident.terms.order_by(IncidentTerm.id):
        terms.setdefault(term.vocabulary, []).append(term.code)
    rows = {
        "persons": [_row(shape.PERSON, p) for p in incident.persons.order_by(Person.position, Person.id)],
        "responses": [_row(shape.RESPONSE, r) for r in incident.responses.order_by(Response.position, Response.id)],
        "evidence": [_evidence(e) for e in incident.evidence.select(EvidenceItem, StoredFile)
                     .join(StoredFile, JOIN.LEFT_OUTER).order_by(*EVIDENCE_ORDER)],
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


@dataclass(frozen=True)
class Change:
    """One field that differs between two snapshots, in enough detail to show what changed.

    ``texts``: for a text per language, (language, old, new, words) for each language that changed;
    ``words``: for a long text, its words marked as kept, deleted or inserted (see ``words``);
    ``items``: for a list of codes, each code kept, deleted or inserted;
    ``rows``: for people, responses and evidence, each row added, removed or changed.
    """

    field: shape.Field
    old: object
    new: object
    texts: tuple = ()
    words: tuple = ()
    items: tuple = ()
    rows: tuple = ()

    @property
    def name(self) -> str:
        return self.field.name


@dataclass(frozen=True)
class RowChange:
    """A person, response or evidence entry added, removed or changed, attribute by attribute."""

    action: str  # "added", "removed" or "changed"
    before: dict | None
    after: dict | None
    attributes: tuple[Change, ...]

    @property
    def row(self) -> dict:
        return self.after if self.after is not None else self.before

    @property
    def is_file(self) -> bool:
        return bool(self.row.get("sha256"))


# A word, a run of spaces or one other character: what the highlighting marks as kept or changed.
_TOKENS = re.compile(r"\w+|\s+|[^\w\s]")


def words(old: str | None, new: str | None) -> tuple[tuple[str, str], ...]:
    """``old`` and ``new`` as one run of (mark, text), mark "" for kept words, "del" for words only
    in ``old`` and "ins" for words only in ``new``: a reader sees which words changed, not two paragraphs."""
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    runs: list[list[str]] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def add(mark: str, tokens: list[str]) -> None:
        if not tokens:
            return
        if runs and runs[-1][0] == mark:
            runs[-1][1] += "".join(tokens)
        else:
            runs.append([mark, "".join(tokens)])

    def flush() -> None:
        add("del", deleted)
        add("ins", inserted)
        deleted.clear()
        inserted.clear()

    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for number, (op, i1, i2, j1, j2) in enumerate(opcodes):
        # A space kept between two changed words would cut one change into many: it joins them.
        between = 0 < number < len(opcodes) - 1 and all(token.isspace() for token in a[i1:i2])
        if op == "equal" and not between:
            flush()
            add("", a[i1:i2])
        else:
            deleted.extend(a[i1:i2])
            inserted.extend(b[j1:j2])
    flush()
    return tuple((mark, text) for mark, text in runs)


def _is_long(field: shape.Field) -> bool:
    return field.kind == shape.TEXTS or (field.kind == shape.TEXT and field.multiline)


def _change(field: shape.Field, old, new) -> Change | None:
    if field.kind == shape.ROWS:
        rows = _row_changes(field.name, old or [], new or [])
        return Change(field, old, new, rows=rows) if rows else None
    if old == new or (old in (None, "", [], {}) and new in (None, "", [], {})):
        return None
    if field.kind == shape.TEXTS:
        old, new = old or {}, new or {}
        texts = tuple((language, old.get(language), new.get(language), words(old.get(language), new.get(language)))
                      for language in sorted(set(old) | set(new)) if old.get(language) != new.get(language))
        return Change(field, old, new, texts=texts)
    if _is_long(field):
        return Change(field, old, new, words=words(old, new))
    if field.kind == shape.CODES:
        old, new = old or [], new or []
        items = tuple(("" if code in new else "del", code) for code in old) + \
            tuple(("ins", code) for code in new if code not in old)
        return Change(field, old, new, items=items)
    return Change(field, old, new)


def _fields_of(fields, row: dict) -> tuple[shape.Field, ...]:
    """What a row shows: a preserved file has the fields of a file; ids are never a change."""
    return tuple(field for field in (shape.FILE if row.get("sha256") else fields) if field.kind != shape.ID)


def _compare(fields, before: dict, after: dict) -> tuple[Change, ...]:
    return tuple(change for field in fields
                 if (change := _change(field, before.get(field.name), after.get(field.name))) is not None)


def _without_id(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "id"}


def _row_changes(name: str, old: list[dict], new: list[dict]) -> tuple[RowChange, ...]:
    """Rows are the same row when they keep their id; a row restored under another id (a rejected
    edit rebuilds them) is the same when nothing else differs. The rest were added or removed."""
    fields = shape.ROW_SHAPES[name]
    left = list(old)
    pairs: list[tuple[dict | None, dict]] = []
    for row in new:
        match = next((o for o in left if row.get("id") is not None and o.get("id") == row.get("id")), None) or \
            next((o for o in left if _without_id(o) == _without_id(row)), None)
        if match is not None:
            left.remove(match)
        pairs.append((match, row))
    changes = []
    for before, after in pairs:
        attributes = _compare(_fields_of(fields, before or after), before or {}, after)
        if attributes:
            changes.append(RowChange("changed" if before else "added", before, after, attributes))
    for before in left:
        changes.append(RowChange("removed", before, None, _compare(_fields_of(fields, before), before, {})))
    return tuple(changes)


def diff(before: dict | None, after: dict) -> list[Change]:
    """Every field of the incident (``shape.INCIDENT``) that differs; ``before`` None means all new.

    Changing only the ids of rows is no change."""
    before = before or {}
    return [change for field in shape.INCIDENT
            if field.name in after
            and (change := _change(field, before.get(field.name), after.get(field.name))) is not None]


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
    """A snapshot's row as the model takes it: dates back from ISO text; translations it does not hold
    are none (a revision restored from before them removes those written since)."""
    return dict(row, **{field.name: as_date(row[field.name]) for field in fields if field.kind in DATES},
                **{field.name: row.get(field.name) or None for field in fields if field.name in shape.TRANSLATIONS_OF})


def patched(current: dict, changes: dict, fields) -> dict:
    """``current`` (a snapshot) with ``changes`` to ``fields`` (names): what a partial edit sends.
    People, responses and links sent are the rows the incident keeps, each whole, except their
    translations: a row sent back under its id without naming them keeps its own, so a client written
    before rows had translations cannot remove them by editing something else ({} removes them)."""
    data = {name: changes[name] if name in changes else current[name] for name in fields}
    for name in shape.TRANSLATED_ROWS:
        if name in changes and isinstance(changes[name], list):
            kept = {row.get("id"): row for row in current.get(name, [])}
            data[name] = [_with_kept_translations(row, kept) for row in changes[name]]
    return data


def _with_kept_translations(row, kept: dict):
    """``row`` as sent, with the translations it does not name taken from the row of its id in ``kept``."""
    if not isinstance(row, dict) or row.get("id") not in kept:
        return row  # a new row, or nonsense the cleaning refuses
    before = kept[row["id"]]
    return {**{key: before[key] for key in shape.TRANSLATIONS_OF if key in before}, **row}


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
             for row in (_stored(shape.LINK, row) for row in data.get("evidence", []) if not row.get("sha256"))]
    _detach_left_out_links(incident, {row.get("id") for row in links}, actor)
    _sync_children(EvidenceItem, incident, links, {"created_by": actor},
                   scope=EvidenceItem.stored_file.is_null())
