"""Fuzzing a reviewer's redaction decision, by the API and by its page: hostile decisions, boxes of
every shape and reasons of every kind (the picture fuzzed on is 64 x 48 pixels)."""
from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from incidents.models import EvidenceItem, RedactionDecision
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

REASON = Text(("reason",), "reason", "reason", 2000, True)
REQUIRED_REASON = Text(("reason",), "reason", "reason", 2000, True, required="This field is required.")
WIDTH, HEIGHT = 64, 48
whole = st.one_of(st.integers(-3, 70), st.booleans(), st.floats(allow_nan=True), st.text(max_size=3))
box = st.one_of(st.fixed_dictionaries({"x": whole, "y": whole, "w": whole, "h": whole},
                                      optional={"start": json_values, "end": json_values, "track": json_values,
                                                "colour": json_values}),
                json_values)
decision = st.one_of(st.sampled_from(["redact", "publish_unredacted"]), json_values)
boxes = st.one_of(st.lists(box, max_size=4), json_values)
reason = st.one_of(text_for(REASON, surrogates=True), st.none(), json_values)


def attached(world) -> EvidenceItem:
    """A picture of its own for each example, added by the contributor: the reviewer may decide."""
    number = EvidenceItem.select().count()
    return attach_file(world.app, world.incident, world.users["contributor"], JPEG + str(number).encode(),
                       f"photo-{number}.jpg")


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def good_box(value) -> bool:
    """A picture's area as the app must take it: whole pixels inside the picture, no times."""
    if not isinstance(value, dict) or set(value) - {"x", "y", "w", "h", "start", "end", "track"}:
        return False
    if not all(_integer(value.get(key)) for key in "xywh"):
        return False
    return (value["x"] >= 0 and value["y"] >= 0 and value["w"] >= 1 and value["h"] >= 1
            and value["x"] + value["w"] <= WIDTH and value["y"] + value["h"] <= HEIGHT
            and value.get("start") is None and value.get("end") is None)


def acceptable(body: dict) -> bool:
    """Whether a decision must be recorded: a known decision, usable areas, and for "publish
    unredacted" a reason and no area, for "redact" at least one area and any reason that is text."""
    given_reason, given_boxes = body.get("reason"), body.get("boxes", [])
    if body.get("decision") not in ("redact", "publish_unredacted"):
        return False
    if given_reason is not None and (not isinstance(given_reason, str) or REASON.problem(given_reason)):
        return False
    if given_boxes is None:
        given_boxes = []
    if not isinstance(given_boxes, list) or not all(good_box(b) for b in given_boxes):
        return False
    if body["decision"] == "redact":
        return bool(given_boxes)
    return not given_boxes and isinstance(given_reason, str) and REQUIRED_REASON.problem(given_reason) is None


@fuzz(40)
@given(decision=decision, boxes=boxes, reason=reason)
@example(decision="redact", boxes=[{"x": 0, "y": 0, "w": 64, "h": 48}], reason=None)
@example(decision="publish_unredacted", boxes=[], reason="Никого не видно")
@example(decision="redact", boxes=[{"x": 1, "y": 1, "w": 64, "h": 1}], reason=None)
@example(decision="redact", boxes=[{"y": 1}], reason=None)
def test_api_redaction(world, decision, boxes, reason):
    """Does the API record a decision exactly when it is usable, and otherwise refuse it clearly with
    nothing stored?"""
    item = attached(world)
    body = {"decision": decision, "boxes": boxes, "reason": reason}
    before = db_state()
    response = send_json(world.client, "POST", f"/api/v1/evidence/{item.id}/redaction", body,
                         world.tokens["reviewer"])
    accepted = acceptable(body)
    tally("redaction", accepted)
    if accepted:
        assert response.status_code == 200, response.get_json()
        assert RedactionDecision.select().where(RedactionDecision.item == item.id).count() == 1
    else:
        api_refusal(response)
        assert_unchanged(before)


@fuzz(20)
@given(reason=text_for(REASON), x=st.text(max_size=8), w=st.text(max_size=8))
@example(reason="", x="", w="")
@example(reason="x", x="5", w="10")
def test_page_redaction(world, reason, x, w):
    """Does the redaction page refuse a reason or an area typed wrong beside its field, nothing
    stored, and otherwise record the decision?"""
    item = attached(world)
    browser, token = world.browser("reviewer")
    before = db_state()
    unredacted = browser.client.post(f"/evidence/{item.id}/redaction",
                                     data={"decision": "publish_unredacted", "reason": reason, "csrf_token": token})
    problem = REQUIRED_REASON.problem(reason)
    tally("redaction page, unredacted", problem is None)
    if not page_refused(unredacted, {"reason": {problem}} if problem else {}, before):
        assert unredacted.status_code == 302
    before = db_state()
    redacted = browser.client.post(f"/evidence/{item.id}/redaction",
                                   data={"decision": "redact", "add-0-x": x, "add-0-y": "0", "add-0-w": w,
                                         "add-0-h": "8", "csrf_token": token})
    typed = {"x": x.strip(), "w": w.strip()}
    good = all(value.isdecimal() for value in typed.values()) and \
        good_box({"x": int(typed["x"]), "y": 0, "w": int(typed["w"]), "h": 8})
    tally("redaction page, an area", good)
    if not page_refused(redacted, {} if good else {"boxes": {""}}, before):
        assert redacted.status_code == 302
