"""Authors are told of a possible duplicate of theirs (issue 14, points 3 and 6): when one is saved
that they may read, or published, and never of one they may not read."""
from __future__ import annotations

from incidents.accounts import credentials
from incidents.models import Incident, Notification
from tests.factories import incident_data, make_incident, move
from tests.helpers import PASSWORD, Browser
from tests.records.test_responses import form_for


def duplicates_told(user) -> list[tuple[int, int]]:
    return [(n.incident_id, n.other_id) for n in Notification.select().where(
        (Notification.recipient == user) & (Notification.kind == "duplicate"))]


def test_another_contributors_duplicate_is_told_when_published_not_before(users, as_role, app, facility):
    """When another contributor enters, on the page, the case a contributor already recorded, is the
    first one told nothing while the new one is a draft they may not read, and told once, naming it,
    when a reviewer publishes it from the review page?"""
    mine = make_incident(users["contributor"], facility, title={"ru": "Изнасилование в ОТБ-1"},
                         narrative={"ru": "Заключённого привязали к кровати. Лицо закрыли."})
    other = credentials.create_user("other@example.org", "contributor", None, "Other")
    credentials.set_password(other, PASSWORD, testing=True)
    entering = Browser(app)
    entering.login(other)
    saved = entering.post("/incidents/new", data=form_for(facility, title_ru="Изнасилование в ОТБ-1",
                                                          narrative_ru="Заключённого привязали к кровати. Лицо закрыли."))
    assert saved.status_code == 302
    theirs = Incident.select().order_by(Incident.id.desc()).get()
    assert duplicates_told(users["contributor"]) == []  # a draft of someone else's: not theirs to know of
    move(theirs, other, "submit")
    approved = as_role("reviewer").post(f"/incidents/{theirs.id}/transition", data={
        "action": "approve", "version": str(Incident.get_by_id(theirs.id).version)})
    assert approved.status_code == 302 and Incident.get_by_id(theirs.id).status == "published"
    assert duplicates_told(users["contributor"]) == [(mine.id, theirs.id)]


def test_a_duplicate_of_ones_own_is_told_at_once_through_the_api(users, client, bearer, facility):
    """When a contributor enters through the API a case they had already recorded themselves, are they
    told at once that the new one may duplicate the first?"""
    first = make_incident(users["contributor"], facility)
    body = incident_data(facility)
    created = client.post("/api/v1/incidents", json=body, headers=bearer("contributor"))
    assert created.status_code == 201, created.get_json()
    assert duplicates_told(users["contributor"]) == [(first.id, created.get_json()["id"])]
