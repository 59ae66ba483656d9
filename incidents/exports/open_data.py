"""Open data: the published incidents under a filter, as CSV or JSON, streamed.

Memory stays flat however many rows: rows come from a server-side cursor and leave in chunks
of about ``CHUNK`` characters. A national data set is a million rows, so each CSV row is
mostly text rendered when the incident was published (``open_data_row``); only the cells that
depend on the reader are made here, once per facility or region.
"""
from __future__ import annotations

import json

from incidents import geo
from incidents.db import streamed
from incidents.exports.rows import rows_in_order
from incidents.models import Facility, PublishedIncident, name_in
from incidents.publication.open_data_row import COLUMNS, FIELDS, VALUES, csv_text, fixed_cells
from incidents.search.queries import ordered

CHUNK = 64 * 1024


class _Facilities(dict):
    """Each facility's ``shown((name in the language, type))`` by id, all read at once. A facility
    met that was not there then (created, and an incident published in it, just before the rows
    were read) is read when met."""

    def __init__(self, language: str, shown=tuple) -> None:
        self.language, self.shown = language, shown
        super().__init__(self._read())

    def _read(self, only: int | None = None) -> dict:
        query = Facility.select(Facility.id, Facility.names, Facility.type)
        if only is not None:
            query = query.where(Facility.id == only)
        return {key: self.shown((name_in(names, self.language), kind)) for key, names, kind in query.tuples()}

    def __missing__(self, key: int):
        found = self._read(key)
        self.update(found)
        return found[key]  # KeyError: no such facility at all


def csv_lines(filters, url_prefix: str, language: str, hxl: bool = False):
    """The CSV in chunks: a BOM (spreadsheets then read UTF-8), the header, HXL tags if asked."""
    pieces = ["\ufeff" + csv_text(name for name, _tag in COLUMNS) + "\r\n"]
    if hxl:
        pieces.append(csv_text(tag for _name, tag in COLUMNS) + "\r\n")
    facilities = _Facilities(language, csv_text)
    regions: dict = {}
    size = 0
    # Raw tuples: a model per row would cost more than the rest of the row's work.
    for incident_id, facility_id, region, cells in rows_in_order(filters):
        if region not in regions:
            regions[region] = csv_text([geo.region_name(region, language)])
        line = f"{incident_id},{url_prefix}{incident_id},{facilities[facility_id]},{regions[region]},{cells}\r\n"
        pieces.append(line)
        size += len(line)
        if size >= CHUNK:
            yield "".join(pieces)
            pieces, size = [], 0
    yield "".join(pieces)


def json_chunks(filters, url_prefix: str, language: str):
    facilities = _Facilities(language)
    regions: dict = {}
    pieces, size, separator = ["["], 1, "\n"
    selected = [PublishedIncident.incident, PublishedIncident.public_data, *FIELDS]
    for incident_id, public, *values in streamed(ordered(filters).select(*selected)):
        values = dict(zip(VALUES, values, strict=True))
        region = values["region"]
        if region not in regions:
            regions[region] = geo.region_name(region, language)
        name, kind = facilities[values["facility_id"]]
        data = {"id": incident_id, "url": f"{url_prefix}{incident_id}", "facility": name, "facility_type": kind,
                "region_name": regions[region],
                **fixed_cells(values, json.loads(public) if isinstance(public, str) else public)}
        piece = separator + json.dumps(data, ensure_ascii=False)
        separator = ",\n"
        pieces.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(pieces)
            pieces, size = [], 0
    pieces.append("\n]\n")
    yield "".join(pieces)
