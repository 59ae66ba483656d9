"""Queries over published incidents (the public projection) and, for staff, working copies.

Only ``PublishedIncident`` rows are ever returned to the public; it holds public fields only.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from .. import fulltext, geo, policy, vocab
from ..search_keys import passage, query_keys
from ..errors import ValidationFailed
from ..text import without_control
from ..models import (VERIFICATION_STATUSES, Facility, Incident, IncidentTerm, PublishedIncident,
                      PublishedTerm)

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 25


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
    verification: str = ""  # staff lists only
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    sort: str = "-date"


def parse_filters(args) -> Filters:
    """Read filters from a query string (a MultiDict).

    :raise ValidationFailed: a malformed id, date, page or sort, with the field named.
    """
    errors: dict = {}
    filters = Filters()
    for raw in args.getlist("facility"):
        if raw == "":
            continue
        if not raw.isdigit() or len(raw) > 12:
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
        if not raw.isdigit() or not 1 <= int(raw) <= maximum:
            errors[name] = [_l("Must be between %(lo)s and %(hi)s.", lo=1, hi=maximum)]
        else:
            setattr(filters, name, int(raw))
    sort = args.get("sort") or "-date"
    if sort not in ("date", "-date"):
        errors["sort"] = [_l("Unknown value: %(value)s.", value=sort[:20])]
    filters.sort = sort
    if errors:
        raise ValidationFailed(_l("Please correct the filters."), errors)
    return filters


def filtered(filters: Filters):
    """Published incidents under every filter, unordered: for lists and exports."""
    return _filtered(filters)


def _filtered(filters: Filters, skip: str = ""):
    """Published incidents under ``filters``; ``skip`` leaves one filter out (for its facet)."""
    query = PublishedIncident.select()
    if filters.facility and skip != "facility":
        query = query.where(PublishedIncident.facility.in_(filters.facility))
    if filters.country and skip != "country":
        query = query.where(PublishedIncident.country == filters.country)
    if filters.region and skip != "region":
        query = query.where(PublishedIncident.region == filters.region)
    query = _overlapping(query, PublishedIncident, filters)
    for name in ("abuse", "perpetrators"):
        if skip == name:
            continue
        for code in getattr(filters, name):
            query = query.where(PublishedIncident.incident.in_(
                PublishedTerm.select(PublishedTerm.incident)
                .where((PublishedTerm.vocabulary == name) & (PublishedTerm.code == code))))
    matches = fulltext.matching(query_keys(filters.q)) if filters.q else None
    if matches is not None:
        query = query.where(PublishedIncident.incident.in_(matches))
    elif filters.q:
        query = query.where(PublishedIncident.search_text.contains(filters.q.casefold()))
    return query


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


def search_published(filters: Filters, language: str) -> Page:
    query = _filtered(filters)
    total = query.count()
    order = (PublishedIncident.date_start.desc(), PublishedIncident.incident.desc()) \
        if filters.sort == "-date" else (PublishedIncident.date_start, PublishedIncident.incident)
    items = list(query.order_by(*order).paginate(filters.page, filters.per_page))
    return Page(items, total, filters.page, filters.per_page, facets(filters, language))


def _counts(query, column):
    """(value, count) of ``column`` over ``query``, most frequent first."""
    count = fn.COUNT(PublishedIncident.incident)
    return [(row[0], row[1]) for row in
            query.select(column, count).group_by(column).order_by(count.desc(), column).tuples()]


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


def statistics(filters: Filters, language: str) -> dict:
    """Counts of published incidents under every filter, per year, region, facility (top
    ``TOP``) and abuse type (top ``TOP``): each a list of (value, label, count)."""
    query = _filtered(filters)
    year = PublishedIncident.year
    years = [(int(v), str(int(v)), n) for v, n in
             query.select(year, fn.COUNT(PublishedIncident.incident)).group_by(year).order_by(year).tuples()]
    regions = [(v, geo.region_name(v, language), n) for v, n in
               _counts(_filtered(filters).where(PublishedIncident.region.is_null(False)),
                       PublishedIncident.region)[:TOP]]
    facility_counts = _counts(_filtered(filters), PublishedIncident.facility)[:TOP]
    names = {f.id: facility_name(f, language) for f in
             Facility.select().where(Facility.id.in_([v for v, _n in facility_counts]))}
    abuse = [(v, vocab.label("abuse", v, language), n) for v, n in list(_term_counts(filters, "abuse", skip=""))[:TOP]]
    return {"year": years, "region": regions,
            "facility": [(v, names.get(v, str(v)), n) for v, n in facility_counts], "abuse": abuse,
            "total": query.count()}


def _term_counts(filters: Filters, name: str, skip: str | None = None):
    """(code, count) of one vocabulary's terms over the incidents under the other filters."""
    base = _filtered(filters, skip=name if skip is None else skip)
    count = fn.COUNT(PublishedTerm.incident)
    query = PublishedTerm.select(PublishedTerm.code, count).where(PublishedTerm.vocabulary == name)
    # Every published incident counts when nothing narrows them: the index answers alone.
    if base._where is not None:
        query = query.where(PublishedTerm.incident.in_(base.select(PublishedIncident.incident)))
    return query.group_by(PublishedTerm.code).order_by(count.desc(), PublishedTerm.code).tuples()


# Values listed per facet, the most frequent first; a chosen value is always among them.
FACET_LIMIT = 100


def _top(counts, chosen) -> list:
    """The most frequent values, then any chosen one beyond them (with 0 when none matches)."""
    counts = list(counts)
    listed = {value for value, _n in counts}
    return counts[:FACET_LIMIT] + [pair for pair in counts[FACET_LIMIT:] if pair[0] in chosen] + \
        [(value, 0) for value in chosen if value and value not in listed]


def facets(filters: Filters, language: str) -> dict:
    """Counts per facility, country, region, abuse type, perpetrator type and year, each under
    the other filters; each lists at most ``FACET_LIMIT`` values, the most frequent first."""
    facility_counts = _top(_counts(_filtered(filters, skip="facility"), PublishedIncident.facility),
                           filters.facility)
    names = {f.id: facility_name(f, language) for f in
             Facility.select().where(Facility.id.in_([value for value, _n in facility_counts]))}
    region_counts = _top(_counts(_filtered(filters, skip="region")
                                 .where(PublishedIncident.region.is_null(False)), PublishedIncident.region),
                         [filters.region])
    terms = {name: _top(_term_counts(filters, name), getattr(filters, name))
             for name in ("abuse", "perpetrators")}
    country_counts = _top(_counts(_filtered(filters, skip="country"), PublishedIncident.country),
                          [filters.country])
    year = PublishedIncident.year
    year_counts = (_filtered(filters).select(year, fn.COUNT(PublishedIncident.incident))
                   .group_by(year).order_by(year.desc()).tuples())
    return {
        "facility": [{"value": v, "label": names.get(v, str(v)), "count": n} for v, n in facility_counts],
        "region": [{"value": v, "label": geo.region_name(v, language), "count": n} for v, n in region_counts],
        "abuse": [{"value": v, "label": vocab.label("abuse", v, language), "count": n}
                  for v, n in terms["abuse"]],
        "perpetrator": [{"value": v, "label": vocab.label("perpetrators", v, language), "count": n}
                        for v, n in terms["perpetrators"]],
        "country": [{"value": v, "label": geo.country_name(v, language), "count": n} for v, n in country_counts],
        "year": [{"value": int(v), "label": str(int(v)), "count": n} for v, n in year_counts],
    }


def visible_facilities(user):
    """Facilities this reader may know of: all for staff, those with a published incident otherwise."""
    query = Facility.select()
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
    count = fn.COUNT(PublishedIncident.incident)
    query = (matching_facilities(user, q).select_extend(count.alias("published"))
             .join(PublishedIncident, JOIN.LEFT_OUTER, on=(PublishedIncident.facility == Facility.id))
             .group_by(Facility.id))
    return sorted(query, key=lambda f: (-f.published, facility_name(f, language).casefold()))


def published_at(facility: Facility) -> list[PublishedIncident]:
    """A facility's published incidents, newest first."""
    return list(PublishedIncident.select().where(PublishedIncident.facility == facility)
                .order_by(PublishedIncident.date_start.desc(), PublishedIncident.incident.desc()))


def latest_published(limit: int = 5) -> list[PublishedIncident]:
    return list(PublishedIncident.select()
                .order_by(PublishedIncident.published_at.desc(), PublishedIncident.incident.desc())
                .limit(limit))


def published_counts() -> tuple[int, int]:
    """(published incidents, facilities with at least one)."""
    return (PublishedIncident.select().count(),
            PublishedIncident.select(fn.COUNT(fn.DISTINCT(PublishedIncident.facility))).scalar() or 0)


def facility_name(facility: Facility, language: str) -> str:
    names = facility.names
    return names.get(language) or names.get("en") or next(iter(names.values()), "")
