"""Fuzzing the evidence, verification, review and dossier forms, as a browser posts them."""
from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from incidents import workflow
from incidents.config import LANGUAGES
from incidents.dossiers.assemble import FORMATS, LAYOUTS, REDACTIONS
from incidents.models import ASSESSMENT_PARTS, VERIFICATION_STATUSES, Assessment, EvidenceItem, Incident, ReviewEvent
from tests.factories import make_incident, move, publish
from tests.guarantees.fuzz.expectations import (
    EVIDENCE_TEXTS,
    Text,
    assert_reads_back,
    assert_unchanged,
    assessed_item,
    comment_problem,
    confirmation_expected,
    db_state,
    flashed_refusal,
    normalised,
    off_site,
    page_refused,
    problems_of,
    readable_id,
    tally,
    version_number,
)
from tests.guarantees.fuzz.strategies import fuzz, hostile_text, link_fields, near_limit, not_in, text_changes, text_for


@fuzz(25)
@given(changes=text_changes(EVIDENCE_TEXTS, min_size=0), link=link_fields(as_json=False),
       graphic=st.one_of(st.just("on"), hostile_text()),
       part=not_in(ASSESSMENT_PARTS, blank_allowed=False) | st.sampled_from(ASSESSMENT_PARTS),
       method=st.one_of(st.just("Geolocated"), text_for(Text((), "", "", 2000, True))),
       incident=st.one_of(hostile_text(), st.sampled_from(["²", "9" * 5000, "0", "-1", "1", " 1 ", "99999999999"])))
def test_page_evidence_forms(world, changes, link, graphic, part, method, incident):
    """Are attaching a link, assessing a file and assigning an archive item from the pages, with
    hostile values, refused with the reason shown and nothing saved, or saved as normalised?

    Attaching a link, recording an assessment and tying an archive item to an incident from
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
    """Does the confirm button, posted with a hostile status, refuse with the reason shown and nothing
    changed, or make the working status public?

    The confirm button, posted with a hostile status: refused with the reason flashed and
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
    """Do the review buttons, posted with hostile comments, actions or versions, refuse with the reason
    shown and nothing changed, or move the incident on?

    The review buttons, posted with hostile comments, actions and versions: refused with the
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


# A form carries text only: drawn as text rather than filtered out of ``choice``, whose JSON values
# made Hypothesis discard most examples and fail its health check now and then.
dossier_choices = st.fixed_dictionaries({
    "lang": st.one_of(st.sampled_from(LANGUAGES), hostile_text()),
    "redaction": st.one_of(st.sampled_from(REDACTIONS), hostile_text()),
    "layout": st.one_of(st.sampled_from(LAYOUTS), hostile_text()),
    "format": st.one_of(st.sampled_from(FORMATS), hostile_text()),
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
    """Do the dossier forms, posted hostile ids, options or return addresses, stay on the site and
    either refuse, naming what is wrong and recording nothing, or build the file and audit it?

    Adding to and removing from a dossier hostile ids, and building it with hostile choices:
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
    if not page_refused(response, expected, before):
        if response.status_code == 302:  # a bundle: built by a job (here at once), then fetched from its page
            page = response.headers["Location"]
            assert page.startswith("/dossier/prepared/") and browser.client.get(page).status_code == 200
            response = browser.client.get(page + "/file")
        assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
        assert [e["action"] for e in db_state()["AuditEvent"][len(before["AuditEvent"]):]] == ["dossier.export"]
    browser.client.post("/dossier/clear", data={"csrf_token": token})
