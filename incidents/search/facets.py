"""Facet counts under filters (statistics: ``statistics.py``): kept counts when nothing narrows, SQL while there
are few incidents, this process's arrays (``publication/facet_index.py``) when there are many."""
from __future__ import annotations

from functools import cache

from peewee import fn

from incidents import geo, vocab
from incidents.db import database
from incidents.models import Facility, PublishedIncident, PublishedTerm, name_in
from incidents.publication import facet_counts, facet_index
from incidents.publication.search_keys import query_keys
from incidents.search.facilities import visible_facilities
from incidents.search.filters import Filters, filtered, narrowing, narrows, text_contains

# From this many published incidents on, facets are counted in memory (facet_index.py), whose
# arrays at that size take well under a megabyte. Under a search SQL counts far slower already at
# 5,000 incidents (44 ms of CPU a page against 13 in memory: bench/README.md, the load test).
IN_MEMORY_FROM = 1_000
# Under several filters, a page of fewer than this share of the incidents is picked from the arrays.
PAGED_BELOW = 0.25


class _SqlCounter:
    """Counts under filters with one SQL query per facet: quick while there are few incidents."""

    def __init__(self, filters: Filters) -> None:
        self.filters = filters

    def counts(self, name: str, skip: str) -> list[tuple]:
        base = filtered(self.filters, skip)
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
        return filtered(self.filters).count()

    def page(self, descending: bool, limit: int, offset: int) -> None:
        """None: SQL pages the incidents itself."""
        return None


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
        if filters.date_from or filters.date_to:
            masks["period"] = arrays.in_period(filters.date_from and filters.date_from.toordinal(),
                                               filters.date_to and PublishedIncident.date_bound(filters.date_to))
        for name in ("abuse", "perpetrators"):
            for code in getattr(filters, name):
                if name in masks:
                    masks[name] &= arrays.having(name, code)  # in place: that array is this loop's own
                else:
                    masks[name] = arrays.having(name, code)
        if filters.q:
            words = query_keys(filters.q)
            masks["q"] = arrays.matching(words) if words else arrays.among(database.execute(
                PublishedIncident.select(PublishedIncident.sort_key).where(text_contains(filters.q))))
        self.masks = masks
        self.selections: dict = {}

    def _selection(self, skip: str):
        # Facets whose own filter is not set count over the same incidents: selected once.
        skipped = skip if skip in self.masks else ""
        if skipped not in self.selections:
            self.selections[skipped] = self.arrays.selection(
                [mask for key, mask in self.masks.items() if key != skipped])
        return self.selections[skipped]

    def counts(self, name: str, skip: str) -> list[tuple]:
        return self.arrays.counts(name, self._selection(skip))

    def total(self) -> int:
        return self._selection("").count

    def page(self, descending: bool, limit: int, offset: int) -> list[int] | None:
        """The sort keys of a page of the incidents selected, when they are few (under a quarter):
        SQL finds those of filters on several columns by reading incidents one by one in key order
        until enough match. None when more are selected: SQL meets enough of them soon."""
        selection = self._selection("")
        if selection.count >= PAGED_BELOW * self.arrays.size:
            return None
        return selection.page(descending, limit, offset)


def selected_total(filters: Filters, counter) -> int:
    """How many published incidents ``filters`` select. Where nothing narrows, or one dimension whose
    counts are kept (facet_counts.py) narrows alone (one facility or a few, a region, one abuse
    type...), the kept counts answer: cheaper than a mask over every incident or a count in SQL."""
    if not narrows(filters):
        return facet_counts.total()
    alone = narrowing(filters)
    if len(alone) == 1 and (name := alone.pop()) in facet_counts.COLUMNS + facet_counts.TERMS:
        values = getattr(filters, name)
        values = set(values) if isinstance(values, list) else {values}
        # An incident has one facility, but a few abuse types: two codes asked for together are not a sum.
        if name in facet_counts.COLUMNS or len(values) == 1:
            return sum(count for _value, count in facet_counts.read(name, only=values))
    return counter().total()


def in_memory() -> bool:
    """Whether counts under filters are made from this process's arrays (many incidents) or in SQL."""
    return facet_counts.total() >= IN_MEMORY_FROM


def counter_for(filters: Filters):
    return _MemoryCounter(filters) if in_memory() else _SqlCounter(filters)


def counted(counter, filters: Filters, name: str, skip: str, limit: int | None = None, chosen=()) -> list[tuple]:
    """(value, count) of a column or vocabulary over the incidents under every filter but
    ``skip``: the ``limit`` most frequent values, then each chosen one beyond them (0 when
    none matches). With nothing left to filter, the counts kept with each publication answer."""
    if not narrows(filters, skip):
        # The listed values and the chosen ones only: every facility's count is 2,000 rows a page.
        listed = _kept(name, limit=limit)
        beyond = _beyond(listed, chosen)
        counts_of = dict(_kept(name, only=beyond)) if beyond else {}
    else:
        counts = counter().counts(name, skip)
        listed = counts[:limit]
        beyond = _beyond(listed, chosen)
        counts_of = dict(counts)
    return listed + [(value, counts_of.get(value, 0)) for value in beyond]


def _kept(name: str, **which) -> list[tuple]:
    """(value, count) kept with each publication (``facet_counts.read``), each value typed as filters hold it."""
    typed = int if name in ("facility", "year") else str
    return [(typed(value), n) for value, n in facet_counts.read(name, **which)]


def _beyond(listed: list[tuple], chosen) -> list:
    """The chosen values not among ``listed``, each once."""
    shown = {value for value, _n in listed}
    return [value for value in dict.fromkeys(chosen) if value not in shown and value not in ("", None)]


def facility_names(ids, language: str, reader) -> dict[int, str]:
    """The names of those of ``ids`` that ``reader`` may know of (``visible_facilities``)."""
    return {key: name_in(names, language, original) for key, names, original in
            visible_facilities(reader, Facility.id, Facility.names, Facility.original_language)
            .where(Facility.id.in_(list(ids))).tuples()}


# Values listed per facet, the most frequent first; a chosen value is always among them.
FACET_LIMIT = 100


def facets(filters: Filters, language: str, reader, counter=None) -> dict:
    """Counts per facility, country, region, abuse type, perpetrator type, verification status and
    year, each under the other filters; each lists at most ``FACET_LIMIT`` values, the most
    frequent first. Only the facets named in ``filters.facets`` are counted.

    A chosen facility ``reader`` may not know of is left out, as one that does not exist is: its
    name (or even its count of 0 beside its id) would tell that somebody documents something there.
    """
    counter = counter or cache(lambda: counter_for(filters))
    found = {}
    if "facility" in filters.facets:
        counts = counted(counter, filters, "facility", "facility", FACET_LIMIT, filters.facility)
        names = facility_names([value for value, _n in counts], language, reader)
        found["facility"] = [{"value": v, "label": names[v], "count": n} for v, n in counts if v in names]
    if "region" in filters.facets:
        found["region"] = [{"value": v, "label": geo.region_name(v, language), "count": n} for v, n in
                           counted(counter, filters, "region", "region", FACET_LIMIT, [filters.region])]
    for facet, name in (("abuse", "abuse"), ("perpetrator", "perpetrators")):
        if facet in filters.facets:
            found[facet] = [{"value": v, "label": vocab.label(name, v, language), "count": n} for v, n in
                            counted(counter, filters, name, name, FACET_LIMIT, getattr(filters, name))]
    if "country" in filters.facets:
        found["country"] = [{"value": v, "label": geo.country_name(v, language), "count": n} for v, n in
                            counted(counter, filters, "country", "country", FACET_LIMIT, [filters.country])]
    if "verification" in filters.facets:
        found["verification"] = [{"value": v, "label": str(vocab.VERIFICATION_LABELS.get(v, v)), "count": n} for v, n in
                                 counted(counter, filters, "verification", "verification", FACET_LIMIT,
                                          [filters.verification])]
    if "year" in filters.facets:
        found["year"] = [{"value": v, "label": str(v), "count": n}
                         for v, n in sorted(counted(counter, filters, "year", ""), reverse=True)]
    return found
