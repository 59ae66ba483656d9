"""Fuzzing the incident form's drafts, as its script sends them (CSRF token in a header)."""
from __future__ import annotations

import json

from hypothesis import example, given
from hypothesis import strategies as st

from incidents.models import Draft
from tests.guarantees.fuzz.expectations import db_state
from tests.guarantees.fuzz.strategies import fuzz, hostile_text

NAMES = st.one_of(st.sampled_from(["title_ru", "narrative_uk", "persons-0-legal_name", "abuse", "version",
                                   "new_facility-name", "csrf_token"]), hostile_text())
JSON_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                                     hostile_text(surrogates=True)),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                          max_size=3), max_leaves=8)
PAIRS = st.lists(st.one_of(st.tuples(NAMES, hostile_text(surrogates=True)).map(list), JSON_VALUES), max_size=6)
BODIES = st.one_of(st.builds(lambda fields: {"fields": fields}, PAIRS), JSON_VALUES)


@fuzz(examples=60)
@given(body=BODIES, edit=st.booleans())
@example(body={"fields": [["title_ru", "\ud800"]]}, edit=False)
@example(body={"fields": [["title_ru", "<script>alert(1)</script>\u202e"], ["abuse", "1"], ["abuse", "2"]]},
         edit=True)
def test_page_drafts(world, body, edit):
    """Is any JSON sent as a draft (new or edit) either kept exactly as sent, to be read back by its
    author, or refused with a 4xx and nothing changed?"""
    browser, token = world.browser("contributor")
    path = f"/incidents/{world.incident.id}/draft" if edit else "/incidents/new/draft"
    before = db_state()
    response = browser.client.put(path, data=json.dumps(body), content_type="application/json",
                                  headers={"X-CSRFToken": token})
    if response.status_code == 200:
        kept = [pair for pair in body["fields"] if pair[0] != "csrf_token"]
        assert browser.client.get(path).get_json()["draft"]["fields"] == kept
    else:
        assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:500]
        assert response.get_json()["error"]["code"] in ("bad_request", "too_large")
        assert db_state() == before
    deleted = browser.client.delete(path, headers={"X-CSRFToken": token})
    assert deleted.status_code == 204 and Draft.select().count() == 0
