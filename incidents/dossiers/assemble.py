"""What goes into a dossier: the chosen incidents, redacted as asked, as plain data.

Everything a dossier shows, in any format, comes from ``gather``; the PDF, the DOCX and the
bundle's JSON only lay it out. So the redaction is decided here, once:

- ``public``: the published revision only, as the public sees it (pseudonyms, no sources, no
  confidential evidence, no names of staff); evidence carries its hash, kind and verification
  status, as on the site.
- ``confidential``: the working copy, with sources, provenance, assessors and full custody. A
  legal name and contact appear only where the person consented to be named.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import JOIN

from incidents import policy, shape, vocab
from incidents.admin import organisation
from incidents.config import LANGUAGES
from incidents.errors import Forbidden, ValidationFailed
from incidents.models import (
    Assessment,
    CustodyEvent,
    EvidenceItem,
    Facility,
    Incident,
    PublishedIncident,
    Revision,
    StoredFile,
    User,
    name_in,
    utcnow,
)
from incidents.revisions import snapshot
from incidents.validation import MAX_ID, Errors, clean_bool, clean_choice
from incidents.verification_status import published_item_ids, status_of_items

REDACTIONS = ("public", "confidential")
LAYOUTS = ("dossier", "un_srt", "echr", "cpt")
FORMATS = ("pdf", "docx", "zip")
# A dossier is read by people; a bigger selection is an open-data export, not a filing.
MAX_INCIDENTS = 200
# Person fields a confidential dossier shows only for someone who agreed to be named.
NAMED_ONLY = tuple(field.name for field in shape.PERSON if field.named_only)


@dataclass(frozen=True)
class DossierRequest:
    incident_ids: tuple[int, ...]
    redaction: str
    language: str
    layout: str = "dossier"
    format: str = "pdf"
    include_files: bool = False


def parse_request(data, default_language: str, default_format: str = "pdf") -> DossierRequest:
    """Check what was asked for; ``incident_ids`` a list of ids (or one id per form value).

    :raise ValidationFailed: with every field's messages.
    """
    errors = Errors()
    raw_ids = data.get("incident_ids")
    ids: list[int] = []
    if not isinstance(raw_ids, list) or not raw_ids:
        errors.add("incident_ids", _l("Choose at least one incident."))
    elif len(raw_ids) > MAX_INCIDENTS:
        errors.add("incident_ids", _l("Too many incidents: at most %(n)s in one dossier.", n=MAX_INCIDENTS))
    else:
        for value in raw_ids:
            number = int(value) if isinstance(value, str) and value.isdecimal() and len(value) < 11 else value
            if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < MAX_ID:
                errors.add("incident_ids", _l("Not an incident id: %(value)s.", value=str(value)[:20]))
                break
            ids.append(number)
    format_ = clean_choice(data.get("format"), FORMATS, "format", errors, default=default_format)
    request = DossierRequest(
        incident_ids=tuple(dict.fromkeys(ids)),
        redaction=clean_choice(data.get("redaction"), REDACTIONS, "redaction", errors, default="public"),
        language=clean_choice(data.get("lang") or data.get("language"), LANGUAGES, "lang", errors,
                              default=default_language),
        layout=clean_choice(data.get("layout"), LAYOUTS, "layout", errors, default="dossier"),
        format=format_,
        # Originals travel only in a bundle; a PDF or DOCX never holds them.
        include_files=clean_bool(data.get("include_files"), "include_files", errors) and format_ == "zip",
    )
    errors.raise_if_any()
    return request


def _choose(user, request: DossierRequest) -> list[tuple[int, Incident | None, PublishedIncident | None]]:
    """The incidents in the order asked, each as the redaction allows.

    :raise ValidationFailed: naming the ids that cannot go in (missing, not published for a public
        dossier, or not readable by this user: the message does not say which).
    """
    incidents = {i.id: i for i in Incident.select().where(Incident.id.in_(request.incident_ids))}
    published = {p.incident_id: p for p in PublishedIncident.select()
                 .where(PublishedIncident.incident.in_(request.incident_ids))}
    chosen, refused = [], []
    for incident_id in request.incident_ids:
        if request.redaction == "public" and incident_id in published:
            chosen.append((incident_id, None, published[incident_id]))
        elif request.redaction == "confidential" and incident_id in incidents \
                and policy.can_read_confidential(user, incidents[incident_id]):
            chosen.append((incident_id, incidents[incident_id], published.get(incident_id)))
        else:
            refused.append(str(incident_id))
    if refused:
        message = (_l("Not published, so not in a public dossier, or not found: %(ids)s.", ids=", ".join(refused))
                   if request.redaction == "public" else _l("Not found: %(ids)s.", ids=", ".join(refused)))
        raise ValidationFailed(message, {"incident_ids": [message]})
    return chosen


def selection_rows(user, ids: list[int]) -> list[dict]:
    """What the dossier page lists for each chosen incident, as far as ``user`` may see it: the
    working copy for its readers, else the published revision; others are left out."""
    incidents = {i.id: i for i in Incident.select().where(Incident.id.in_(ids))}
    published = {p.incident_id: p for p in PublishedIncident.select().where(PublishedIncident.incident.in_(ids))}
    rows = []
    for incident_id in ids:
        incident, row = incidents.get(incident_id), published.get(incident_id)
        if incident is not None and policy.can_read_working_copy(user, incident):
            rows.append({"id": incident_id, "reference": incident.reference, "title": incident.title,
                         "original_language": incident.original_language, "status": incident.status,
                         "date": (incident.date_start, incident.date_end, incident.date_precision),
                         "published": row is not None})
        elif row is not None:
            rows.append({"id": incident_id, "reference": row.reference, "title": row.title,
                         "original_language": row.original_language, "status": "published",
                         "date": (row.date_start, row.date_end, row.date_precision), "published": True})
    return rows


def _terms(name: str, codes: list[str], language: str) -> list[dict]:
    terms = []
    for code in codes:
        term = vocab.get(name, code)
        terms.append({"code": code, "label": vocab.label(name, code, language),
                      "huridocs": term.huridocs if term else None})
    return terms


def _field(field: shape.Field, value, facilities: dict[int, Facility], language: str):
    """A declared field (``shape.py``) of an incident as a dossier holds it: a facility with its
    place and names, terms with their labels and HURIDOCS codes, the rest as the snapshot has it."""
    if field.kind == shape.FACILITY:
        return _facility(facilities[value])
    if field.kind == shape.CODES:
        return _terms(field.vocabulary, value, language)
    return value


def _facility(facility: Facility) -> dict:
    return {"id": facility.id, "names": dict(facility.names), "aliases": list(facility.aliases),
            "type": facility.type, "country": facility.country, "region": facility.region,
            "locality": facility.locality, "authority": facility.authority,
            "original_language": facility.original_language, "localities": dict(facility.localities),
            "authorities": dict(facility.authorities)}


def _persons(persons: list[dict], confidential: bool) -> list[dict]:
    if not confidential:
        return [dict(p) for p in persons]
    shown = []
    for person in persons:
        entry = {k: v for k, v in person.items() if k != "id"}
        if person.get("consent") != "named":
            entry.update({field: "" for field in NAMED_ONLY})
            entry["identity_withheld"] = bool(person.get("legal_name") or person.get("contact"))
        shown.append(entry)
    return shown


def _custody(events: list[CustodyEvent], users: dict[int, str]) -> list[dict]:
    return [{"action": e.action, "at": e.created_at.isoformat(timespec="seconds"),
             "actor": users.get(e.actor_id, ""), "sha256": e.sha256, "detail": e.detail} for e in events]


def _evidence(entries: list[dict], records, confidential: bool, users: dict[int, str]) -> list[dict]:
    """Evidence as the redaction shows it. The public sees on the site an item's hash and its
    verification status, never who handled it, when, or how it was assessed: so does a public
    dossier. Confidential dossiers add provenance, assessments and the full chain of custody."""
    items, custody, assessments = records
    out = []
    for number, entry in enumerate(entries, 1):  # numbered as the incident's page numbers them
        item = items.get(entry.get("id"))
        row = {"id": entry.get("id"), "number": number, "kind": entry["kind"], "description": entry.get("description", ""),
               "description_translations": entry.get("description_translations", {}),
               "url": entry.get("url", ""), "sha256": entry.get("sha256"), "size": entry.get("size"),
               "media_type": entry.get("media_type"), "graphic": entry.get("graphic", False)}
        if item is not None:  # a dossier leaves the house: only a status a second reviewer confirmed
            row["verification"] = item.confirmed_verification
        if item is not None and confidential:
            row.update(
                assessments=[{"part": a.part, "outcome": a.outcome, "at": a.created_at.date().isoformat(),
                              "method": a.method, "note": a.note, "assessor": users.get(a.assessor_id, "")}
                             for a in assessments.get(item.id, [])],
                custody=_custody(custody.get(item.id, []), users),
                confidential=item.confidential, filename=item.original_filename,
                source=item.source, acquisition=item.acquisition,
                received_on=item.received_on,
                original_location=item.original_location,
                captured_on=item.captured_on,
                captured_place=item.captured_place, originality=item.originality)
        out.append(row)
    return out


def _item_records(ids: list[int], confidential: bool):
    items = {i.id: i for i in EvidenceItem.select(EvidenceItem, StoredFile).join(StoredFile, JOIN.LEFT_OUTER)
             .where(EvidenceItem.id.in_(ids))}
    custody: dict[int, list] = {}
    assessments: dict[int, list] = {}
    if confidential:
        for event in CustodyEvent.select().where(CustodyEvent.item.in_(ids)).order_by(CustodyEvent.id):
            custody.setdefault(event.item_id, []).append(event)
        for assessment in Assessment.select().where(Assessment.item.in_(ids)).order_by(Assessment.id):
            assessments.setdefault(assessment.item_id, []).append(assessment)
    return items, custody, assessments


def _published_link_ids(incident_ids: list[int]) -> list[int]:
    """Ids of the links a public dossier shows: the public data drops link ids (they count
    confidential rows), but each link still gets its ``exported`` custody event."""
    published = (Revision.select(Revision.snapshot)
                 .join(Incident, on=((Revision.incident == Incident.id)
                                     & (Revision.number == Incident.published_revision)))
                 .where(Incident.id.in_(incident_ids)))
    return [e["id"] for revision in published for e in revision.snapshot.get("evidence", [])
            if not e.get("sha256") and not e.get("confidential")]


@dataclass
class Gathered:
    data: dict  # what every format shows and the bundle's JSON holds
    item_ids: list[int]  # every evidence item the dossier includes, for the custody log
    logo: bytes | None = None  # the organisation's logo (PNG) for the PDF and the DOCX


def check(user, request: DossierRequest) -> list:
    """What ``gather`` refuses, refused before any work: the incidents as ``_choose`` gives them.

    :raise Forbidden: the user may not build a dossier of this redaction.
    :raise ValidationFailed: an incident cannot go in (see ``_choose``).
    """
    if not policy.can_build_dossier(user, request.redaction):
        raise Forbidden(_l("You may not build a dossier of this kind."))
    return _choose(user, request)


def gather(user, request: DossierRequest, installation: str) -> Gathered:
    """The dossier's data. Every dossier, public or confidential, names the organisation of the
    profile as its author (``submitter``), never the member of staff who built it (whose name is
    itself worth protecting; the audit trail keeps it). Until an administrator sets the profile,
    ``submitter`` is None, the layouts say so, and the bundle's README names the installation.

    :raise Forbidden, ValidationFailed: see ``check``.
    """
    chosen = check(user, request)
    confidential = request.redaction == "confidential"
    datas = {incident_id: (snapshot(incident) if confidential else dict(row.public_data))
             for incident_id, incident, row in chosen}
    file_ids = [e["id"] for data in datas.values() for e in data.get("evidence", []) if e.get("id")]
    records = _item_records(file_ids, confidential)
    user_ids = {e.actor_id for events in records[1].values() for e in events} | \
               {a.assessor_id for rows in records[2].values() for a in rows}
    users = {u.id: u.name or u.email for u in User.select().where(User.id.in_([i for i in user_ids if i]))}
    facilities = {f.id: f for f in Facility.select().where(Facility.id.in_([d["facility"] for d in datas.values()]))}
    incidents = []
    for incident_id, incident, row in chosen:
        data = datas[incident_id]
        entry = {"id": incident_id, "reference": incident.reference if incident else row.reference,
                 "status": incident.status if incident else "published"}
        for field in shape.INCIDENT:  # its own fields, as declared; its rows follow
            if field.writable and field.kind != shape.ROWS:
                entry[field.name] = _field(field, data[field.name], facilities, request.language)
        incidents.append({
            **entry,
            "verification": status_of_items(published_item_ids(data)) if incident else row.verification,
            "persons": _persons(data.get("persons", []), confidential),
            "evidence": _evidence(data.get("evidence", []), records, confidential, users),
            "responses": [{k: v for k, v in r.items() if k != "id" and (confidential or k != "confidential")}
                          for r in data.get("responses", [])],
        })
    link_ids = [] if confidential else _published_link_ids([i for i, _incident, _row in chosen])
    submitter, logo = organisation.submitter()
    return Gathered({
        "layout": request.layout,
        "redaction": request.redaction,
        "language": request.language,
        "compiled_by": name_in(submitter.names, request.language) if submitter else installation,
        "submitter": submitter.as_data() if submitter else None,
        "compiled_at": utcnow().isoformat(timespec="seconds") + "Z",
        "incidents": incidents,
    }, file_ids + link_ids, logo)
