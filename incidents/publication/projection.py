"""The public projection: what one approved revision shows the public, and its derived rows.

Publishing writes the published incident (public fields only, by ``policy.redact_incident``), its
open-data row, its full-text entry, its terms and the kept facet counts, all in the caller's
transaction; unpublishing removes them. ``workflow.py`` decides when; this module decides what.
"""
from __future__ import annotations

import datetime
from collections import Counter

from incidents import policy, shape
from incidents.models import (
    Facility,
    Incident,
    PublishedIncident,
    PublishedRow,
    PublishedTerm,
    Revision,
    folded,
    utcnow,
)
from incidents.publication import facet_counts, fulltext, open_data_row
from incidents.publication.search_keys import text_keys
from incidents.verification_status import published_item_ids, status_of_items


def _search_text(public: dict, facility: Facility) -> str:
    return folded(*public["title"].values(), *public["narrative"].values(), facility.search_text)


def _search_keys(public: dict, facility: Facility) -> str:
    return " " + text_keys(*public["title"].values(), *public["narrative"].values(),
                           *facility.names.values(), *facility.aliases, *facility.localities.values()) + " "


def refresh_facility(facility: Facility) -> None:
    """After a facility's place or names change, its published incidents follow."""
    rows = list(PublishedIncident.select().where(PublishedIncident.facility == facility))
    for name in ("country", "region"):
        for old, count in Counter(getattr(row, name) for row in rows).items():
            if old != getattr(facility, name):
                facet_counts.move(name, old, getattr(facility, name), count)
    for row in rows:
        row.country, row.region = facility.country, facility.region
        row.search_text = _search_text(row.public_data, facility)
        row.search_keys = _search_keys(row.public_data, facility)
        row.save()
        _write_open_data_row(row, row.public_data)
        fulltext.remove(row.sort_key)
        fulltext.add(row.sort_key, row.search_keys)


def _write_open_data_row(row: PublishedIncident, public: dict) -> None:
    PublishedRow.delete().where(PublishedRow.incident == row.incident_id).execute()
    codes, cells = open_data_row.csv_cells(open_data_row.values_of(row), public)
    PublishedRow.create(sort_key=row.sort_key, incident=row.incident_id, codes=codes, cells=cells)


def unpublish(incident: Incident) -> None:
    """Remove the public projection of ``incident``, if any, with its index entry and counts."""
    row = PublishedIncident.get_or_none(PublishedIncident.incident == incident)
    if row is not None:
        facet_counts.subtract(row, facet_counts.terms_of(row))
        fulltext.remove(row.sort_key)
        row.delete_instance()


def publish(incident: Incident, revision: Revision) -> PublishedIncident:
    """Write the public projection of one revision: public fields only."""
    public = policy.redact_incident(revision.snapshot)
    facility = Facility.get_by_id(public["facility"])
    unpublish(incident)
    date_start = datetime.date.fromisoformat(public["date_start"])
    columns = {field.name: public[field.name] for field in shape.INCIDENT if field.published_column}
    row = PublishedIncident.create(
        incident=incident, reference=incident.reference, **dict(columns, facility=facility, date_start=date_start),
        country=facility.country, region=facility.region, year=date_start.year,
        sort_key=PublishedIncident.key_of(date_start, incident.id),
        public_data=public, search_text=_search_text(public, facility),
        verification=status_of_items(published_item_ids(public)),
        search_keys=_search_keys(public, facility), published_at=utcnow())
    _write_open_data_row(row, public)
    fulltext.add(row.sort_key, row.search_keys)
    terms = {field.vocabulary: list(dict.fromkeys(public[field.name])) for field in shape.TERM_FIELDS}
    rows = [{"incident": row, "vocabulary": name, "code": code} for name, codes in terms.items() for code in codes]
    if rows:
        PublishedTerm.insert_many(rows).execute()
    facet_counts.add(row, terms)
    return row
