"""One published incident as a row of open data: its columns, their HXL hashtags, its cells.

Most cells depend on the incident alone; they are rendered once, when the incident is
published, into ``PublishedRow`` (CSV text, already safe to open in a spreadsheet), so that an
export of a million rows streams text instead of building every cell again: ``cells`` holds
the texts and numbers, ``codes`` the head of the row and the codes its labels are read from.
Every coded column has a label column beside it, in the reader's language; those, and the
cells that depend on the reader (the address, the facility's name), are added at export time
(see ``exports/labels.py``).
"""
from __future__ import annotations

import csv
import io
from functools import lru_cache

from incidents import vocab
from incidents.config import LANGUAGES
from incidents.models import PublishedIncident
from incidents.text import safe_cell

# The row's first cells: written by the export from the incident's id and the host.
READER_COLUMNS = (("id", "#meta+id"), ("url", "#meta+url"))
# Rendered at publication, into the head of ``PublishedRow.codes``.
HEAD_COLUMNS = (("reference", "#meta+ref"), ("date_start", "#date+start"), ("date_end", "#date+end"))
# Each code with its label in the reader's language beside it (and its HURIDOCS code, where the
# vocabulary files under one), written by the export from ``codes``, the facility and the region.
CODED_COLUMNS = (
    ("date_precision", "#date+precision"), ("date_precision_label", "#date+precision+name"),
    ("country", "#country+code"), ("country_name", "#country+name"),
    ("region", "#adm1+code"), ("region_name", "#adm1+name"),
    ("facility_id", "#loc+id"), ("facility", "#loc+name"),
    ("facility_type", "#loc+type"), ("facility_type_label", "#loc+type+name"),
    ("abuse", "#event+type+code"), ("abuse_labels", "#event+type+name"),
    ("abuse_huridocs", "#event+type+huridocs"),
    ("perpetrators", "#org+perpetrator+code"), ("perpetrators_labels", "#org+perpetrator+name"),
    ("perpetrators_huridocs", "#org+perpetrator+huridocs"),
    ("violation_status", "#status+code"), ("violation_status_label", "#status+name"),
    ("violation_status_huridocs", "#status+huridocs"),
    ("original_language", "#meta+lang"), ("original_language_name", "#meta+lang+name"),
)
# Rendered at publication into ``PublishedRow.cells``.
FIXED_COLUMNS = (
    ("victims_count", "#affected+num"), ("graphic", "#meta+graphic"),
    *((f"title_{lang}", f"#description+title+i_{lang}") for lang in LANGUAGES),
    *((f"narrative_{lang}", f"#description+i_{lang}") for lang in LANGUAGES),
    ("published_at", "#date+published"),
)
COLUMNS = READER_COLUMNS + HEAD_COLUMNS + CODED_COLUMNS + FIXED_COLUMNS
# The codes ``PublishedRow.codes`` holds after its head, in this order, separated by tabs (no code
# and no head cell holds one: the head is a reference the system gives and two ISO dates).
CODES = ("date_precision", "country", "abuse", "perpetrators", "violation_status", "original_language")


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


@lru_cache(maxsize=4096)
def huridocs_of(name: str, codes: str) -> str:
    """The HURIDOCS codes of ``codes`` (joined by ";") of vocabulary ``name``, joined alike."""
    terms = [vocab.get(name, code) for code in codes.split(";")] if codes else []
    return ";".join(term.huridocs or "" if term else "" for term in terms)


def fixed_cells(values: dict, public: dict) -> dict:
    """The cells that depend on the incident alone, by column name: from ``VALUES`` and the public
    data (terms, titles and narratives). Codes only: labels depend on the reader."""
    abuse, perpetrators = ";".join(public.get("abuse", ())), ";".join(public.get("perpetrators", ()))
    status = values["violation_status"] or ""
    title, narrative = public.get("title", {}), public.get("narrative", {})
    return {
        "reference": values["reference"], "date_start": _text(values["date_start"]),
        "date_end": _text(values["date_end"]), "date_precision": values["date_precision"],
        "country": values["country"], "region": values["region"] or "", "facility_id": values["facility_id"],
        "abuse": abuse, "abuse_huridocs": huridocs_of("abuse", abuse), "perpetrators": perpetrators,
        "perpetrators_huridocs": huridocs_of("perpetrators", perpetrators), "victims_count": values["victims_count"],
        "violation_status": status, "violation_status_huridocs": huridocs_of("violation_status", status),
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


def csv_bytes(cells) -> bytes:
    """``csv_text`` as UTF-8, as the CSV export writes it."""
    return csv_text(cells).encode()


def csv_cells(values: dict, public: dict) -> tuple[str, str]:
    """(``codes``, ``cells``) of ``PublishedRow``: the head as CSV text and the codes, tab-separated;
    the fixed cells as CSV text, in ``FIXED_COLUMNS`` order."""
    cells = fixed_cells(values, public)
    head = csv_text(cells[name] for name, _tag in HEAD_COLUMNS)
    return "\t".join([head, *(str(cells[name]) for name in CODES)]), csv_text(
        cells[name] for name, _tag in FIXED_COLUMNS)
