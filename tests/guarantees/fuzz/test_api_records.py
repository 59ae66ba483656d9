"""Fuzzing the JSON API's incidents and facilities: texts, wrong types and unknown fields, dates."""
from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from incidents.models import Facility, Incident
from incidents.revisions import snapshot
from tests.factories import incident_data
from tests.guarantees.fuzz.expectations import (
    FACILITY_TEXTS,
    INCIDENT_TEXTS,
    LONE_SURROGATE,
    RESPONSE_ROW,
    Nested,
    Text,
    api_refusal,
    assert_reads_back,
    assert_unchanged,
    coordinate,
    db_state,
    get_path,
    normalised,
    problems_of,
    readable_int,
    revisions_of,
    send_json,
    set_path,
    tally,
)
from tests.guarantees.fuzz.strategies import (
    any_list,
    any_number,
    any_object,
    coordinates,
    date_cases,
    fuzz,
    hostile_text,
    json_values,
    text_changes,
)


@fuzz(40)
@given(changes=text_changes(INCIDENT_TEXTS, surrogates=True))
@example(changes=[("title_ru", "Пытки\ud800")])  # a lone surrogate reached the database: a 500
@example(changes=[("narrative_ru", "я" * 1_100_000)])  # past MAX_CONTENT_LENGTH: 413 before parsing
@example(changes=[("persons-0-pseudonym", "Prisoner\rS.")])  # a carriage return in a one-line field was stored
@example(changes=[("title_en", "Torture\nin the hospital")])  # titles took line breaks: their form field cannot
def test_api_incident_texts(world, changes):
    """Whatever text is sent to any incident field through the API, is it either refused with the field
    named and nothing stored, or stored exactly as the documented normalisation makes it?

    Creating and editing an incident through the API, with hostile texts in any field; the
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
    """Does the API refuse, with the field named and nothing stored, a value of the wrong type in an
    incident, and ignore unknown fields on creation but refuse them in an edit?

    Numbers, lists, objects and null where something else belongs are refused with the field
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


DATE_FIELDS = {"date_start": ("date_start",), "date_end": ("date_end",), "responses-0-date": ("responses", 0, "date")}


@fuzz(40)
@given(case=st.sampled_from(sorted(DATE_FIELDS)).flatmap(
    lambda key: st.tuples(st.just(key), date_cases())))
@example(case=("date_start", (None, "2020-13-45")))
@example(case=("responses-0-date", (None, "2020-03-15T10:00:00+03:00")))
def test_api_dates(world, case):
    """Does the API refuse malformed, impossible, future and time-zoned dates, and store a real date
    written in any accepted form as that day?

    Malformed, impossible, future and time-zoned dates are refused; real ones, written in the
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


@fuzz(40)
@given(changes=text_changes(FACILITY_TEXTS, surrogates=True),
       aliases=st.lists(hostile_text(surrogates=True), max_size=52), latitude=coordinates, longitude=coordinates,
       region=st.one_of(st.just("RU-SAR"), st.just("ru-sar "), st.just("UA-65"), hostile_text()))
@example(changes=[("name_en", "IK-1\tSaratov")], aliases=[], latitude=None, longitude=None,
         region="RU-SAR")  # names took line breaks and tabs, which their form field cannot hold
def test_api_facility(world, changes, aliases, latitude, longitude, region):
    """Is a facility sent through the API with hostile names, aliases, coordinates or region refused
    with each field named, or stored as normalised?

    A facility with hostile names, aliases, coordinates and region: refused with each field
    named, or stored as normalised."""
    client, headers = world.client, world.tokens["contributor"]
    # The same IK-1 again and again: the likely-duplicate warning has its own tests.
    # Texts per language: an authority in English (the original) that a Ukrainian one may translate.
    body = {"names": {"en": "IK-1"}, "localities": {}, "authorities": {"en": "FSIN"}, "type": "penal_colony",
            "country": "RU", "region": region, "aliases": aliases, "latitude": latitude, "longitude": longitude,
            "confirm_new": True}
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
    assert_reads_back({"names": stored.names, "localities": stored.localities, "authorities": stored.authorities,
                       "notes": stored.notes}, changes, FACILITY_TEXTS)
    assert stored.aliases == list(dict.fromkeys(n for n in map(normalised, aliases) if n))
    assert (stored.latitude, stored.longitude, stored.region) == (lat, lon, region.strip().upper() or None)
