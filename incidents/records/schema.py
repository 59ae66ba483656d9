"""Validation of incident and facility input, shared by the pages and the JSON API.

Each ``clean_*`` function takes plain data (what a form or a JSON body carried) and returns
clean data in the snapshot shape, or raises ``ValidationFailed`` with every field's
messages at once, so nothing is saved unless everything is right.
"""
from __future__ import annotations

import datetime
import math
import re

from flask_babel import lazy_gettext as _l

from incidents import geo, shape
from incidents.config import LANGUAGES
from incidents.errors import BadRequest
from incidents.models import DATE_PRECISIONS, Facility
from incidents.shape import MAX_SHORT
from incidents.validation import (
    MAX_ID,
    Errors,
    check_translations,
    clean_choice,
    clean_code,
    clean_field,
    clean_fields,
    clean_text,
    clean_texts,
    parse_partial_date,
    period_of,
)

MAX_ALIASES = 50


_PRECISION_RANK = {"year": 1, "month": 2, "day": 3, "circa": 0}


def clean_dates(data: dict, errors: Errors, today: datetime.date) -> dict:
    """Start and end with a precision. A start of '2020' with precision 'year' spans all of 2020.

    Without a precision, the start as written gives it ('2020': a year; '2020-03': a month; a full
    date: a day): nothing more precise than what was said.
    """
    stated = data.get("date_precision") not in (None, "")
    precision = clean_choice(data.get("date_precision"), DATE_PRECISIONS, "date_precision", errors) \
        if stated else None
    spans = {}
    for field in ("date_start", "date_end"):
        raw = data.get(field)
        if raw in (None, ""):
            if field == "date_start":
                errors.add(field, _l("This field is required."))
            continue
        if not isinstance(raw, str):
            errors.add(field, _l("Must be a date such as 2020-03-15, 2020-03 or 2020."))
            continue
        try:
            span = parse_partial_date(raw.strip())
        except ValueError:
            errors.add(field, _l("This date does not exist."))
            continue
        if span is None:
            errors.add(field, _l("Must be a date such as 2020-03-15, 2020-03 or 2020."))
            continue
        if span[0].year < 1900:
            errors.add(field, _l("Dates before 1900 are not accepted."))
            continue
        if span[0] > today:
            errors.add(field, _l("This date is in the future."))
            continue
        spans[field] = span
    if errors.get("date_start") or "date_start" not in spans:
        return {"date_start": None, "date_end": None, "date_precision": precision}
    start, start_end, given = spans["date_start"]
    precision = precision if stated else given
    if _PRECISION_RANK[given] < _PRECISION_RANK.get(precision, 0):
        errors.add("date_start", _l("Give the full date, or choose a broader precision."))
    # A month or a year precision covers the whole month or year unless an end is given; an
    # approximate date covers what was typed ("circa 2020" is all of 2020).
    if precision in ("year", "month"):
        start, start_end = period_of(start, precision)
    end = spans["date_end"][1] if "date_end" in spans else (
        start_end if precision in ("month", "year", "circa") and start_end != start else None)
    if end is not None and end < start:
        errors.add("date_end", _l("The end is before the start."))
    return {"date_start": start, "date_end": end, "date_precision": precision}


def _clean_rows(rows, field: str, errors: Errors, limit: int, fields, today: datetime.date) -> list:
    if rows in (None, ""):
        return []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        errors.add(field, _l("Must be a list of objects."))
        return []
    if len(rows) > limit:
        errors.add(field, _l("Too many entries: at most %(n)s.", n=limit))
        return []
    return [clean_fields(fields, row, f"{field}-{i}", errors, today) for i, row in enumerate(rows)]


def _links_only(rows):
    if isinstance(rows, list):
        return [row for row in rows if not (isinstance(row, dict) and row.get("sha256"))]
    return rows


def clean_incident(data: dict, *, max_text: int, today: datetime.date | None = None,
                   facility_pending: bool = False) -> dict:
    """Validate a whole incident; ``facility_pending`` when its facility is being created with it.

    :raise ValidationFailed: with every field's messages; nothing is half-accepted.
    """
    if not isinstance(data, dict):
        raise BadRequest(_l("Expected a JSON object."))
    errors = Errors()
    today = today or datetime.date.today()
    clean = clean_dates(data, errors, today)
    facility = data.get("facility")
    if isinstance(facility, str) and facility.isdecimal() and len(facility) < 11:
        facility = int(facility)
    if facility_pending:
        facility = None
    elif not isinstance(facility, int) or isinstance(facility, bool) or not 0 < facility < MAX_ID or \
            Facility.get_or_none(Facility.id == facility) is None:
        errors.add("facility", _l("Choose a facility."))
        facility = None
    clean["facility"] = facility
    for field in shape.INCIDENT:
        if field.name in clean or not field.writable:
            continue
        clean[field.name] = _clean_incident_field(field, data.get(field.name), errors, today, max_text)
        if field.kind == shape.TEXTS and field.required and field.name not in errors \
                and clean["original_language"] not in clean[field.name]:
            errors.add(field.name, field.missing)
    for name in shape.TRANSLATED_ROWS:
        for index, row in enumerate(clean.get(name) or []):
            check_translations(row, clean["original_language"], errors, f"{name}-{index}-")
    errors.raise_if_any()
    return clean


def _clean_incident_field(field: shape.Field, value, errors: Errors, today: datetime.date, max_text: int):
    if field.kind == shape.TEXTS:
        return clean_texts(value, field.name, errors, max_length=field.max_length or max_text,
                           multiline=field.multiline)
    if field.kind == shape.ROWS:
        if field.name == "evidence":  # preserved files are attached and described on their own pages
            value = _links_only(value)
        return _clean_rows(value, field.name, errors, field.maximum, shape.ROW_SHAPES[field.name], today)
    return clean_field(field, value, field.name, errors, today)


def clean_facility(data: dict) -> dict:
    """Validate a facility.

    :raise ValidationFailed: with every field's messages.
    """
    if not isinstance(data, dict):
        raise BadRequest(_l("Expected a JSON object."))
    errors = Errors()
    names = clean_texts(data.get("names"), "names", errors, max_length=MAX_SHORT)
    if "names" not in errors and not names:
        errors.add("names", _l("Give the facility's name in at least one language."))
    aliases = data.get("aliases") or []
    if isinstance(aliases, str):
        aliases = [a for a in re.split(r"[\n;]", aliases)]
    if not isinstance(aliases, list) or len(aliases) > MAX_ALIASES:
        errors.add("aliases", _l("Too many entries: at most %(n)s.", n=MAX_ALIASES))
        aliases = []
    aliases = list(dict.fromkeys(a for a in (clean_text(a, "aliases", errors) for a in aliases) if a))
    country = data.get("country")
    country = country.strip().upper() if isinstance(country, str) else country
    if not isinstance(country, str) or not geo.is_country(country):
        errors.add("country", _l("Choose a country."))
    region = data.get("region") or None
    region = region.strip().upper() if isinstance(region, str) else region
    if region is not None and (not isinstance(region, str) or not geo.is_region_of(region, country)):
        errors.add("region", _l("Choose a region of the chosen country."))
        region = None
    latitude = _clean_coordinate(data.get("latitude"), "latitude", errors, 90)
    longitude = _clean_coordinate(data.get("longitude"), "longitude", errors, 180)
    if (latitude is None) != (longitude is None) and not errors.get("latitude") \
            and not errors.get("longitude"):
        errors.add("longitude", _l("Give both coordinates or neither."))
    original = _facility_language(data.get("original_language"), names, errors)
    clean = {
        "names": names,
        "original_language": original,
        "aliases": aliases,
        "type": clean_code("facility_types", data.get("type"), "type", errors, required=True),
        "country": country,
        "region": region,
        "localities": _versions(data, "locality", "localities", original, errors),
        "latitude": latitude,
        "longitude": longitude,
        "authorities": _versions(data, "authority", "authorities", original, errors),
        "notes": clean_text(data.get("notes"), "notes", errors, max_length=5000, multiline=True),
    }
    errors.raise_if_any()
    return clean


def _facility_language(value, names: dict, errors: Errors) -> str:
    """The language of a facility's original texts: as given, else that of its only name, else
    English when it has an English name (as clients that never sent one meant it)."""
    if value in (None, ""):
        return next(iter(names)) if len(names) == 1 else "en" if "en" in names or not names else min(names)
    if value not in LANGUAGES:
        errors.add("original_language", _l("Unknown language: %(value)s.", value=str(value)[:10]))
        return "en"
    if names and value not in names:
        errors.add("names", _l("Give the facility's name in its original language."))
    return value


def _versions(data: dict, single: str, plural: str, original: str, errors: Errors) -> dict:
    """A facility's text per language (``localities``), or one text (``locality``, as clients sent it
    before there were versions) taken as the original's."""
    if data.get(plural) not in (None, ""):
        return clean_texts(data.get(plural), plural, errors, max_length=MAX_SHORT)
    text = clean_text(data.get(single), single, errors)
    return {original: text} if text else {}


def _clean_coordinate(value, field: str, errors: Errors, limit: int):
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        errors.add(field, _l("Must be a number."))
        return None
    if isinstance(value, bool) or not math.isfinite(number) or not -limit <= number <= limit:
        errors.add(field, _l("Must be between %(lo)s and %(hi)s.", lo=-limit, hi=limit))
        return None
    return number
