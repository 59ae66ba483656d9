"""What the app must answer to fuzzed input, written out here rather than imported from it: the
rules of text, the refusals (a JSON error naming each field, or the form again with each error
beside its field), the database before and after a request, and the requests themselves."""
from __future__ import annotations

import html
import json
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from hypothesis import event

from incidents.models import ALL_MODELS, VERIFICATION_STATUSES, Assessment, EvidenceItem, User

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
    Text(("localities", "en"), "locality_en", "localities"),
    Text(("authorities", "uk"), "authority_uk", "authorities"),
    Text(("notes",), "notes", "notes", 5000, True),
]}


def deeply_nested(depth: int, kind: str) -> str:
    """A JSON document nested ``depth`` levels deep, as text (building it in Python would recurse)."""
    opening, closing = ("[", "]") if kind == "list" else ('{"a":', "}")
    return opening * depth + "1" + closing * depth


# Rows that a refused request may still add, and why:
# - AuditEvent for reads ("incident.view_confidential", "evidence.view_confidential", ...): every
#   read of confidential fields is audited, and an edit page shown again with its errors, the page
#   a refused button leads back to, or the API reading an incident before a PATCH reads them.
# - LoginFailure: counting wrong passwords and codes is how sign-in is throttled.
# - Job: a page read asks the worker for what it shows and is not made yet (an item's previews).
def is_a_read(action: str) -> bool:
    return action.partition(".")[2].startswith("view")


# Bookkeeping a read may write into a row: when an item was first compared with the files held
# (evidence/copies.py, asked for by the item's page as its previews are).
UNWATCHED = {"EvidenceItem": {"compared_at"}}


def db_state() -> dict:
    return {model.__name__: [{k: v for k, v in row.items() if k not in UNWATCHED.get(model.__name__, ())}
                             for row in model.select().order_by(*model._meta.get_primary_keys()).dicts()]
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
        elif name == "Job":
            assert all(row["kind"] in ("previews", "derivative", "fingerprint", "faces") for row in added), \
                [r["kind"] for r in added]
        # An item compared, or its faces looked for, when first read.
        elif name not in ("Fingerprint", "FingerprintBand", "Likeness", "RedactionProposal"):
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


def page_refused(response, expected: dict, before) -> bool:
    """When ``expected`` names problems: the page refused with them beside their fields and the
    database is as it was ``before`` (True); otherwise False, and the caller checks the success."""
    if not expected:
        return False
    page_refusal(response, expected)
    assert_unchanged(before)
    return True


def page_refusal(response, expected: dict | None = None) -> None:
    """A clear refusal on a page: 4xx, each expected field's error shown beside it (the form's
    macro gives it the id "<key>-error"; a text kept per language, beside one language's field:
    "<key>_<language>-error") with one of the expected messages."""
    assert 400 <= response.status_code < 500, (response.status_code, page_errors(response))
    shown, page = page_errors(response), response.get_data(as_text=True)
    assert shown, page[:2000]
    for key, messages in (expected or {}).items():
        assert re.search(rf'id="{re.escape(key)}(_[a-z]{{2}})?-error"', page), (key, shown)
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


RESPONSE_ROW = {"kind": "inquiry", "date": "2021-01-01", "body": "Prosecutor's office",
                "description": "An inquiry was opened."}


def readable_int(value) -> bool:
    try:
        int(str(value).strip())
    except ValueError:
        return False
    return True


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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


EVIDENCE_TEXTS = {text.form: text for text in [
    Text(("description",), "description", "description", 2000, True),
    Text(("source",), "source", "source", 2000, True),
    Text(("original_location",), "original_location", "original_location", 2000),
    Text(("captured_place",), "captured_place", "captured_place"),
]}
URL = Text(("url",), "url", "link-url", 2000, required="This field is required.")


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


def readable_id(value) -> int | None:
    """An incident id as a dossier request may give it: a whole number, or its decimal digits."""
    if isinstance(value, str) and value.isdecimal() and len(value) < 11:
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31 else None


def email_problem(email: str) -> str | None:
    """An address, lower-cased and stripped: an @, no blank and no control character inside, at
    most 254 characters, and nobody's yet."""
    # Control characters count as typed: str.strip() would remove some of them (\x1c-\x1f, \x85)
    # before they were seen, and the app refuses them wherever they stand.
    typed, email = email, email.strip().lower()
    if not email or "@" not in email or len(email) > 254 or any(c.isspace() for c in email) \
            or any(c in FORBIDDEN for c in typed):
        return "Enter a valid e-mail address."
    if User.select().where(User.email == email).exists():
        return "A user with this e-mail address exists already."
    return None
