"""The reader's language, and dates and texts shown in it."""
from __future__ import annotations

import datetime

from babel.dates import format_skeleton
from flask import request, session
from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .config import LANGUAGES


def select_locale() -> str:
    """``?lang=`` on this request, then the user's setting, then the switcher, then the browser."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    return request.accept_languages.best_match(LANGUAGES) or "en"


def language() -> str:
    return str(get_locale() or "en")


def pick_text(texts: dict, original: str, lang: str | None = None) -> tuple[str, str]:
    """(text, its language): the reader's language when translated, else the original."""
    lang = lang or language()
    if texts.get(lang):
        return texts[lang], lang
    if texts.get(original):
        return texts[original], original
    for other, text in texts.items():
        if text:
            return text, other
    return "", original


def _as_date(value) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def _format_one(day: datetime.date, precision: str) -> str:
    locale = get_locale()
    if precision == "year":
        return str(day.year)
    if precision == "month":
        return format_skeleton("yMMMM", day, locale=locale)
    return format_date(day, "long")


def format_incident_date(start, end, precision: str) -> str:
    """'15 March 2020', 'March 2020', '2020', 'c. 2020', or a range, in the reader's locale."""
    start, end = _as_date(start), _as_date(end)
    if start is None:
        return ""
    if precision == "circa":
        return _l("c. %(date)s", date=format_date(start, "long") if start.day != 1 or start.month != 1
                  else str(start.year))
    text = _format_one(start, precision)
    implied_end = _implied_end(start, precision)
    if end and end != implied_end and end != start:
        end_precision = "day" if precision == "day" else precision
        end_text = _format_one(end, end_precision)
        if end_text != text:
            return f"{text} – {end_text}"
    return text


def _implied_end(start: datetime.date, precision: str) -> datetime.date:
    if precision == "year":
        return datetime.date(start.year, 12, 31)
    if precision == "month":
        next_month = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return next_month - datetime.timedelta(days=1)
    return start
