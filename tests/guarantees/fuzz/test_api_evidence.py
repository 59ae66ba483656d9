"""Fuzzing the JSON API's evidence: links, uploads, assessments and confirmations of a status."""
from __future__ import annotations

import io
import os

from hypothesis import example, given
from hypothesis import strategies as st

from incidents.models import (
    ASSESSMENT_OUTCOMES,
    ASSESSMENT_PARTS,
    VERIFICATION_STATUSES,
    Assessment,
    EvidenceItem,
    Incident,
)
from tests.factories import JPEG
from tests.guarantees.fuzz.expectations import (
    EVIDENCE_TEXTS,
    FORBIDDEN,
    Text,
    api_refusal,
    assert_reads_back,
    assert_unchanged,
    assessed_item,
    confirmation_expected,
    db_state,
    normalised,
    problems_of,
    revisions_of,
    send_json,
    set_path,
    tally,
)
from tests.guarantees.fuzz.strategies import choice, fuzz, hostile_text, link_fields, text_changes, text_for


def files_in(folder: str) -> list[str]:
    return sorted(os.path.join(root, name) for root, _dirs, names in os.walk(folder) for name in names)


@fuzz(30)
@given(changes=text_changes(EVIDENCE_TEXTS, surrogates=True, min_size=0), link=link_fields(as_json=True),
       # A browser escapes line breaks and quotes in a file's name; the test client would break
       # the multipart header with them instead.
       filename=hostile_text().filter(lambda name: not set(name) & set('\r\n"')),
       upload=text_changes(EVIDENCE_TEXTS, min_size=0), part=choice(ASSESSMENT_PARTS),
       outcome=choice(ASSESSMENT_OUTCOMES),
       method=st.one_of(st.just("Geolocated"), text_for(Text((), "", "", 2000, True), surrogates=True)))
def test_api_evidence(world, changes, link, filename, upload, part, outcome, method):
    """Are a link, an uploaded file and an assessment sent through the API with hostile values refused
    with each field named and nothing kept, not even the file, or stored as normalised?

    A link with hostile provenance, a file under a hostile name, and a verification assessment
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


@fuzz(25)
@given(status=choice(VERIFICATION_STATUSES))
@example(status="in_progress")
def test_api_verification_confirmation(world, status):
    """Does confirming a file's verification status through the API refuse an unknown status, or one
    other than the working one, with nothing changed, and otherwise make the working status public?

    A second reviewer confirms a verification status with hostile values: an unknown status is
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
