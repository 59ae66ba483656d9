"""Checks every form and JSON body shares: text, numbers, codes, choices, links, flags.

Each ``clean_*`` takes a raw value, adds its messages to ``errors`` under ``field`` and returns
the clean value, so that a caller can report every field's problems at once.
"""
from __future__ import annotations

import calendar
import datetime
import re
import unicodedata
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from incidents import geo, shape, vocab
from incidents.config import LANGUAGES
from incidents.errors import ValidationFailed
from incidents.shape import MAX_SHORT, MAX_VICTIMS
from incidents.text import CONTROL

MAX_URL = 2000
MAX_ID = 2**31  # ids are 32-bit integers in PostgreSQL


class Errors(dict):
    def add(self, field: str, message) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationFailed(_l("Please correct the marked fields."), dict(self))


def clean_text(value, field: str, errors: Errors, *, required=False, max_length=MAX_SHORT,
               multiline=False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(field, _l("Must be text."))
        return ""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    # A lone carriage return is a line break too (what is left of "\r\n" is "\n" by now).
    if CONTROL.search(value) or (not multiline and any(c in value for c in "\r\n\t")):
        errors.add(field, _l("Contains control characters; please remove them."))
    if len(value) > max_length:
        errors.add(field, _l("Too long: at most %(n)s characters.", n=max_length))
    if required and not value:
        errors.add(field, _l("This field is required."))
    return value


def clean_int(value, field: str, errors: Errors, *, minimum=0, maximum=MAX_VICTIMS):
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        errors.add(field, _l("Must be a whole number."))
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.add(field, _l("Must be a whole number."))
        return None
    if not minimum <= number <= maximum:
        errors.add(field, _l("Must be between %(lo)s and %(hi)s.", lo=minimum, hi=maximum))
        return None
    return number


def clean_code(vocabulary: str, value, field: str, errors: Errors, *, required=False):
    if value in (None, ""):
        if required:
            errors.add(field, _l("This field is required."))
        return None
    if not isinstance(value, str) or not vocab.is_selectable(vocabulary, value):
        errors.add(field, _l("Unknown value: %(value)s.", value=str(value)[:50]))
        return None
    return value


def clean_codes(vocabulary: str, values, field: str, errors: Errors, *, required=False) -> list:
    if values in (None, ""):
        values = []
    if not isinstance(values, list):
        errors.add(field, _l("Must be a list."))
        return []
    codes = [clean_code(vocabulary, v, field, errors) for v in values]
    codes = list(dict.fromkeys(c for c in codes if c))
    if required and not codes and field not in errors:
        errors.add(field, _l("Choose at least one."))
    return codes


def clean_choice(value, allowed, field: str, errors: Errors, default=None):
    if value in (None, "") and default is not None:
        return default
    if value not in allowed:
        errors.add(field, _l("Unknown value: %(value)s.", value=str(value)[:50]))
        return default
    return value


def clean_url(value, field: str, errors: Errors) -> str:
    url = clean_text(value, field, errors, required=True, max_length=MAX_URL)
    if url:
        try:
            parts = urlsplit(url)
            acceptable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        except ValueError:  # e.g. an unclosed IPv6 bracket
            acceptable = False
        if not acceptable:
            errors.add(field, _l("Only http and https links are accepted."))
    return url


def clean_bool(value, field: str, errors: Errors) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        errors.add(field, _l("Must be true or false."))
        return False
    return value


def clean_country(value, field: str, errors: Errors) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not geo.is_country(value.strip().upper()):
        errors.add(field, _l("Unknown country code."))
        return ""
    return value.strip().upper()


def clean_field(field: shape.Field, value, key: str, errors: Errors, today: datetime.date):
    """One value of a declared field (``shape.py``) of a kind that needs no other field to judge it."""
    kind = field.kind
    if kind == shape.TEXT:
        return clean_text(value, key, errors, required=field.required, max_length=field.max_length,
                          multiline=field.multiline)
    if kind == shape.CHOICE:
        if field.required and value in (None, ""):
            errors.add(key, _l("This field is required."))
            return None
        return clean_choice(value, field.choices, key, errors, default=field.default)
    if kind == shape.CODE:
        return clean_code(field.vocabulary, value, key, errors, required=field.required)
    if kind == shape.CODES:
        return clean_codes(field.vocabulary, value, key, errors, required=field.required)
    if kind == shape.INT:
        return clean_int(value, key, errors, maximum=field.maximum)
    if kind == shape.BOOL:
        return clean_bool(value, key, errors)
    if kind == shape.COUNTRY:
        return clean_country(value, key, errors)
    if kind == shape.URL:
        return clean_url(value, key, errors)
    if kind == shape.DATE:
        return clean_known_date(value, key, errors, today)
    if kind == shape.TEXTS:
        return clean_texts(value, key, errors, max_length=field.max_length, multiline=field.multiline)
    raise TypeError(f"{field.name}: a {kind} is cleaned by its caller")


def clean_fields(fields, row: dict, prefix: str, errors: Errors, today: datetime.date | None = None) -> dict:
    """A row of declared fields (a person, a response, a link), with messages under ``prefix-name``."""
    today = today or datetime.date.today()
    return {field.name: row_id(row) if field.kind == shape.ID else
            clean_field(field, row.get(field.name), f"{prefix}-{field.name}", errors, today)
            for field in fields}


def check_translations(row: dict, original: str, errors: Errors, prefix: str = "") -> None:
    """A row's translations (``shape.TRANSLATIONS_OF``: an evidence description, who acted in a
    response) need their original, and never hold it: the original is the text itself."""
    for name, source in shape.TRANSLATIONS_OF.items():
        translations = row.get(name) or {}
        if original in translations:
            errors.add(prefix + name, _l("The text in the original language goes in its own field, not among "
                                         "the translations."))
        elif translations and not row.get(source):
            errors.add(prefix + source, _l("Give this text in the original language as well."))


def as_date(value) -> datetime.date | None:
    """A date from clean data (a date, or None) or from a stored snapshot (ISO text)."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def clean_known_date(value, field: str, errors: Errors, today: datetime.date, since_1900: bool = True) -> str | None:
    """A date as precisely as it is known, typed as 2020, 03.2020, 2020-03, 15.03.2020 or 2020-03-15,
    until ``today`` (and from 1900 ``since_1900``; a file may be a scan of an older photograph): ISO
    8601 text of that precision ('2020', '2020-03', '2020-03-15'), or None.

    A year or a month is kept as such: stored as its first day, a receipt "in March 2020" would read
    as received on 1 March."""
    if value in (None, ""):
        return None
    span = read_partial_date(value)
    if span is None:
        errors.add(field, _l("Must be a date such as 2020-03-15, 2020-03 or 2020."))
        return None
    first, _last, precision = span
    if first > today:
        errors.add(field, _l("This date is in the future."))
        return None
    if since_1900 and first.year < 1900:
        errors.add(field, _l("Dates before 1900 are not accepted."))
        return None
    return known_date(first, precision)


def known_date(day: datetime.date, precision: str) -> str:
    """``day`` written in ISO 8601 only as precisely as ``precision``: '2020', '2020-03' or '2020-03-15'."""
    return day.isoformat()[:{"year": 4, "month": 7}.get(precision, 10)]


def known_date_start(text: str) -> tuple[datetime.date, str]:
    """('2020-03', for example) -> (its first day, its precision)."""
    return datetime.date.fromisoformat((text + "-01-01")[:10]), {4: "year", 7: "month"}.get(len(text), "day")


def row_id(row: dict):
    """The id of an existing person or link being edited; anything else means a new row."""
    value = row.get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < MAX_ID else None


_DATE_FORMS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), ("d", "m", "y")),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), ("y", "m")),
    (re.compile(r"^(\d{1,2})\.(\d{4})$"), ("m", "y")),
    (re.compile(r"^(\d{4})$"), ("y",)),
)


def period_of(day: datetime.date, precision: str) -> tuple[datetime.date, datetime.date]:
    """(first day, last day) of the year or the month ``day`` falls in; for any other precision, the day."""
    if precision == "year":
        return datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31)
    if precision == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day, day


def parse_partial_date(text: str) -> tuple[datetime.date, datetime.date, str] | None:
    """'2020' / '2020-03' / '03.2020' / '2020-03-15' / '15.03.2020' -> (first day, last day, precision).

    :raise ValueError: the text looks like a date but is impossible (31 February).
    """
    for pattern, parts in _DATE_FORMS:
        match = pattern.match(text)
        if not match:
            continue
        values = dict(zip(parts, map(int, match.groups()), strict=True))
        precision = "day" if "d" in values else "month" if "m" in values else "year"
        return (*period_of(datetime.date(values["y"], values.get("m", 1), values.get("d", 1)), precision), precision)
    return None


def read_partial_date(value) -> tuple[datetime.date, datetime.date, str] | None:
    """``parse_partial_date`` of what a person typed (spaces around it allowed), or None for anything
    that is no real date: not text, unreadable, or impossible (31.02.2020)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_partial_date(value.strip())
    except ValueError:
        return None


def clean_texts(value, field: str, errors: Errors, *, max_length: int, multiline: bool = False) -> dict:
    """A mapping language -> text; empty translations are dropped. Titles and names are one line,
    as their form fields are (a browser drops a line break from such a field when it is edited)."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        errors.add(field, _l("Must be a mapping of language to text."))
        return {}
    texts = {}
    for language, text in value.items():
        if language not in LANGUAGES:
            errors.add(field, _l("Unknown language: %(value)s.", value=str(language)[:10]))
            continue
        cleaned = clean_text(text, field, errors, max_length=max_length, multiline=multiline)
        if cleaned:
            texts[language] = cleaned
    return texts
