"""Likely duplicates of an incident among those a reader may read, and the marks people leave on
a pair: "same event" (a link both records show) and "not a duplicate" (never offered again).

Scale: candidates come from indexed queries, incidents at the same or a like-named facility
(``incident.facility_id``) and incidents whose start falls in a window around the dates
(``incident(date_start, date_end)``), each capped at ``CANDIDATES``; only those are scored in
Python. See bench/README.md for the figures.
"""
from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import fn

from incidents import audit, policy
from incidents.db import database
from incidents.duplicates.likeness import CIRCA, NEAR, REASONS, THRESHOLD, Entry, Rarity, score
from incidents.errors import Forbidden, NotFound, ValidationFailed
from incidents.models import DUPLICATE_VERDICTS, DuplicateMark, Facility, Incident, Person, PublishedIncident, User
from incidents.notifications import service as notifications
from incidents.search.facilities import possible_duplicates
from incidents.validation import read_partial_date

# How many incidents of each candidate query are scored at most: enough for a busy facility's
# years, few enough that a keystroke's question is answered at once.
CANDIDATES = 500
YEAR = datetime.timedelta(days=366)
# What a candidate is read for (its narrative is in its search keys already).
READ = (Incident.id, Incident.reference, Incident.status, Incident.facility, Incident.date_start, Incident.date_end,
        Incident.date_precision, Incident.original_language, Incident.title, Incident.search_keys,
        Incident.created_by, Incident.published_revision)


@dataclass
class Match:
    """One likely duplicate as the reader may see it."""

    incident: Incident
    reference: str
    title: dict
    original_language: str
    score: float
    reasons: list[str]

    def reason_labels(self) -> list[str]:
        return [str(REASONS[code]) for code in self.reasons]

    def as_json(self) -> dict:
        return {"id": self.incident.id, "reference": self.reference, "score": self.score,
                "reasons": [{"code": code, "label": str(REASONS[code])} for code in self.reasons]}


def _facility_names(facility_id: int | None) -> list[str]:
    facility = Facility.get_or_none(Facility.id == facility_id) if facility_id else None
    return [*facility.names.values(), *facility.aliases] if facility else []


def _alike_facilities(user, facility_id: int | None, names: list[str], among: set[int]) -> set[int]:
    """Those of the facilities ``among`` that are likely the same place as this one (or as a new
    one called ``names``): a facility entered twice holds the same events under two ids. Only the
    candidates' facilities are asked, not every facility kept."""
    names = names or _facility_names(facility_id)
    among = among - {facility_id}
    if not names or not among:
        return set()
    return {f.id for f in possible_duplicates(user, names, among=among)}


def _window(entry: Entry):
    """Incidents whose dates may overlap ``entry``'s or come near them: a range of ``date_start``
    (the index), as each precision allows. A year starts at most a year before any of its days;
    "circa" reaches a year further either way; a range longer than a year that starts earlier is
    found through its facility only."""
    period = entry.period()
    if period is None:
        return None
    first, last = period[0] - NEAR, period[1] + NEAR
    plain = (Incident.date_start.between(first - YEAR, last)
             & (fn.COALESCE(Incident.date_end, Incident.date_start) >= first))
    circa = (Incident.date_precision == "circa") & Incident.date_start.between(first - YEAR - CIRCA, last + CIRCA)
    return plain | circa


def _candidates(entry: Entry, facility_ids: set[int]) -> list[Incident]:
    """Incidents at those facilities (those whose dates come near first, then the newest), and
    incidents anywhere whose dates come near, each query by an index and capped."""
    alive, window = Incident.status != "rejected", _window(entry)
    queries = []
    if facility_ids:
        there = alive & Incident.facility.in_(sorted(facility_ids))
        if window is not None:
            queries.append(Incident.select(*READ).where(there & window))
        queries.append(Incident.select(*READ).where(there).order_by(Incident.id.desc()))
    if window is not None:
        queries.append(Incident.select(*READ).where(alive & window).order_by(Incident.date_start.desc()))
    found: dict[int, Incident] = {}
    for query in queries:
        found.update((i.id, i) for i in query.limit(CANDIDATES) if i.id not in found)
    found.pop(entry.id, None)
    return list(found.values())


def _pseudonyms(incident_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for incident_id, pseudonym in (Person.select(Person.incident, Person.pseudonym)
                                   .where(Person.incident.in_(incident_ids)).tuples()):
        names.setdefault(incident_id, []).append(pseudonym)
    return names


def _entry(incident: Incident, pseudonyms: list[str]) -> Entry:
    """A working copy as likeness reads it: its texts' keys as the staff search keeps them."""
    return Entry.of(facility=incident.facility_id, start=incident.date_start, end=incident.date_end,
                    precision=incident.date_precision, title=incident.title, keys=incident.search_keys,
                    pseudonyms=pseudonyms, id=incident.id)


def _own_entry(incident: Incident, names: dict[int, list[str]] | None = None) -> Entry:
    """``incident``'s working copy as likeness reads it; ``names``: its pseudonyms, when a caller has
    read those of many incidents at once."""
    names = _pseudonyms([incident.id]) if names is None else names
    return _entry(incident, names.get(incident.id, []))


def _published_entry(row: PublishedIncident) -> Entry:
    """What the public reads of an incident: for a reader who may read no more of it. (Its stored
    keys hold its facility's names too, so its texts are read instead.)"""
    pseudonyms = [p.get("pseudonym", "") for p in row.public_data.get("persons", [])]
    return Entry.of(facility=row.facility_id, start=row.date_start, end=row.date_end, precision=row.date_precision,
                    title=row.title, narrative=row.narrative, pseudonyms=pseudonyms, id=row.incident_id)


def _readable(user, incidents: list[Incident]) -> list[tuple[Incident, Entry, dict, str]]:
    """Each incident as ``user`` may read it: (incident, entry, title, language); the working copy
    for those who may read it, the published revision otherwise, and nothing else. ``user`` None
    is the application itself (``found_for``)."""
    working = [i for i in incidents if user is None or policy.can_read_working_copy(user, i)]
    names = _pseudonyms([i.id for i in working])
    readable = [(i, _entry(i, names.get(i.id, [])), i.title, i.original_language) for i in working]
    read = {i.id for i in working}
    others = [i.id for i in incidents if i.id not in read and i.published_revision is not None]
    if others:
        rows = PublishedIncident.select().where(PublishedIncident.incident.in_(others))
        by_id = {i.id: i for i in incidents}
        readable += [(by_id[row.incident_id], _published_entry(row), row.title, row.original_language)
                     for row in rows]
    return readable


def _marked(incident_id: int | None) -> set[int]:
    """Incidents a person already said something about with this one: no longer offered."""
    if incident_id is None:
        return set()
    rows = DuplicateMark.select(DuplicateMark.first, DuplicateMark.second).where(
        (DuplicateMark.first == incident_id) | (DuplicateMark.second == incident_id)).tuples()
    return {other for pair in rows for other in pair if other != incident_id}


def likely(user, entry: Entry, *, facility_names: list[str] = (), limit: int = 10) -> list[Match]:
    """Likely duplicates of ``entry`` among the incidents ``user`` may read, best first."""
    facility_ids = {entry.facility} if entry.facility else set()
    skip = _marked(entry.id)
    readable = [found for found in _readable(user, _candidates(entry, facility_ids)) if found[0].id not in skip]
    rarity = Rarity([entry] + [other for _i, other, _t, _l in readable])
    # Whether two facilities are one place is the slow question: asked only of those candidates
    # that a yes would bring up to the threshold.
    hopeful = [found for found in readable
               if score(entry, found[1], facility_alike=True, rarity=rarity)[0] >= THRESHOLD]
    alike = _alike_facilities(user, entry.facility, list(facility_names), {other.facility for _i, other, _t, _l in hopeful})
    matches = []
    for incident, other, title, language in hopeful:
        value, reasons = score(entry, other, facility_alike=other.facility in alike, rarity=rarity)
        if value >= THRESHOLD:
            matches.append(Match(incident, incident.reference or "", title, language, value, reasons))
    matches.sort(key=lambda m: (-m.score, -m.incident.id))
    return matches[:limit]


def _day(text, *, last: bool = False) -> datetime.date | None:
    """A date as a form holds it while typed ('2020', '03.2020', '15.03.2020' or ISO): its first
    day, or its ``last``; None while it is not one yet."""
    parsed = read_partial_date(str(text or ""))
    return parsed[1 if last else 0] if parsed else None


def _id(value) -> int | None:
    """A record's id as a form sends it; None for anything no record can have."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdecimal() and 0 < int(text) < 2**31 else None


def likely_for_fields(user, fields: dict) -> list[Match]:
    """Likely duplicates of an incident being entered and not yet saved (or being edited), from its
    fields as typed: ``facility`` (an id) or ``facility_name`` (a new one), ``date_start``,
    ``date_end`` and ``date_precision`` as typed, ``title`` and ``narrative`` ({language: text}),
    ``pseudonyms`` and, once saved, ``incident`` (its id, left out of the answer)."""
    facility, own = _id(fields.get("facility")), _id(fields.get("incident"))
    start, end = _day(fields.get("date_start")), _day(fields.get("date_end"), last=True)
    entry = Entry.of(facility=facility, start=start, end=end, precision=fields.get("date_precision") or "day",
                     title=fields.get("title") or {}, narrative=fields.get("narrative") or {},
                     pseudonyms=fields.get("pseudonyms") or (), id=own)
    saved = Incident.get_or_none(Incident.id == own) if own is not None else None
    if saved is None or not policy.can_see_duplicates(user, saved):
        entry = dataclasses.replace(entry, id=None)  # not theirs: their marks are not read either
    name = (fields.get("facility_name") or "").strip()
    return likely(user, entry, facility_names=[name] if facility is None and name else [], limit=5)


def _readable_incident(user, incident_id: int) -> Incident:
    incident = Incident.get_or_none(Incident.id == incident_id)
    if incident is None or not policy.can_see_duplicates(user, incident):
        raise NotFound(_l("No such incident."))
    return incident


def similar_to(user, incident_id: int) -> list[Match]:
    """An incident's likely duplicates, for staff who may read it.

    :raise NotFound: no such incident, or the reader may not read its working copy.
    """
    return likely(user, _own_entry(_readable_incident(user, incident_id)))


def found_for(incident: Incident) -> list[Match]:
    """The hook for "a possible duplicate of yours": every likely duplicate of ``incident``, whoever
    wrote it. The caller tells each match's author only what that author may read."""
    return likely(None, _own_entry(incident))


def tell_authors(incident: Incident) -> None:
    """After ``incident`` was saved or published: the author of each of its likely duplicates is
    told, in the app and by e-mail, if they may read both (notifications.possible_duplicate checks,
    so that the notice never reveals an incident). Call it outside any transaction."""
    for match in found_for(incident):
        notifications.possible_duplicate(incident, match.incident)


def after_transition(incident: Incident) -> None:
    """A publication makes an incident readable to everyone: now the authors of its likely
    duplicates who could not read it before may be told. Other transitions tell nobody."""
    if incident.status == "published":
        tell_authors(incident)


def flagged(user, incidents: list[Incident]) -> set[int]:
    """Those of ``incidents`` (a review queue's) that have a likely duplicate ``user`` may read."""
    names = _pseudonyms([i.id for i in incidents])
    return {i.id for i in incidents if likely(user, _own_entry(i, names), limit=1)}


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _other_readable(user, other_id) -> Incident:
    """The other incident of a pair, by id or reference, if ``user`` may read it (working copy or
    published)."""
    typed = str(other_id or "").strip().upper()
    if _id(typed) is not None:
        other = Incident.get_or_none(Incident.id == _id(typed))
    else:  # a reference as people write it: INC-000001
        other = Incident.get_or_none(Incident.reference == typed) if typed.startswith("INC-") else None
    if other is None or not _readable(user, [other]):
        raise ValidationFailed(_l("No such incident."), {"other": [_l("No such incident.")]})
    return other


def mark(user, incident_id: int, other_id, verdict: str) -> DuplicateMark:
    """Record that two incidents are one event ("same") or not duplicates ("different").

    :raise NotFound: the incident is not ``user``'s to read. :raise Forbidden: nor to mark.
    :raise ValidationFailed: an unknown verdict, or another incident they may not read, or itself.
    """
    incident = _readable_incident(user, incident_id)
    if not policy.can_mark_duplicates(user, incident):
        raise Forbidden(_l("You may not mark this incident."))
    if verdict not in DUPLICATE_VERDICTS:
        raise ValidationFailed(_l("Unknown verdict."), {"verdict": [_l("Unknown verdict.")]})
    other = _other_readable(user, other_id)
    if other.id == incident.id:
        raise ValidationFailed(_l("An incident is not a duplicate of itself."),
                               {"other": [_l("An incident is not a duplicate of itself.")]})
    first, second = _pair(incident.id, other.id)
    with database.atomic():
        DuplicateMark.delete().where((DuplicateMark.first == first) & (DuplicateMark.second == second)).execute()
        row = DuplicateMark.create(first=first, second=second, verdict=verdict, marked_by=user)
        audit.record(user, "duplicate.mark", incident, other=other.id, verdict=verdict)
    return row


def unmark(user, incident_id: int, other_id) -> None:
    """Undo a mark on the pair; audited.

    :raise NotFound: the incident is not ``user``'s to read. :raise Forbidden: not theirs to mark.
    :raise ValidationFailed: no such mark, or another incident they may not read.
    """
    incident = _readable_incident(user, incident_id)
    if not policy.can_mark_duplicates(user, incident):
        raise Forbidden(_l("You may not mark this incident."))
    other = _other_readable(user, other_id)
    first, second = _pair(incident.id, other.id)
    with database.atomic():
        row = DuplicateMark.get_or_none((DuplicateMark.first == first) & (DuplicateMark.second == second))
        if row is None:
            raise ValidationFailed(_l("No such mark."), {"other": [_l("No such mark.")]})
        row.delete_instance()
        audit.record(user, "duplicate.unmark", incident, other=other.id, verdict=row.verdict)


@dataclass
class Marked:
    """A mark on one of an incident's pairs, as its page shows it."""

    other: Incident
    reference: str
    title: dict
    original_language: str
    verdict: str
    marked_by: str
    marked_at: datetime.datetime


def marks_of(user, incident: Incident) -> list[Marked]:
    """The marks on ``incident``'s pairs whose other incident ``user`` may read, newest first."""
    rows = list(DuplicateMark.select(DuplicateMark, User).join(User)  # who marked: read with the marks
                .where((DuplicateMark.first == incident.id) | (DuplicateMark.second == incident.id))
                .order_by(DuplicateMark.marked_at.desc()))
    others = {row.first_id if row.second_id == incident.id else row.second_id for row in rows}
    readable = {i.id: (i, title, language) for i, _e, title, language in
                _readable(user, list(Incident.select().where(Incident.id.in_(others))))} if others else {}
    marked = []
    for row in rows:
        other_id = row.first_id if row.second_id == incident.id else row.second_id
        if other_id in readable:
            other, title, language = readable[other_id]
            marked.append(Marked(other, other.reference or "", title, language, row.verdict,
                                 row.marked_by.name or row.marked_by.email, row.marked_at))
    return marked
