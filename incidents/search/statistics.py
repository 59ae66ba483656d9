"""Statistics of published incidents under the list's filters: a time series (per month or per
year) and breakdowns by abuse type, perpetrator, region, facility, facility type and verification
status. Only published incidents are read (the tables ``publication/`` writes), so every reader,
the public included, sees the same numbers; records people marked as the same event count once."""
from __future__ import annotations

import datetime
from collections import Counter
from functools import cache

from babel.dates import format_skeleton
from flask_babel import get_locale
from peewee import SqliteDatabase, fn

from incidents import geo, vocab
from incidents.db import database
from incidents.models import Facility, PublishedIncident, name_in
from incidents.publication import facet_counts
from incidents.search import events
from incidents.search.facets import counted, counter_for, facility_names
from incidents.search.facilities import visible_facilities
from incidents.search.filters import Filters, filtered, narrows

TOP = 15
# The charts, in the order the page shows them; "time" is per year or per month (``PERIODS``).
DIMENSIONS = ("time", "abuse", "perpetrators", "region", "facility", "facility_type", "verification")
PERIODS = ("year", "month")
# Kept for links made before the time series had a period to choose ("dimension=year").
ALIASES = {"year": "time"}
# A monthly series shows at most the last this many months (ten years): a longer one is a chart of
# hundreds of bars nobody reads, and its picture costs seconds to draw for each anonymous request.
# What began before them is counted and said (``earlier``); the series by year shows it all.
MAX_MONTHS = 120


def statistics(filters: Filters, language: str, reader, period: str = "year") -> dict:
    """Each dimension's counts as a list of (value, label, count), most frequent first (the time
    series in time order, months without incidents as 0), with ``total`` (events, not records),
    ``same_event`` (records left out as repeats), ``undated`` (incidents known only to the year
    or circa, left out of a monthly series) and ``earlier`` (incidents before the months a monthly
    series shows)."""
    counter = cache(lambda: counter_for(filters))
    repeated = events.repeats(filters)
    minus = events.repeated_by(repeated)

    def top(name: str, limit: int | None = TOP) -> list[tuple]:
        return events.less(counted(counter, filters, name, skip=""), minus[name], limit)

    facilities = top("facility", None)
    names = facility_names([v for v, _n in facilities[:TOP]], language, reader)
    undated = earlier = 0
    if period == "month":
        time, undated, earlier = _months(filters, repeated)
    else:
        time = sorted(top("year", None))
        time = [(str(v), str(v), n) for v, n in time]
    total = counter().total() if narrows(filters) else facet_counts.total()
    return {
        "time": time,
        "abuse": [(v, vocab.label("abuse", v, language), n) for v, n in top("abuse")],
        "perpetrators": [(v, vocab.label("perpetrators", v, language), n) for v, n in top("perpetrators")],
        "region": [(v, geo.region_name(v, language), n) for v, n in top("region")],
        "facility": [(v, names.get(v, str(v)), n) for v, n in facilities[:TOP]],
        "facility_type": [(v, vocab.label("facility_types", v, language), n)
                          for v, n in _facility_types(facilities)],
        "verification": [(v, str(vocab.VERIFICATION_LABELS.get(v, v)), n) for v, n in top("verification", None)],
        "total": total - len(repeated), "same_event": len(repeated), "undated": undated, "earlier": earlier,
        "period": period,
    }


def _facility_types(facilities: list[tuple]) -> list[tuple]:
    """Incidents per facility type, from the counts per facility (every facility of a published
    incident is public, so its type tells nothing new)."""
    types = dict(Facility.select(Facility.id, Facility.type)
                 .where(Facility.id.in_([v for v, _n in facilities])).tuples()) if facilities else {}
    found: Counter = Counter()
    for value, n in facilities:
        found[types.get(value, "other")] += n
    return found.most_common()


def _months(filters: Filters, repeated: list) -> tuple[list[tuple], int, int]:
    """Incidents per month of their start, every month from the first to the last (0 when none) but
    no more than the last ``MAX_MONTHS``; how many were dated too loosely (a year, circa) to have a
    month; how many began before the months shown. The database counts them by month and precision
    (a few hundred groups at most): read one by one, a million rows took seconds per request."""
    month, precision = _start_month(), PublishedIncident.date_precision
    rows = list(filtered(filters).select(month, precision, fn.COUNT(PublishedIncident.incident))
                .group_by(month, precision).tuples())
    if repeated:  # each one another record counts already: one fewer in its month
        rows += [(start, given, -1) for start, given in PublishedIncident.select(month, precision).where(
            PublishedIncident.incident.in_([row.incident_id for row in repeated])).tuples()]
    found: Counter = Counter()
    undated = 0
    for start, given, n in rows:
        if given in ("day", "month"):
            found[(int(start[:4]), int(start[5:7]))] += n
        else:
            undated += n
    found = +found  # a month whose every incident was a repeat is no month of the series
    if not found:
        return [], undated, 0
    last = max(found)
    # The first month shown: the first with incidents, or the one MAX_MONTHS - 1 before the last.
    year, month0 = divmod(max(_index(min(found)), _index(last) - (MAX_MONTHS - 1)), 12)
    first = year, month = year, month0 + 1
    months = []
    while (year, month) <= last:
        months.append((f"{year:04d}-{month:02d}", _month_label(year, month), found.get((year, month), 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months, undated, sum(n for key, n in found.items() if key < first)


def _start_month():
    """The month an incident starts in, as "2020-03", worked out by the database: SQLite keeps a date
    as ISO text, PostgreSQL as a date."""
    if isinstance(database.obj, SqliteDatabase):
        return fn.substr(PublishedIncident.date_start, 1, 7)
    return fn.to_char(PublishedIncident.date_start, "YYYY-MM")


def _index(year_month: tuple[int, int]) -> int:
    """Months since the year 0: (2020, 3) -> 24242."""
    return year_month[0] * 12 + year_month[1] - 1


def _month_label(year: int, month: int) -> str:
    return format_skeleton("yMMM", datetime.date(year, month, 1), locale=get_locale())


def places(filters: Filters, language: str, reader) -> dict:
    """What the map shows under ``filters``: every facility with published incidents there, as
    (id, name, latitude or None, longitude or None, count), most first, and the count per region;
    same-event records once, as in the statistics."""
    counter = cache(lambda: counter_for(filters))
    minus = events.repeated_by(events.repeats(filters))
    counts = events.less(counted(counter, filters, "facility", skip=""), minus["facility"])
    found = {key: (name_in(names, language, original), lat, lon) for key, names, original, lat, lon in
             visible_facilities(reader, Facility.id, Facility.names, Facility.original_language, Facility.latitude,
                                Facility.longitude).where(Facility.id.in_([v for v, _n in counts])).tuples()} \
        if counts else {}
    return {"facilities": [(v, found[v][0], found[v][1], found[v][2], n)
                           for v, n in counts if v in found],
            "regions": dict(events.less(counted(counter, filters, "region", skip=""), minus["region"]))}
