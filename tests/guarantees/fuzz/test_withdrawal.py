"""Fuzzing the withdrawal of a file attached by mistake, by the API and by its page."""
from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from incidents.models import EvidenceItem
from tests.factories import JPEG, attach_file
from tests.guarantees.fuzz.expectations import (
    Text,
    api_refusal,
    assert_unchanged,
    db_state,
    page_refused,
    send_json,
    tally,
)
from tests.guarantees.fuzz.strategies import fuzz, json_values, text_for

REASON = Text(("reason",), "reason", "reason", 2000, True, required="This field is required.")


def attached(world, number: int) -> EvidenceItem:
    """A file of its own for each example, on the world's draft incident."""
    return attach_file(world.app, world.incident, world.users["contributor"], JPEG + str(number).encode(),
                       f"mistake-{number}.jpg")


@fuzz(30)
@given(reason=st.one_of(text_for(REASON, surrogates=True), json_values))
@example(reason="   ")
@example(reason="Не то дело")
def test_api_withdrawal(world, reason):
    """Does withdrawing through the API refuse any reason that is not usable text (on "reason", nothing
    changed) and otherwise take the file off the incident?"""
    item = attached(world, EvidenceItem.select().count())
    problem = (REASON.problem(reason) if isinstance(reason, str) else REASON.required if reason is None
               else "Must be text.")
    before = db_state()
    response = send_json(world.client, "POST", f"/api/v1/evidence/{item.id}/withdraw", {"reason": reason},
                         world.tokens["contributor"])
    tally("withdrawal", problem is None)
    if problem:
        api_refusal(response, {"reason": {problem}})
        assert_unchanged(before)
    else:
        assert response.status_code == 200, response.get_json()
        assert EvidenceItem.get_by_id(item.id).incident_id is None


@fuzz(20)
@given(reason=text_for(REASON))
@example(reason="")
def test_page_withdrawal(world, reason):
    """Does the withdrawal page refuse an unusable reason beside its field, nothing changed, and
    otherwise take the file off the incident?"""
    item = attached(world, EvidenceItem.select().count())
    browser, token = world.browser("contributor")
    before = db_state()
    response = browser.client.post(f"/evidence/{item.id}/withdraw", data={"reason": reason, "csrf_token": token})
    problem = REASON.problem(reason)
    tally("withdrawal page", problem is None)
    if not page_refused(response, {"reason": {problem}} if problem else {}, before):
        assert response.status_code == 302
        assert EvidenceItem.get_by_id(item.id).incident_id is None
