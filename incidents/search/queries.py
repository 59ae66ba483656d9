"""Queries over published incidents (the public projection) and, for staff, working copies.

Only ``PublishedIncident`` rows are ever returned to the public; it holds public fields only.
"""
from __future__ import annotations

from functools import cache

from incidents.models import Facility, Incident, IncidentTerm, PublishedIncident
from incidents.publication import fulltext
from incidents.publication.search_keys import passage, query_keys
from incidents.search.facets import counter_for, facets, in_memory, selected_total
from incidents.search.filters import Filters, Page, narrowed, narrowing, narrows, overlapping


def ordered(filters: Filters):
    """Published incidents under every filter, in the list's order: for exports."""
    query, order = narrowed(filters)
    return query.order_by(order.desc() if filters.sort == "-date" else order)


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
    query = overlapping(query, Incident, filters)
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


# What lists show: every column but the long ones kept for searching and exporting.
LISTED = [field for name, field in PublishedIncident._meta.fields.items()
          if name not in ("search_text", "search_keys")]


def search_published(filters: Filters, language: str, reader, columns=LISTED) -> Page:
    """A page of published incidents under ``filters`` (each with ``columns``), their total and
    the facets ``filters.facets`` names, naming only facilities ``reader`` may know of."""
    descending = filters.sort == "-date"
    offset = (filters.page - 1) * filters.per_page
    words = query_keys(filters.q) if filters.q else []
    counter = cache(lambda: counter_for(filters))  # built once, and only if something needs it
    if words and not narrows(filters, skip="q"):
        # Words alone: the full-text index pages by itself, in list order; it counts too, unless the
        # arrays count in memory, where a common word's incidents are kept (facet_index.matching).
        total = counter().total() if in_memory() else fulltext.count(words)
        items = _in_order(fulltext.page(words, descending, filters.per_page, offset), columns)
    else:
        query, order = narrowed(filters)
        total = selected_total(filters, counter)
        # One filter (an index of its own) or none: SQL. Several: the counter's page, if it has one.
        keys = counter().page(descending, filters.per_page, offset) if len(narrowing(filters)) > 1 else None
        if keys is None:
            items = list(query.select(*columns).order_by(order.desc() if descending else order)
                         .limit(filters.per_page).offset(offset))
        else:
            items = _in_order(keys, columns)
    return Page(items, total, filters.page, filters.per_page, facets(filters, language, reader, counter))


def _in_order(keys: list[int], columns) -> list:
    """The published incidents with these sort keys, in their order (one withdrawn since is left out)."""
    rows = {row.sort_key: row for row in PublishedIncident.select(PublishedIncident.sort_key, *columns)
            .where(PublishedIncident.sort_key.in_(keys))}
    return [rows[key] for key in keys if key in rows]


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
