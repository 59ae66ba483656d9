"""Fuzzing the likely-duplicate endpoints of the pages: the incident form's question, and the marks."""
from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from incidents.models import Incident
from tests.factories import make_incident
from tests.guarantees.fuzz.expectations import assert_unchanged, db_state, tally
from tests.guarantees.fuzz.strategies import fuzz, hostile_text, malformed_dates

TYPED = ("facility", "new_facility-name", "date_start", "date_end", "date_precision", "title_ru", "narrative_en",
         "persons-0-pseudonym", "persons-7-pseudonym", "incident")


@fuzz(30)
@given(values=st.dictionaries(st.sampled_from(TYPED), st.one_of(hostile_text(), malformed_dates), max_size=6))
@example(values={"date_start": "31.02.2020", "facility": "99999999999999999999", "incident": "1"})
def test_page_similar_question(world, values):
    """Whatever the incident form holds, does its question about likely duplicates answer a list
    (never an error page) and store nothing?"""
    browser, token = world.browser("contributor")
    before = db_state()
    response = browser.client.post("/incidents/similar", data={**values, "csrf_token": token})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert isinstance(response.get_json()["items"], list)
    assert_unchanged(before)


@fuzz(30)
@given(other=st.one_of(hostile_text(), st.sampled_from(["2", "INC-000002", "inc-000002 ", "1", "0", "-2"])),
       verdict=st.one_of(hostile_text(), st.sampled_from(["same", "different"])), undo=st.sampled_from(["", "1"]))
@example(other="2", verdict="same", undo="")
def test_page_duplicate_marks(world, users, other, verdict, undo):
    """Whatever a mark's form holds, is it taken (a mark on a real pair) or refused with the incident
    page shown again, never an error page, and nothing else stored?"""
    if Incident.select().count() == 1:  # the pair's other incident, made by the first example
        make_incident(users["reviewer"], world.facility)
    browser, token = world.browser("reviewer")
    before = db_state()
    response = browser.client.post(f"/incidents/{world.incident.id}/duplicates",
                                   data={"other": other, "verdict": verdict, "undo": undo, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    changed = db_state()["DuplicateMark"] != before["DuplicateMark"]
    tally("duplicate mark", changed)
    if not changed:
        assert_unchanged(before)
