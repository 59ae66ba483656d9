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


def _facilities(language: str) -> dict[int, tuple[str, str]]:
    return {key: (name_in(names, language), kind) for key, names, kind in
            Facility.select(Facility.id, Facility.names, Facility.type).tuples()}


def csv_lines(filters, url_prefix: str, language: str, hxl: bool = False):
    """The CSV in chunks: a BOM (spreadsheets then read UTF-8), the header, HXL tags if asked."""
    pieces = ["\ufeff" + csv_text(name for name, _tag in COLUMNS) + "\r\n"]
    if hxl:
        pieces.append(csv_text(tag for _name, tag in COLUMNS) + "\r\n")
    facilities = {key: csv_text(cells) for key, cells in _facilities(language).items()}
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
    facilities = _facilities(language)
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
