"""Fuzzing the JSON API's transitions and dossiers, and every writing route with any body at all."""
from __future__ import annotations

import json

from hypothesis import example, given
from hypothesis import strategies as st

from incidents.config import LANGUAGES
from incidents.dossiers.assemble import FORMATS, LAYOUTS, REDACTIONS
from incidents.models import Incident, ReviewEvent
from tests.factories import make_incident, move, publish
from tests.guarantees.fuzz.expectations import (
    api_refusal,
    assert_unchanged,
    comment_problem,
    db_state,
    deeply_nested,
    readable_id,
    send_json,
    tally,
    version_number,
)
from tests.guarantees.fuzz.strategies import (
    WRITING_METHODS,
    any_list,
    any_object,
    choice,
    fuzz,
    hostile_text,
    json_values,
    near_limit,
    url_arguments,
    writing_rules,
)

wrong_versions = st.one_of(st.booleans(), st.floats(), any_list, any_object, st.integers(min_value=2**31 + 1),
                           st.integers(max_value=-1), st.sampled_from(["²", "1.0", "0x10", "9" * 5000, " ", "v1"]),
                           hostile_text().filter(lambda s: s.strip() and not s.strip().isdecimal()))


@fuzz(30)
@given(comment=st.one_of(hostile_text(surrogates=True), near_limit(5000)),
       version=st.one_of(st.none(), st.just("omitted"), st.just("current"), wrong_versions))
@example(comment="", version="omitted")  # an approval without a version published unread text
@example(comment="Please check the dates\x00\u202e", version="current")  # controls were stored in the comment
@example(comment="", version="²")  # a digit that int() cannot read: was a 500
@example(comment="", version="9" * 5000)  # more digits than int() reads: was a 500
def test_api_transition_comments_and_versions(world, comment, version):
    """Is a workflow step sent through the API with a hostile, missing or null version or a hostile
    comment refused with nothing changed, or recorded with the comment stripped?

    Submitting with a hostile, missing or null version or a hostile comment, then returning it
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
    """Is a dossier asked for through the API with hostile ids or options refused with nothing
    recorded, or built and recorded in the audit trail?

    A dossier asked for with hostile ids and options: refused with a message and nothing
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


def test_json_nested_past_the_parsers_stack_is_a_400(world):
    """Is a JSON body nested deeper than the parser can read refused with a clear 400 rather than a
    crash?

    Python's JSON parser gives up on deep nesting with a RecursionError: that was a 500."""
    response = world.client.post("/api/v1/incidents", data=deeply_nested(100_000, "list"),
                                 content_type="application/json", headers=world.tokens["contributor"])
    assert response.status_code == 400 and response.get_json()["error"]["message"]


@fuzz(40)
@given(data=st.data(), body=request_bodies(),
       role=st.sampled_from(["contributor", "reviewer", "lawyer", "admin", None, "bogus"]))
def test_every_api_write_survives_any_body(world, data, body, role):
    """Can any body, sent by anyone to any writing API route, cause a server error or a change behind a
    refusal?

    Every writing API route, found in the app's URL map, answers any body without a 5xx: a
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
