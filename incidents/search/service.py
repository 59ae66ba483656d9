"""Queries over published incidents (the public projection) and, for staff, working copies.

Only ``PublishedIncident`` rows are ever returned to the public; it holds public fields only.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from peewee import fn

from .. import geo, vocab
from ..errors import ValidationFailed
from ..models import Facility, PublishedIncident, PublishedTerm

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 25


@dataclass
class Filters:
    facility: list[int] = field(default_factory=list)
    country: str = ""
    region: str = ""
    abuse: list[str] = field(default_factory=list)
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    q: str = ""
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
    for code in args.getlist("abuse"):
        if code and vocab.get("abuse", code) is None:
            errors.setdefault("abuse", []).append(_l("Unknown value: %(value)s.", value=code[:50]))
        elif code:
            filters.abuse.append(code)
    for name in ("date_from", "date_to"):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                setattr(filters, name, datetime.date.fromisoformat(raw[:10]))
            except ValueError:
                errors[name] = [_l("Must be a date such as 2020-03-15.")]
    filters.q = (args.get("q") or "").strip()[:200]
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


def _filtered(filters: Filters, skip: str = ""):
    """Published incidents under ``filters``; ``skip`` leaves one filter out (for its facet)."""
    query = PublishedIncident.select()
    if filters.facility and skip != "facility":
        query = query.where(PublishedIncident.facility.in_(filters.facility))
    if filters.country:
        query = query.where(PublishedIncident.country == filters.country)
    if filters.region and skip != "region":
        query = query.where(PublishedIncident.region == filters.region)
    if filters.date_from:
        # An incident counts when its span overlaps the range asked for.
        query = query.where(fn.COALESCE(PublishedIncident.date_end, PublishedIncident.date_start)
                            >= filters.date_from)
    if filters.date_to:
        query = query.where(PublishedIncident.date_start <= filters.date_to)
    if filters.abuse and skip != "abuse":
        for code in filters.abuse:
            query = query.where(PublishedIncident.incident.in_(
                PublishedTerm.select(PublishedTerm.incident)
                .where((PublishedTerm.vocabulary == "abuse") & (PublishedTerm.code == code))))
    if filters.q:
        query = query.where(PublishedIncident.search_text.contains(filters.q.casefold()))
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


def facets(filters: Filters, language: str) -> dict:
    """Counts per facility, region, abuse type and year, each under the other filters."""
    base = _filtered(filters, skip="facility")
    facility_counts = (Facility.select(Facility, fn.COUNT(base.c.incident_id).alias("n"))
                       .join(base, on=(base.c.facility_id == Facility.id))
                       .group_by(Facility.id).order_by(fn.COUNT(base.c.incident_id).desc()))
    region_base = _filtered(filters, skip="region")
    regions = (region_base.select(PublishedIncident.region, fn.COUNT(PublishedIncident.incident).alias("n"))
               .where(PublishedIncident.region.is_null(False))
               .group_by(PublishedIncident.region).order_by(fn.COUNT(PublishedIncident.incident).desc()))
    abuse_base = _filtered(filters, skip="abuse")
    abuse = (PublishedTerm.select(PublishedTerm.code, fn.COUNT(PublishedTerm.incident).alias("n"))
             .where((PublishedTerm.vocabulary == "abuse")
                    & PublishedTerm.incident.in_(abuse_base.select(PublishedIncident.incident)))
             .group_by(PublishedTerm.code).order_by(fn.COUNT(PublishedTerm.incident).desc()))
    year = fn.SUBSTR(fn.CAST(PublishedIncident.date_start, "TEXT"), 1, 4)
    years = (_filtered(filters).select(year.alias("year"), fn.COUNT(PublishedIncident.incident).alias("n"))
             .group_by(year).order_by(year.desc()))
    return {
        "facility": [{"value": f.id, "label": facility_name(f, language), "count": f.n}
                     for f in facility_counts],
        "region": [{"value": r.region, "label": geo.region_name(r.region, language), "count": r.n}
                   for r in regions],
        "abuse": [{"value": a.code, "label": vocab.label("abuse", a.code, language), "count": a.n}
                  for a in abuse],
        "year": [{"value": y.year, "label": y.year, "count": y.n} for y in years.objects()],
    }


def facility_name(facility: Facility, language: str) -> str:
    names = facility.names
    return names.get(language) or names.get("en") or next(iter(names.values()), "")
