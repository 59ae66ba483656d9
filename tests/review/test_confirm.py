"""Review actions ask first: a confirmation page that says what will happen and, for an approval,
what will become public."""
from __future__ import annotations

import re

from incidents.models import Incident
from tests.factories import edit, make_incident, move
from tests.helpers import post_forms

CONFIDENTIAL_RESPONSE = {"kind": "complaint", "date": "2021-02-01", "body": "Prosecutor's office",
                         "description": "Complaint filed by the victim's sister Anna", "confidential": True}


def _in_review(users, facility, **overrides):
    incident = make_incident(users["contributor"], facility, **overrides)
    move(incident.id, users["contributor"], "submit")
    return Incident.get_by_id(incident.id)


def _confirm_link(page: str, action: str) -> str:
    match = re.search(rf'href="(/incidents/\d+/confirm\?action={action}&amp;version=\d+)"', page)
    assert match, f"no {action} link"
    return match.group(1).replace("&amp;", "&")


def test_approving_asks_first_and_shows_only_what_becomes_public(users, facility, as_role):
    """Does the approve button lead to a confirmation page whose summary holds the public fields and
    none of the confidential ones, and does nothing change until it is confirmed?"""
    incident = _in_review(users, facility, responses=[CONFIDENTIAL_RESPONSE])
    reviewer = as_role("reviewer2")
    page = reviewer.get(f"/incidents/{incident.id}?lang=en").get_data(as_text=True)
    assert 'value="approve"' not in page  # no one-click approval left on the incident's page
    confirm = reviewer.get(_confirm_link(page, "approve") + "&lang=en")
    assert confirm.status_code == 200 and Incident.get_by_id(incident.id).status == "in_review"
    html = confirm.get_data(as_text=True)
    summary = html[html.index('class="public-summary"'):html.index("</section>", html.index('class="public-summary"'))]
    for public in ("Torture in the hospital", "A prisoner was tied to a bed.", "Prisoner S.", "Victim",
                   "https://example.org/video", facility.names["en"]):
        assert public in summary, public
    for secret in ("Иванов", "+7 900", "Anna", "Prosecutor", "Anonymised publication", "Citizenship"):
        assert secret not in summary, secret
    assert not re.search(r"Russia(?!n)", summary)  # the victim's citizenship; "Russian" is a language
    # The form posts the version shown here; the way back comes first and is the main button.
    [fields] = [form for form in post_forms(html) if ("version", str(incident.version)) in form]
    assert {name for name, _value in fields} == {"csrf_token", "version", "comment"}
    buttons = html[html.index('<div class="buttons">'):]
    assert buttons.index('<a class="button" href="/incidents/') < buttons.index('class="secondary">Approve and publish')
    reviewer.post(f"/incidents/{incident.id}/transition", data=dict(fields, action="approve"))
    assert Incident.get_by_id(incident.id).status == "published"


def test_a_confirmation_of_an_older_version_offers_no_action(users, facility, as_role):
    """If the incident changed after the reviewer opened it, does the confirmation page send them back
    to read it rather than act on what they have not seen?"""
    incident = _in_review(users, facility)
    reviewer = as_role("reviewer2")
    link = _confirm_link(reviewer.get(f"/incidents/{incident.id}").get_data(as_text=True), "approve")
    edit(incident.id, users["reviewer"], "title", "en", "Changed meanwhile")
    html = reviewer.get(link + "&lang=en").get_data(as_text=True)
    assert "Someone changed this incident after you opened it" in html
    assert 'name="action" value="approve"' not in html and not any(("version", str(incident.version)) in form
                                                                   for form in post_forms(html))


def test_returning_rejecting_and_retracting_ask_first_with_a_comment(users, facility, as_role):
    """Do request changes, reject and retract each lead to a confirmation page that says what will happen
    and asks for the comment, and are they refused to those who may not take them?"""
    incident = _in_review(users, facility)
    reviewer = as_role("reviewer2")
    for action, says in (("request_changes", "goes back to its author as a draft"),
                         ("reject", "it is never published")):
        html = reviewer.get(f"/incidents/{incident.id}/confirm?action={action}&lang=en").get_data(as_text=True)
        assert says in html and '<textarea id="comment" name="comment" rows="3" maxlength="5000" required' in html
        assert 'class="public-summary"' not in html
    assert reviewer.get(f"/incidents/{incident.id}/confirm?action=retract").status_code == 409  # nothing public yet
    assert reviewer.get(f"/incidents/{incident.id}/confirm?action=submit").status_code == 404
    assert as_role("contributor").get(f"/incidents/{incident.id}/confirm?action=approve").status_code == 403
    assert as_role("lawyer").get(f"/incidents/{incident.id}/confirm?action=approve").status_code == 403
    assert as_role("researcher").get(f"/incidents/{incident.id}/confirm?action=approve").status_code == 404
    assert reviewer.get(f"/incidents/{incident.id}/confirm?action=approve&version=x").status_code == 422


def test_the_reviewers_request_is_on_the_edit_form_where_the_author_works(as_role, users, incident):
    """When a reviewer returns an incident for changes, does its author find the reviewer's comment on
    the edit form itself (in Ukrainian), not only on the incident's page, and is it gone from the
    form once the incident is approved?"""
    from tests.factories import move, publish
    move(incident, users["contributor"], "submit")
    move(incident, users["reviewer"], "request_changes", comment="Уточніть дату: у відео видно 2020 рік.")
    form = as_role("contributor").get(f"/incidents/{incident.id}/edit?lang=uk").get_data(as_text=True)
    assert "Уточніть дату: у відео видно 2020 рік." in form
    assert form.index("Уточніть дату") < form.index('<form class="record"')
    assert "Коментар рецензента" in form
    publish(incident, users["contributor"], users["reviewer"])
    assert "Уточніть дату" not in as_role("admin").get(f"/incidents/{incident.id}/edit").get_data(as_text=True)
