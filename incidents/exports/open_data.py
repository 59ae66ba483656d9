"""Open data: the published incidents under a filter, as CSV or JSON, streamed row by row.

Memory stays flat however many rows: rows are read with a server-side iterator and written
out one at a time. Every cell a spreadsheet could take for a formula is defused.
"""
from __future__ import annotations

import csv
import io
import json

from .. import geo, vocab
from ..config import LANGUAGES
from ..models import Facility, PublishedIncident
from ..search import service as search
from ..text import safe_cell


COLUMNS = (
    ("id", "#meta+id"), ("reference", "#meta+ref"), ("url", "#meta+url"),
    ("date_start", "#date+start"), ("date_end", "#date+end"), ("date_precision", "#date+precision"),
    ("country", "#country+code"), ("region", "#adm1+code"), ("region_name", "#adm1+name"),
    ("facility_id", "#loc+id"), ("facility", "#loc+name"), ("facility_type", "#loc+type"),
    ("abuse", "#event+type+code"), ("abuse_huridocs", "#event+type+huridocs"),
    ("perpetrators", "#org+perpetrator+code"), ("perpetrators_huridocs", "#org+perpetrator+huridocs"),
    ("victims_count", "#affected+num"), ("violation_status", "#status+code"),
    ("violation_status_huridocs", "#status+huridocs"), ("graphic", "#meta+graphic"),
    ("original_language", "#meta+lang"),
    *((f"title_{lang}", f"#description+title+i_{lang}") for lang in LANGUAGES),
    *((f"narrative_{lang}", f"#description+i_{lang}") for lang in LANGUAGES),
    ("published_at", "#date+published"),
)


def _codes(name: str, codes: list[str]) -> tuple[str, str]:
    terms = [vocab.get(name, code) for code in codes]
    return ";".join(codes), ";".join(term.huridocs if term else "" for term in terms)


def record(row: PublishedIncident, facility: Facility, url_for_incident, language: str) -> dict:
    data = row.public_data
    abuse, abuse_huridocs = _codes("abuse", data.get("abuse", []))
    perpetrators, perpetrators_huridocs = _codes("perpetrators", data.get("perpetrators", []))
    status = vocab.get("violation_status", row.violation_status) if row.violation_status else None
    return {
        "id": row.incident_id, "reference": row.reference, "url": url_for_incident(row.incident_id),
        "date_start": row.date_start.isoformat(), "date_end": row.date_end.isoformat() if row.date_end else "",
        "date_precision": row.date_precision, "country": row.country, "region": row.region or "",
        "region_name": geo.region_name(row.region, language), "facility_id": facility.id,
        "facility": search.facility_name(facility, language), "facility_type": facility.type,
        "abuse": abuse, "abuse_huridocs": abuse_huridocs, "perpetrators": perpetrators,
        "perpetrators_huridocs": perpetrators_huridocs, "victims_count": row.victims_count,
        "violation_status": row.violation_status or "",
        "violation_status_huridocs": status.huridocs if status else "", "graphic": row.graphic,
        "original_language": row.original_language,
        **{f"title_{lang}": row.title.get(lang, "") for lang in LANGUAGES},
        **{f"narrative_{lang}": row.narrative.get(lang, "") for lang in LANGUAGES},
        "published_at": row.published_at.isoformat() + "Z",
    }


def _rows(filters, url_for_incident, language: str):
    facilities: dict[int, Facility] = {}
    query = search.ordered(filters)
    for row in query.iterator():
        facility = facilities.get(row.facility_id)
        if facility is None:
            facility = facilities[row.facility_id] = Facility.get_by_id(row.facility_id)
        yield record(row, facility, url_for_incident, language)


def csv_lines(filters, url_for_incident, language: str, hxl: bool = False):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells) -> str:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff" + line([name for name, _tag in COLUMNS])  # the BOM tells spreadsheets it is UTF-8
    if hxl:
        yield line([tag for _name, tag in COLUMNS])
    for data in _rows(filters, url_for_incident, language):
        yield line([safe_cell(data[name]) for name, _tag in COLUMNS])


def json_chunks(filters, url_for_incident, language: str):
    yield "["
    first = True
    for data in _rows(filters, url_for_incident, language):
        yield ("" if first else ",") + "\n" + json.dumps(data, ensure_ascii=False)
        first = False
    yield "\n]\n"
