"""Filters: read from a query string (the list, the API, exports and statistics share them), and
the published incidents they select."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from peewee import fn

from incidents import geo, vocab
from incidents.errors import ValidationFailed
from incidents.models import VERIFICATION_STATUSES, PublishedIncident, PublishedTerm
from incidents.publication import fulltext
from incidents.publication.search_keys import query_keys
from incidents.text import without_control
from incidents.validation import read_partial_date

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


def _facility_ids(args, name: str):
    ids, errors = [], []
    for raw in args.getlist(name):
        if raw and (not raw.isdecimal() or len(raw) > 12):
            errors.append(_l("Must be a facility id."))
        elif raw:
            ids.append(int(raw))
    return ids, errors


def _country(args, name: str):
    code = (args.get(name) or "").strip().upper()[:2]
    return code, [_l("Unknown country code.")] if code and not geo.is_country(code) else []


def _region(args, name: str):
    code = (args.get(name) or "").strip().upper()[:10]
    return code, [_l("Unknown region code.")] if code and not geo.is_region_of(code, code.split("-")[0]) else []


def _codes(vocabulary: str):
    def read(args, name: str):
        codes, errors = [], []
        for code in args.getlist(name):
            if code and vocab.get(vocabulary, code) is None:
                errors.append(_l("Unknown value: %(value)s.", value=code[:50]))
            elif code:
                codes.append(code)
        return codes, errors
    return read


def _date(args, name: str):
    """A date as people write it: "2020", "03.2020" or "15.03.2020" (or ISO); a period starts on its
    first day and, for ``date_to``, ends on its last ("to 2020" takes in all of 2020)."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None, []
    span = read_partial_date(raw)
    if span is None:
        return None, [_l("Must be a date such as 15.03.2020, 2020-03 or 2020.")]
    return span[1] if name == "date_to" else span[0], []


def _words(args, name: str):
    return without_control(args.get(name) or "").strip()[:200], []


def _one_of(allowed, shown: int, default: str = ""):
    def read(args, name: str):
        value = args.get(name) or default
        return value, [_l("Unknown value: %(value)s.", value=value[:shown])] if value not in (*allowed, "") else []
    return read


def _number(maximum: int):
    def read(args, name: str):
        raw = args.get(name)
        if raw in (None, ""):
            return None, []  # the default
        if not raw.isdecimal() or len(raw) > 12 or not 1 <= int(raw) <= maximum:
            return None, [_l("Must be between %(lo)s and %(hi)s.", lo=1, hi=maximum)]
        return int(raw), []
    return read


def _facet_names(args, name: str):
    if name not in args:
        return None, []  # every facet
    names = tuple(dict.fromkeys(n for raw in args.getlist(name) for n in raw.split(",") if n))
    unknown = [n for n in names if n not in FACETS]
    return names, [_l("Unknown value: %(value)s.", value=unknown[0][:30])] if unknown else []


# (query parameter, attribute of Filters, reader): a reader takes the query string and the
# parameter and answers (the value, or None for the default; the problems found).
PARAMETERS = (
    ("facility", "facility", _facility_ids),
    ("country", "country", _country),
    ("region", "region", _region),
    ("abuse", "abuse", _codes("abuse")),
    ("perpetrator", "perpetrators", _codes("perpetrators")),
    ("date_from", "date_from", _date),
    ("date_to", "date_to", _date),
    ("q", "q", _words),
    ("verification", "verification", _one_of(VERIFICATION_STATUSES, 30)),
    ("page", "page", _number(100_000)),
    ("per_page", "per_page", _number(MAX_PER_PAGE)),
    ("sort", "sort", _one_of(("date", "-date"), 20, default="-date")),
    ("facets", "facets", _facet_names),
)


def parse_filters(args) -> Filters:
    """Read filters from a query string (a MultiDict).

    :raise ValidationFailed: a malformed id, date, page or sort, with the field named.
    """
    values, errors = {}, {}
    for parameter, attribute, read in PARAMETERS:
        value, problems = read(args, parameter)
        if problems:
            errors[parameter] = problems
        elif value is not None:
            values[attribute] = value
    if errors:
        raise ValidationFailed(_l("Please correct the filters."), errors)
    return Filters(**values)


@dataclass
class Page:
    """One page of a list: its rows, how many there are in all, and the facet counts if any."""

    items: list
    total: int
    page: int
    per_page: int
    facets: dict

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def parse_page(args) -> int:
    """The ``page`` of a paged list that has no other filter (the facilities, a facility's incidents).

    :raise ValidationFailed: not a page number, with the field named.
    """
    value, problems = _number(100_000)(args, "page")
    if problems:
        raise ValidationFailed(_l("Please correct the filters."), {"page": problems})
    return value or 1


def narrows(filters: Filters, skip: str = "") -> bool:
    """Whether any filter but ``skip`` leaves some published incidents out."""
    return any(getattr(filters, name) for name in NARROWING if name != skip)


def narrowing(filters: Filters) -> set[str]:
    """What narrows the published incidents: the filters set, a period (either end or both) as one."""
    return {"period" if name.startswith("date_") else name for name in NARROWING if getattr(filters, name)}


def filtered(filters: Filters, skip: str = ""):
    """Published incidents under ``filters``; ``skip`` leaves one filter out (for its facet)."""
    return narrowed(filters, skip)[0]


def narrowed(filters: Filters, skip: str = ""):
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
        # Its end, or (it has none) its start, on or after the day: as an end is never before its
        # start, "it ends then, or it starts then", which the index holding the sort key (whose first
        # bits are the start's day) and the end answers without reading the incident's row.
        query = query.where((PublishedIncident.date_end >= filters.date_from)
                            | (PublishedIncident.sort_key >= filters.date_from.toordinal() << 32))
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
        query = query.where(text_contains(filters.q))
    return query, order


def text_contains(q: str):
    """A query with no word the index holds (punctuation, say) is looked for in the text."""
    return PublishedIncident.search_text.contains(q.casefold())


def overlapping(query, model, filters: Filters):
    """An incident counts for a period when its span (start to end) overlaps it."""
    if filters.date_from:
        query = query.where(fn.COALESCE(model.date_end, model.date_start) >= filters.date_from)
    if filters.date_to:
        query = query.where(model.date_start <= filters.date_to)
    return query
