"""The cells of an export that depend on its reader: each code with its label in the language
asked beside it, and the facility's name.

A million rows hold few distinct codes, so each code's cells are made once per export, when first
met, and kept as CSV text in UTF-8 bytes (``Cells``: the CSV export writes bytes, rows.py) or as
values (``Values``, for JSON). Labels are written in the export's language whatever the page's
(``force_locale``), since ``lang`` chooses it.
"""
from __future__ import annotations

from flask_babel import force_locale

from incidents import geo, i18n, vocab
from incidents.models import Facility, name_in
from incidents.publication.open_data_row import csv_bytes, huridocs_of

# Between the labels of a column of several codes: no label holds it (some hold ";").
LABELS_JOINED = " | "


def _terms(name: str, codes: str, language: str) -> list:
    labels = LABELS_JOINED.join(vocab.label(name, code, language) for code in codes.split(";")) if codes else ""
    return [codes, labels, huridocs_of(name, codes)]


def _one(name: str):
    def made(code: str, language: str) -> list:
        return [code, vocab.label(name, code, language) if code else "", huridocs_of(name, code)]
    return made


def _precision(code: str, language: str) -> list:
    label = vocab.DATE_PRECISION_LABELS.get(code)
    return [code, str(label) if label else code]


# Each coded column of the row (``open_data_row.CODES``): its code's cells, as names and values.
MAKERS = {
    "date_precision": (("date_precision", "date_precision_label"), _precision),
    "country": (("country", "country_name"), lambda code, language: [code, geo.country_name(code, language)]),
    "region": (("region", "region_name"), lambda code, language: [code or "", geo.region_name(code, language)]),
    "abuse": (("abuse", "abuse_labels", "abuse_huridocs"), lambda codes, language: _terms("abuse", codes, language)),
    "perpetrators": (("perpetrators", "perpetrators_labels", "perpetrators_huridocs"),
                     lambda codes, language: _terms("perpetrators", codes, language)),
    "violation_status": (("violation_status", "violation_status_label", "violation_status_huridocs"),
                         _one("violation_status")),
    "original_language": (("original_language", "original_language_name"),
                          lambda code, language: [code, i18n.language_name(code)]),
}


class Cells(dict):
    """One coded column's cells by code, as the row holds it (bytes, or text), as CSV bytes, made when first met."""

    def __init__(self, column: str, language: str) -> None:
        super().__init__()
        self.make, self.language = MAKERS[column][1], language

    def made(self, code) -> list:
        with force_locale(self.language):
            return self.make(code.decode() if isinstance(code, bytes) else code, self.language)

    def __missing__(self, code):
        self[code] = text = csv_bytes(self.made(code))
        return text


class Values(Cells):
    """The same as a mapping of column names to values, for JSON."""

    def __init__(self, column: str, language: str) -> None:
        super().__init__(column, language)
        self.names = MAKERS[column][0]

    def __missing__(self, code):
        self[code] = found = dict(zip(self.names, self.made(code), strict=True))
        return found


class Facilities(dict):
    """Each facility's cells by id, all read at once: (id, name in the language, type, its label),
    through ``shown``. A facility met that was not there then (created, and an incident published in
    it, just before the rows were read) is read when met."""

    def __init__(self, language: str, shown=csv_bytes) -> None:
        self.language, self.shown = language, shown
        super().__init__(self._read())

    def _read(self, only: int | None = None) -> dict:
        query = Facility.select(Facility.id, Facility.names, Facility.original_language, Facility.type)
        if only is not None:
            query = query.where(Facility.id == only)
        return {key: self.shown([key, name_in(names, self.language, original), kind,
                                 vocab.label("facility_types", kind, self.language)])
                for key, names, original, kind in query.tuples()}

    def __missing__(self, key: int):
        found = self._read(key)
        self.update(found)
        return found[key]  # KeyError: no such facility at all
