"""Queries over published incidents (the public projection) and, for staff, working copies.

Only ``PublishedIncident`` rows are ever returned to the public; it holds public fields only.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cache

from flask_babel import lazy_gettext as _l
from peewee import fn

from incidents import geo, policy, vocab
from incidents.db import database
from incidents.errors import ValidationFailed
from incidents.models import VERIFICATION_STATUSES, Facility, Incident, IncidentTerm, PublishedIncident, PublishedTerm
from incidents.publication import facet_counts, facet_index, fulltext
from incidents.publication.search_keys import passage, query_keys
from incidents.text import without_control

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 25
FACETS = ("facility", "region", "abuse", "perpetrator", "country", "year", "verification")
# Filters that narrow the published incidents.
NARROWING = ("facility", "country", "region", "abuse", "perpetrators", "date_from", "date_to", "q", "verification")


@dataclass
class Filters:
    facility: list[int] = field(default_factory=list)
    country: str = ""
    region: str = ""
    abuse: list[str] = field(default_factory=list)
    perpetrators: list[str] = field(default_factory=list)
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    q: str = ""
    verification: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    sort: str = "-date"
    # Which facets to count (all unless the caller names some): counting costs time.
    facets: tuple[str, ...] = FACETS


def parse_filters(args) -> Filters:
    """Read filters from a query string (a MultiDict).

    :raise ValidationFailed: a malformed id, date, page or sort, with the field named.
    """
    errors: dict = {}
    filters = Filters()
    for raw in args.getlist("facility"):
        if raw == "":
            continue
        if not raw.isdecimal() or len(raw) > 12:
            errors.setdefault("facility", []).append(_l("Must be a facility id."))
        else:
            filters.facility.append(int(raw))
    filters.country = (args.get("country") or "").strip().upper()[:2]
    if filters.country and not geo.is_country(filters.country):
        errors["country"] = [_l("Unknown country code.")]
    filters.region = (args.get("region") or "").strip().upper()[:10]
    if filters.region and not geo.is_region_of(filters.region, filters.region.split("-")[0]):
        errors["region"] = [_l("Unknown region code.")]
    for name, parameter in (("abuse", "abuse"), ("perpetrators", "perpetrator")):
        for code in args.getlist(parameter):
            if code and vocab.get(name, code) is None:
                errors.setdefault(parameter, []).append(_l("Unknown value: %(value)s.", value=code[:50]))
            elif code:
                getattr(filters, name).append(code)
    for name in ("date_from", "date_to"):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                setattr(filters, name, datetime.date.fromisoformat(raw))
            except ValueError:
                errors[name] = [_l("Must be a date such as 2020-03-15.")]
    filters.q = without_control(args.get("q") or "").strip()[:200]
    filters.verification = args.get("verification") or ""
    if filters.verification and filters.verification not in VERIFICATION_STATUSES:
        errors["verification"] = [_l("Unknown value: %(value)s.", value=filters.verification[:30])]
    for name, maximum in (("page", 100_000), ("per_page", MAX_PER_PAGE)):
        raw = args.get(name)
        if raw in (None, ""):
            continue
        if not raw.isdecimal() or len(raw) > 12 or not 1 <= int(raw) <= maximum:
            errors[name] = [_l("Must be between %(lo)s and %(hi)s.", lo=1, hi=maximum)]
        else:
            setattr(filters, name, int(raw))
    sort = args.get("sort") or "-date"
    if sort not in ("date", "-date"):
        errors["sort"] = [_l("Unknown value: %(value)s.", value=sort[:20])]
    filters.sort = sort
    if "facets" in args:
        names = tuple(dict.fromkeys(n for raw in args.getlist("facets") for n in raw.split(",") if n))
        unknown = [n for n in names if n not in FACETS]
        if unknown:
            errors["facets"] = [_l("Unknown value: %(value)s.", value=unknown[0][:30])]
        filters.facets = names
    if errors:
        raise ValidationFailed(_l("Please correct the filters."), errors)
    return filters


def ordered(filters: Filters):
    """Published incidents under every filter, in the list's order: for exports."""
    query, order = _narrowed(filters)
    return query.order_by(order.desc() if filters.sort == "-date" else order)


def _narrows(filters: Filters, skip: str = "") -> bool:
    """Whether any filter but ``skip`` leaves some published incidents out."""
    return any(getattr(filters, name) for name in NARROWING if name != skip)


def _filtered(filters: Filters, skip: str = ""):
    """Published incidents under ``filters``; ``skip`` leaves one filter out (for its facet)."""
    return _narrowed(filters, skip)[0]


def _narrowed(filters: Filters, skip: str = ""):
    """(published incidents under ``filters`` but ``skip``, the column that orders them)."""
    query, order = PublishedIncident.select(), PublishedIncident.sort_key
    if filters.facility and skip != "facility":
        query = query.where(PublishedIncident.facility.in_(filters.facility))
    if filters.country and skip != "country":
        query = query.where(PublishedIncident.country == filters.country)
    if filters.region and skip != "region":
        query = query.where(PublishedIncident.region == filters.region)
    if filters.verification and skip != "verification":
        query = query.where(PublishedIncident.verification == filters.verification)
    if filters.date_from:
        query = query.where(fn.COALESCE(PublishedIncident.date_end, PublishedIncident.date_start)
                            >= filters.date_from)
    if filters.date_to:
        # The key starts with the start date, so this bound narrows an index range.
        query = query.where(PublishedIncident.sort_key < PublishedIncident.date_bound(filters.date_to))
    for name in ("abuse", "perpetrators"):
        if skip == name:
            continue
        for code in getattr(filters, name):
            term = PublishedTerm.alias()
            query = query.join_from(PublishedIncident, term, on=(
                (term.incident == PublishedIncident.incident) & (term.vocabulary == name) & (term.code == code)))
    words = query_keys(filters.q) if filters.q else []
    if words:
        query, order = fulltext.restrict(query, words)
    elif filters.q:
        query = query.where(_text_contains(filters.q))
    return query, order


def _text_contains(q: str):
    """A query with no word the index holds (punctuation, say) is looked for in the text."""
    return PublishedIncident.search_text.contains(q.casefold())


def _overlapping(query, model, filters: Filters):
    """An incident counts for a period when its span (start to end) overlaps it."""
    if filters.date_from:
        query = query.where(fn.COALESCE(model.date_end, model.date_start) >= filters.date_from)
    if filters.date_to:
        query = query.where(model.date_start <= filters.date_to)
    return query


def filter_working_copies(query, filters: Filters):
    """The same filters over staff's working copies, ``q`` with the same keys as public search."""
    if filters.facility:
        query = query.where(Incident.facility.in_(filters.facility))
    if filters.country or filters.region:
        places = Facility.select(Facility.id)
        if filters.country:
            places = places.where(Facility.country == filters.country)
        if filters.region:
            places = places.where(Facility.region == filters.region)
        query = query.where(Incident.facility.in_(places))
    query = _overlapping(query, Incident, filters)
    for code in filters.abuse:
        query = query.where(Incident.id.in_(
            IncidentTerm.select(IncidentTerm.incident)
            .where((IncidentTerm.vocabulary == "abuse") & (IncidentTerm.code == code))))
    words = query_keys(filters.q)
    if words:
        query = query.where(fulltext.keys_condition(Incident.search_keys, words))
    if filters.verification:
        query = query.where(Incident.verification == filters.verification)
    return query


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int
    facets: dict

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# What lists show: every column but the long ones kept for searching and exporting.
LISTED = [field for name, field in PublishedIncident._meta.fields.items()
          if name not in ("search_text", "search_keys")]


def search_published(filters: Filters, language: str, reader, columns=LISTED) -> Page:
    """A page of published incidents under ``filters`` (each with ``columns``), their total and
    the facets ``filters.facets`` names, naming only facilities ``reader`` may know of."""
    descending = filters.sort == "-date"
    offset = (filters.page - 1) * filters.per_page
    words = query_keys(filters.q) if filters.q else []
    counter = cache(lambda: _counter(filters))  # built once, and only if something needs it
    if words and not _narrows(filters, skip="q"):
        # Words alone: the full-text index counts and pages by itself, in list order.
        total = fulltext.count(words)
        keys = fulltext.page(words, descending, filters.per_page, offset)
        rows = {row.sort_key: row for row in
                PublishedIncident.select(PublishedIncident.sort_key, *columns)
                .where(PublishedIncident.sort_key.in_(keys))}
        items = [rows[key] for key in keys if key in rows]
    else:
        query, order = _narrowed(filters)
        total = counter().total() if _narrows(filters) else facet_counts.total()
        items = list(query.select(*columns).order_by(order.desc() if descending else order)
                     .limit(filters.per_page).offset(offset))
    return Page(items, total, filters.page, filters.per_page, facets(filters, language, reader, counter))


# From this many published incidents on, facets are counted in memory (facet_index.py); below
# it SQL counts them as fast, and nothing is held in memory.
IN_MEMORY_FROM = 50_000


class _SqlCounter:
    """Counts under filters with one SQL query per facet: quick while there are few incidents."""

    def __init__(self, filters: Filters) -> None:
        self.filters = filters

    def counts(self, name: str, skip: str) -> list[tuple]:
        base = _filtered(self.filters, skip)
        if name in ("abuse", "perpetrators"):
            term = PublishedTerm.alias("counted")
            column = term.code
            base = base.join_from(PublishedIncident, term, on=(
                (term.incident == PublishedIncident.incident) & (term.vocabulary == name)))
        else:
            column = getattr(PublishedIncident, name)
            base = base.where(column.is_null(False))
        count = fn.COUNT(PublishedIncident.incident)
        return list(base.select(column, count).group_by(column).order_by(count.desc(), column).tuples())

    def total(self) -> int:
        return _filtered(self.filters).count()


class _MemoryCounter:
    """The same counts from this process's arrays: one mask per filter, combined per facet."""

    def __init__(self, filters: Filters) -> None:
        arrays = self.arrays = facet_index.current()
        masks = {}
        if filters.facility:
            masks["facility"] = arrays.equal_to("facility", filters.facility)
        for name in ("country", "region", "verification"):
            if getattr(filters, name):
                masks[name] = arrays.equal_to(name, [getattr(filters, name)])
        if filters.date_from:
            masks["date_from"] = arrays.last_day_from(filters.date_from.toordinal())
        if filters.date_to:
            masks["date_to"] = arrays.keys_below(PublishedIncident.date_bound(filters.date_to))
        for name in ("abuse", "perpetrators"):
            for code in getattr(filters, name):
                masks[name] = masks.get(name, arrays.everything()) & arrays.having(name, code)
        if filters.q:
            words = query_keys(filters.q)
            masks["q"] = arrays.among(fulltext.all_keys(words) if words else database.execute(
                PublishedIncident.select(PublishedIncident.sort_key).where(_text_contains(filters.q))))
        self.masks = masks

    def counts(self, name: str, skip: str) -> list[tuple]:
        return self.arrays.counts(name, [mask for key, mask in self.masks.items() if key != skip])

    def total(self) -> int:
        return self.arrays.total(self.masks.values())


def _counter(filters: Filters):
    return _MemoryCounter(filters) if facet_counts.total() >= IN_MEMORY_FROM else _SqlCounter(filters)


def _counted(counter, filters: Filters, name: str, skip: str, limit: int | None = None, chosen=()) -> list[tuple]:
    """(value, count) of a column or vocabulary over the incidents under every filter but
    ``skip``: the ``limit`` most frequent values, then each chosen one beyond them (0 when
    none matches). With nothing left to filter, the counts kept with each publication answer."""
    if not _narrows(filters, skip):
        typed = int if name in ("facility", "year") else str
        counts = [(typed(value), n) for value, n in facet_counts.read(name)]
    else:
        counts = counter().counts(name, skip)
    listed = counts[:limit]
    shown = {value for value, _n in listed}
    found = dict(counts)
    return listed + [(value, found.get(value, 0)) for value in dict.fromkeys(chosen)
                     if value not in shown and value not in ("", None)]


def passages(rows, q: str, language: str) -> dict:
    """For each row, the passage of its narrative (or title) where the query matched, if any."""
    words = query_keys(q) if q else []
    found = {}
    for row in rows if words else []:
        for texts in (row.narrative, row.title):
            text = texts.get(language) or texts.get(row.original_language) or next(iter(texts.values()), "")
            pieces = passage(text, words)
            if pieces:
                found[row.incident_id] = pieces
                break
    return found


TOP = 15
DIMENSIONS = ("year", "region", "facility", "abuse")


def statistics(filters: Filters, language: str, reader) -> dict:
    """Counts of published incidents under every filter, per year, region, facility (top
    ``TOP``) and abuse type (top ``TOP``): each a list of (value, label, count)."""
    counter = cache(lambda: _counter(filters))
    years = sorted(_counted(counter, filters, "year", skip=""))
    regions = _counted(counter, filters, "region", skip="", limit=TOP)
    facility_counts = _counted(counter, filters, "facility", skip="", limit=TOP)
    names = _facility_names([v for v, _n in facility_counts], language, reader)
    abuse = _counted(counter, filters, "abuse", skip="", limit=TOP)
    return {"year": [(v, str(v), n) for v, n in years],
            "region": [(v, geo.region_name(v, language), n) for v, n in regions],
            "facility": [(v, names.get(v, str(v)), n) for v, n in facility_counts],
            "abuse": [(v, vocab.label("abuse", v, language), n) for v, n in abuse],
            "total": counter().total() if _narrows(filters) else facet_counts.total()}


def _facility_names(ids, language: str, reader) -> dict[int, str]:
    """The names of those of ``ids`` that ``reader`` may know of (``visible_facilities``)."""
    return {key: name_in(names, language) for key, names in
            visible_facilities(reader, Facility.id, Facility.names).where(Facility.id.in_(list(ids))).tuples()}


# Values listed per facet, the most frequent first; a chosen value is always among them.
FACET_LIMIT = 100


def facets(filters: Filters, language: str, reader, counter=None) -> dict:
    """Counts per facility, country, region, abuse type, perpetrator type, verification status and
    year, each under the other filters; each lists at most ``FACET_LIMIT`` values, the most
    frequent first. Only the facets named in ``filters.facets`` are counted.

    A chosen facility ``reader`` may not know of is left out, as one that does not exist is: its
    name (or even its count of 0 beside its id) would tell that somebody documents something there.
    """
    counter = counter or cache(lambda: _counter(filters))
    found = {}
    if "facility" in filters.facets:
        counts = _counted(counter, filters, "facility", "facility", FACET_LIMIT, filters.facility)
        names = _facility_names([value for value, _n in counts], language, reader)
        found["facility"] = [{"value": v, "label": names[v], "count": n} for v, n in counts if v in names]
    if "region" in filters.facets:
        found["region"] = [{"value": v, "label": geo.region_name(v, language), "count": n} for v, n in
                           _counted(counter, filters, "region", "region", FACET_LIMIT, [filters.region])]
    for facet, name in (("abuse", "abuse"), ("perpetrator", "perpetrators")):
        if facet in filters.facets:
            found[facet] = [{"value": v, "label": vocab.label(name, v, language), "count": n} for v, n in
                            _counted(counter, filters, name, name, FACET_LIMIT, getattr(filters, name))]
    if "country" in filters.facets:
        found["country"] = [{"value": v, "label": geo.country_name(v, language), "count": n} for v, n in
                            _counted(counter, filters, "country", "country", FACET_LIMIT, [filters.country])]
    if "verification" in filters.facets:
        found["verification"] = [{"value": v, "label": str(vocab.VERIFICATION_LABELS.get(v, v)), "count": n} for v, n in
                                 _counted(counter, filters, "verification", "verification", FACET_LIMIT,
                                          [filters.verification])]
    if "year" in filters.facets:
        found["year"] = [{"value": v, "label": str(v), "count": n}
                         for v, n in sorted(_counted(counter, filters, "year", ""), reverse=True)]
    return found


def visible_facilities(user, *columns):
    """Facilities this reader may know of: all for staff, those with a published incident otherwise.

    The one rule for naming a facility to a reader: every list, facet and page goes through it."""
    query = Facility.select(*columns)
    if not policy.can_see_every_facility(user):
        query = query.where(Facility.id.in_(PublishedIncident.select(PublishedIncident.facility)))
    return query


def matching_facilities(user, q: str):
    """Facilities this reader may know of whose names, aliases or locality contain ``q``."""
    query = visible_facilities(user)
    q = without_control(q or "").strip().casefold()[:200]
    return query.where(Facility.search_text.contains(q)) if q else query


def facility_directory(user, q: str, language: str) -> list[Facility]:
    """Facilities matching ``q``, each with ``published`` (a count), the busiest first."""
    published = {int(value): n for value, n in facet_counts.read("facility")}
    found = list(matching_facilities(user, q))
    for facility in found:
        facility.published = published.get(facility.id, 0)
    return sorted(found, key=lambda f: (-f.published, facility_name(f, language).casefold()))


def published_at(facility: Facility) -> list[PublishedIncident]:
    """A facility's published incidents, newest first."""
    return list(PublishedIncident.select().where(PublishedIncident.facility == facility)
                .order_by(PublishedIncident.sort_key.desc()))


def latest_published(limit: int = 5) -> list[PublishedIncident]:
    return list(PublishedIncident.select()
                .order_by(PublishedIncident.published_at.desc(), PublishedIncident.incident.desc())
                .limit(limit))


def published_counts() -> tuple[int, int]:
    """(published incidents, facilities with at least one)."""
    return facet_counts.total(), facet_counts.values("facility")


def facility_name(facility: Facility, language: str) -> str:
    return name_in(facility.names, language)


def facility_name_by_id(facility_id, language: str) -> str:
    """The name of the facility with this id (as a revision keeps it), or "" when there is none.

    Only staff pages show revisions, and staff see every facility."""
    facility = Facility.get_or_none(Facility.id == facility_id) if isinstance(facility_id, int) else None
    return facility_name(facility, language) if facility else ""


def name_in(names: dict, language: str) -> str:
    """A facility's name in ``language``, else in English, else in whatever language it has."""
    return names.get(language) or names.get("en") or next(iter(names.values()), "")
