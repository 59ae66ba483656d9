"""Open data: the published incidents under a filter, as CSV or JSON, streamed.

Memory stays flat however many rows: rows come from a server-side cursor and leave in chunks
of about ``CHUNK`` characters. A national data set is a million rows, so each CSV row is
mostly text rendered when the incident was published (``open_data_row``); only the cells that
depend on the reader (labels, names: ``labels``) are made here, once per code, facility or region.
"""
from __future__ import annotations

import json

from incidents.db import streamed
from incidents.exports.labels import Cells, Facilities, Values
from incidents.exports.rows import rows_in_order
from incidents.models import PublishedIncident
from incidents.publication.open_data_row import CODES, COLUMNS, FIELDS, VALUES, csv_bytes, fixed_cells
from incidents.search.queries import ordered

CHUNK = 64 * 1024


def csv_lines(filters, url_prefix: str, language: str, hxl: bool = False):
    """The CSV in chunks of UTF-8: a BOM (spreadsheets then read UTF-8), the header, HXL tags if asked."""
    pieces = ["\ufeff".encode() + csv_bytes(name for name, _tag in COLUMNS) + b"\r\n"]
    if hxl:
        pieces.append(csv_bytes(tag for _name, tag in COLUMNS) + b"\r\n")
    facilities, regions = Facilities(language), Cells("region", language)
    precisions, countries, abuse, perpetrators, statuses, languages = (Cells(name, language) for name in CODES)
    size, prefix = 0, url_prefix.encode()
    # Raw tuples: a model per row would cost more than the rest of the row's work.
    for incident_id, facility_id, region, codes, cells in rows_in_order(filters):
        head, precision, country, abuse_codes, perpetrator_codes, status, original = codes.split(b"\t")
        line = b"%d,%s%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\r\n" % (
            incident_id, prefix, incident_id, head, precisions[precision], countries[country], regions[region],
            facilities[facility_id], abuse[abuse_codes], perpetrators[perpetrator_codes], statuses[status],
            languages[original], cells)
        pieces.append(line)
        size += len(line)
        if size >= CHUNK:
            yield b"".join(pieces)
            pieces, size = [], 0
    yield b"".join(pieces)


def json_chunks(filters, url_prefix: str, language: str):
    facilities = Facilities(language, lambda cells: dict(zip(
        ("facility_id", "facility", "facility_type", "facility_type_label"), cells, strict=True)))
    labelled = {name: Values(name, language) for name in (*CODES, "region")}
    pieces, size, separator = ["["], 1, "\n"
    selected = [PublishedIncident.incident, PublishedIncident.public_data, *FIELDS]
    for incident_id, public, *values in streamed(ordered(filters).select(*selected)):
        cells = fixed_cells(dict(zip(VALUES, values, strict=True)),
                            json.loads(public) if isinstance(public, str) else public)
        for name, found in labelled.items():
            cells.update(found[cells[name]])
        cells.update(facilities[cells["facility_id"]])
        data = {"id": incident_id, "url": f"{url_prefix}{incident_id}", **{name: cells[name] for name, _tag in COLUMNS[2:]}}
        piece = separator + json.dumps(data, ensure_ascii=False)
        separator = ",\n"
        pieces.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(pieces)
            pieces, size = [], 0
    pieces.append("\n]\n")
    yield "".join(pieces)
