"""JSON answers are written by orjson (incidents/web/json_provider.py): is every answer the same text
that Flask's own provider wrote with the app's choices?"""
from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid

import pytest
from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext
from markupsafe import Markup

from tests.factories import make_incident, publish


@dataclasses.dataclass
class Point:
    x: int
    label: str


def flasks_own(app) -> DefaultJSONProvider:
    provider = DefaultJSONProvider(app)
    provider.ensure_ascii, provider.sort_keys = False, False
    return provider


MIXED = {
    "Саратов": ["ОТБ-1", "Областная туберкулёзная больница № 1", "\u202f", "emoji 🙂", "quote \" \\ \n\t"],
    1: "an integer key", 2.5: "a float key", False: "a boolean key", None: "no key",
    "numbers": [0, -1, 2**53, 1.5, 0.1, 123456.789, 1e16, -0.0],
    "when": datetime.datetime(2020, 3, 15, 10, 30, tzinfo=datetime.UTC),
    "day": datetime.date(2020, 3, 15),
    "money": decimal.Decimal("12.50"), "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "point": Point(3, "тут"), "markup": Markup("<b>x</b>"), "nested": {"z": 1, "a": [None, False, {}]},
    "tuple": (1, "два"),
}


def test_any_value_is_written_as_flasks_provider_writes_it(app):
    """Cyrillic, keys that are not strings, dates, decimals, identifiers, dataclasses, markup, lazy
    translations: the same bytes."""
    with app.test_request_context("/"):
        value = dict(MIXED, lazy=lazy_gettext("Incidents"))
        assert app.json.response(value).get_data() == flasks_own(app).response(value).get_data()
        # A number with an exponent is written otherwise (1e-7, not 1e-07): the same number.
        small = {"small": [1e-7, 2.5e-300]}
        assert app.json.response(small).get_data() == b'{"small":[1e-7,2.5e-300]}\n'
        assert json.loads(app.json.response(small).get_data()) == small
        with pytest.raises(TypeError):
            app.json.response({"a set": {1, 2}})


def test_the_incident_list_is_the_text_it_was(app, client, users, facility):
    """The API's list of incidents (Cyrillic titles, facets): the same bytes as before orjson."""
    publish(make_incident(users["contributor"], facility, title={"ru": "Избиение в ОТБ-1"}), users["contributor"],
            users["reviewer"])
    captured = {}
    original = app.json.response

    def capture(*args, **kwargs):
        captured["value"] = args[0] if args else kwargs
        return original(*args, **kwargs)
    app.json.response = capture
    body = client.get("/api/v1/incidents?lang=ru").get_data()
    assert "Избиение".encode() in body
    with app.test_request_context("/"):
        assert body == flasks_own(app).response(captured["value"]).get_data()
