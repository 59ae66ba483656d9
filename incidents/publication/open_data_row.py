"""One published incident as a row of open data: its columns, their HXL hashtags, its cells.

Most cells depend on the incident alone; they are rendered once, when the incident is
published, into ``PublishedRow.cells`` (CSV text, already safe to open in a
spreadsheet), so that an export of a million rows streams text instead of building every cell
again. The cells that depend on the reader (the address, names in the reader's language) are
added at export time, in front (see ``exports/open_data.py``).
"""
from __future__ import annotations

import csv
import io
from functools import lru_cache

from incidents import vocab
from incidents.config import LANGUAGES
from incidents.models import PublishedIncident
from incidents.text import safe_cell

# Filled in at export time: they depend on the host, the language or the facility's record.
READER_COLUMNS = (("id", "#meta+id"), ("url", "#meta+url"), ("facility", "#loc+name"),
                  ("facility_type", "#loc+type"), ("region_name", "#adm1+name"))
FIXED_COLUMNS = (
    ("reference", "#meta+ref"),
    ("date_start", "#date+start"), ("date_end", "#date+end"), ("date_precision", "#date+precision"),
    ("country", "#country+code"), ("region", "#adm1+code"), ("facility_id", "#loc+id"),
    ("abuse", "#event+type+code"), ("abuse_huridocs", "#event+type+huridocs"),
    ("perpetrators", "#org+perpetrator+code"), ("perpetrators_huridocs", "#org+perpetrator+huridocs"),
    ("victims_count", "#affected+num"), ("violation_status", "#status+code"),
    ("violation_status_huridocs", "#status+huridocs"), ("graphic", "#meta+graphic"),
    ("original_language", "#meta+lang"),
    *((f"title_{lang}", f"#description+title+i_{lang}") for lang in LANGUAGES),
    *((f"narrative_{lang}", f"#description+i_{lang}") for lang in LANGUAGES),
    ("published_at", "#date+published"),
)
COLUMNS = READER_COLUMNS + FIXED_COLUMNS


@lru_cache(maxsize=4096)
def _codes(name: str, codes: tuple[str, ...]) -> tuple[str, str]:
    terms = [vocab.get(name, code) for code in codes]
    return ";".join(codes), ";".join(term.huridocs if term else "" for term in terms)


def _text(value) -> str:
    """A date or time as ISO text, whether the driver gave text (SQLite) or an object."""
    return "" if value is None else str(value).replace(" ", "T")


# The projection's columns a row is made of, besides its public data.
VALUES = ("reference", "date_start", "date_end", "date_precision", "country", "region", "facility_id",
          "victims_count", "violation_status", "graphic", "original_language", "published_at")


# The same, as fields of ``PublishedIncident`` to select.
FIELDS = [getattr(PublishedIncident, name.removesuffix("_id")) for name in VALUES]


def values_of(row) -> dict:
    """``VALUES`` of a ``PublishedIncident``."""
    return {name: getattr(row, name) for name in VALUES}


def fixed_cells(values: dict, public: dict) -> dict:
    """The cells that depend on the incident alone: from ``VALUES`` and the public data
    (terms, titles and narratives)."""
    abuse, abuse_huridocs = _codes("abuse", tuple(public.get("abuse", ())))
    perpetrators, perpetrators_huridocs = _codes("perpetrators", tuple(public.get("perpetrators", ())))
    status = values["violation_status"]
    term = vocab.get("violation_status", status) if status else None
    title, narrative = public.get("title", {}), public.get("narrative", {})
    return {
        "reference": values["reference"], "date_start": _text(values["date_start"]),
        "date_end": _text(values["date_end"]), "date_precision": values["date_precision"],
        "country": values["country"], "region": values["region"] or "", "facility_id": values["facility_id"],
        "abuse": abuse, "abuse_huridocs": abuse_huridocs, "perpetrators": perpetrators,
        "perpetrators_huridocs": perpetrators_huridocs, "victims_count": values["victims_count"],
        "violation_status": status or "", "violation_status_huridocs": term.huridocs if term else "",
        "graphic": bool(values["graphic"]), "original_language": values["original_language"],
        **{f"title_{lang}": title.get(lang, "") for lang in LANGUAGES},
        **{f"narrative_{lang}": narrative.get(lang, "") for lang in LANGUAGES},
        "published_at": _text(values["published_at"]) + "Z",
    }


def csv_text(cells) -> str:
    """Cells as one CSV line without its line break, each defused for spreadsheets."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([safe_cell(cell) for cell in cells])
    return buffer.getvalue()


def csv_cells(values: dict, public: dict) -> str:
    """The incident's fixed cells as CSV text, in ``FIXED_COLUMNS`` order."""
    cells = fixed_cells(values, public)
    return csv_text(cells[name] for name, _tag in FIXED_COLUMNS)
