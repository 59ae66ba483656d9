"""The reader's language, and dates and texts shown in it."""
from __future__ import annotations

import calendar
import datetime
import functools

from babel import Locale, UnknownLocaleError
from babel.dates import DateTimePattern, match_skeleton, parse_pattern
from flask import has_request_context, request, session
from flask_babel import format_decimal, format_number, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from incidents.config import CHOSEN_LANGUAGE, LANGUAGES
from incidents.validation import as_date, known_date_start


def select_locale() -> str:
    """The language of this answer, the first of:

    1. ``?lang=`` on this request (a link to one page in a language; it changes no choice);
    2. the choice made in this browser most recently, before or after signing in (kept in the
       session, which carries it across sign-in, sign-out and an ended session: see
       ``accounts/sessions.py``); signing in stores it on the account, so a choice on the sign-in
       page wins over an older one the account kept;
    3. the account's stored language, chosen on another device or in an earlier session;
    4. the browser's Accept-Language, and English when it names none of ours.

    Outside a request (a command, a message rendered after it) nobody is asking: English, unless the
    caller chose a language with ``force_locale`` (each command takes the terminal's, cli/common.py).
    """
    if not has_request_context():
        return "en"
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    if session.get(CHOSEN_LANGUAGE) in LANGUAGES:
        return session[CHOSEN_LANGUAGE]
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    return request.accept_languages.best_match(LANGUAGES) or "en"


def language() -> str:
    return str(get_locale() or "en")


def language_name(code: str) -> str:
    """A language's name in the reader's language ("Russian", "русский", "російська")."""
    try:
        name = Locale.parse(code).get_display_name(language()) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[0].upper() + name[1:] if language() == "en" else name


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


# Whole phrases, one per language, rather than a name put into one: Russian and Ukrainian decline
# the name after "from" and "in" («переведено с украинского», «оригинал на английском»).
TRANSLATED_FROM = {"en": _l("translated from English"), "ru": _l("translated from Russian"),
                   "uk": _l("translated from Ukrainian")}
ORIGINAL_IN = {"en": _l("not translated: the original, in English"),
               "ru": _l("not translated: the original, in Russian"),
               "uk": _l("not translated: the original, in Ukrainian")}


def version_note(texts: dict, original: str, lang: str | None = None, *,
                 say_translated: bool = True) -> tuple[str, str]:
    """(text, note): the version in the reader's language, else the original; the note says which
    ("translated from Russian", "not translated: the original, in English"), empty for the original
    read in its own language, and for a translation unless ``say_translated`` (a title in a list:
    what a reader must know there is only that it is not in their language)."""
    lang = lang or language()
    text, shown = pick_text(texts, original, lang)
    if not text or (shown == lang == original) or (shown == lang and not say_translated):
        return text, ""
    if shown == lang:
        return text, str(TRANSLATED_FROM.get(original, original))
    if shown == original:
        return text, str(ORIGINAL_IN.get(original, original))
    return text, str(_l("in %(language)s", language=language_name(shown)))


def with_original(text: str, original: str, translations: dict | None) -> dict:
    """Every version of a text kept as its original and its translations (an evidence item's
    description): language -> text, as a title's versions are, for ``pick_text`` to choose from."""
    return {**(translations or {}), **({original: text} if text else {})}


# A list page writes a hundred dates and a few hundred counts; Babel's functions look the locale's
# pattern up again for each (a quarter of the page's rendering). The patterns are looked up once per
# locale here and applied as Babel applies them: the same text (tests/guarantees/test_i18n.py).
@functools.lru_cache(maxsize=16)
def _date_pattern(locale: Locale, grain: str) -> DateTimePattern:
    if grain == "month":  # as babel.dates.format_skeleton finds the pattern
        skeletons = locale.datetime_skeletons
        return parse_pattern(skeletons["yMMMM" if "yMMMM" in skeletons else match_skeleton("yMMMM", skeletons)])
    return locale.date_formats["long"]


def _format_one(day: datetime.date, grain: str) -> str:
    if grain == "year":
        return str(day.year)
    return _formatted(get_locale(), day, grain)


# The same days recur on every list page (the newest incidents' above all); a day in one language
# is written the same way every time. 4,096 of them: about a megabyte.
@functools.lru_cache(maxsize=4096)
def _formatted(locale: Locale, day: datetime.date, grain: str) -> str:
    return _date_pattern(locale, grain).apply(day, locale)


@functools.lru_cache(maxsize=16)
def _grouping(locale: Locale) -> tuple[str, str] | None:
    """(group separator, minus sign) where the locale groups whole numbers by thousands; else None."""
    pattern = locale.decimal_formats[None]
    if pattern.grouping != (3, 3) or pattern.prefix != ("", "-"):
        return None
    symbols = locale.number_symbols[locale.default_numbering_system]
    return symbols["group"], symbols["minusSign"]


def format_count(number) -> str:
    """A number as Flask-Babel's ``numberformat`` writes it ("12,345", "12 345"): whole numbers
    without Babel's per-call work."""
    grouping = _grouping(get_locale()) if type(number) is int else None
    if grouping is None:
        return format_number(number)
    group, minus = grouping
    text = f"{abs(number):,}".replace(",", group)
    return minus + text if number < 0 else text


def _month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _grain(start: datetime.date, end: datetime.date | None) -> str:
    """How precise an approximate span is: a whole year, a whole month, or days."""
    if end is None or end == start:
        return "day"
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        return "year"
    if start.day == 1 and end == _month_end(end):
        return "month"
    return "day"


def format_known_date(value: str | None) -> str:
    """'2020', 'March 2020' or '15 March 2020' in the reader's locale, for a date known that precisely
    (ISO 8601 text of that precision: '2020', '2020-03', '2020-03-15')."""
    if not value:
        return ""
    return _format_one(*known_date_start(value))


def format_incident_date(start, end, precision: str) -> str:
    """'15 March 2020', 'March 2020', '2020', 'c. 2020', or a range, in the reader's locale."""
    start, end = as_date(start), as_date(end)
    if start is None:
        return ""
    grain = _grain(start, end) if precision == "circa" else precision
    first = _format_one(start, grain)
    last = _format_one(end, grain) if end and end != start else first
    text = first if last == first else f"{first} – {last}"
    return str(_l("c. %(date)s", date=text)) if precision == "circa" else text


# Decimal units (1 kB = 1000 bytes), as browsers, phones and most file managers now count, and the
# same in every place a size is written: pages, dossiers, the upload form (static/uploads.js
# takes these patterns from the page) and the command line. The units are in the catalogs, so
# each language writes them as its readers do ("МБ", not "MB").
SIZE_UNITS = ((1000**4, _l("%(n)s TB")), (1000**3, _l("%(n)s GB")), (1000**2, _l("%(n)s MB")),
              (1000, _l("%(n)s kB")))


def format_size(size: int | None) -> str:
    """A file's size in the reader's language: "314.6 MB", "314,6 МБ"; "" when unknown."""
    if size is None:
        return ""
    for factor, unit in SIZE_UNITS:
        # Rounded up to the next unit's 1, it is written in that unit: "1 MB", not "1,000 kB".
        if size >= factor or (size >= 1000 and round(size / factor, 1) >= 1):
            return str(unit) % {"n": format_decimal(round(size / factor, 1), "#,##0.#")}
    return str(_l("%(n)s B", n=format_decimal(size, "#,##0")))


def size_units() -> list[tuple[int, str]]:
    """(factor, pattern with "{n}") for every unit, largest first and bytes last, for a script that
    writes sizes as ``format_size`` does."""
    return [(factor, str(unit) % {"n": "{n}"}) for factor, unit in SIZE_UNITS] + [(1, str(_l("%(n)s B", n="{n}")))]


COMPASS = {"N": _l("%(degrees)s° N"), "S": _l("%(degrees)s° S"), "E": _l("%(degrees)s° E"), "W": _l("%(degrees)s° W")}


def format_coordinates(latitude: float | None, longitude: float | None) -> str:
    """A place's coordinates that no reader can take for four numbers: degrees in the reader's
    decimal format with the hemisphere, e.g. "51.53° N, 46.03° E", "51,53° с. ш., 46,03° в. д."."""
    if latitude is None or longitude is None:
        return ""

    def one(value: float, positive: str, negative: str) -> str:
        degrees = format_decimal(abs(value), format="0.0###")
        return str(COMPASS[positive if value >= 0 else negative] % {"degrees": degrees})
    return one(latitude, "N", "S") + ", " + one(longitude, "E", "W")


MEDIA_KINDS = {"video": _l("video"), "image": _l("image"), "audio": _l("audio recording"),
               "text": _l("text"), "application/pdf": _l("document")}
# Formats people know by another name than the MIME subtype.
FORMAT_NAMES = {"jpeg": "JPEG", "quicktime": "MOV", "x-matroska": "MKV", "x-msvideo": "AVI", "svg+xml": "SVG",
                "plain": "TXT", "vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX"}


def media_kind(media_type: str | None) -> str:
    """A file's media type as a reader names it ("видео (MP4)", "изображение (JPEG)"), and just "file"
    where the bytes were not recognised (application/octet-stream)."""
    media_type = (media_type or "").split(";")[0].strip().lower()
    main, _slash, sub = media_type.partition("/")
    kind = MEDIA_KINDS.get(media_type) or MEDIA_KINDS.get(main)
    if kind is None:
        return str(_l("file"))
    name = FORMAT_NAMES.get(sub) or sub.removeprefix("x-").removeprefix("vnd.").upper()
    return f"{kind} ({name})" if name and len(name) <= 12 else str(kind)
