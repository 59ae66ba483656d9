"""Assessments of evidence (the Berkeley Protocol's source, technical and content checks): who
may record them, the working status they make, and what the public sees and filters once confirmed."""
from __future__ import annotations

from incidents.models import Incident
from tests.factories import attach_file, publish


def test_verification_follows_the_berkeley_assessments(client, bearer, users, incident):
    """Does a file's verification status follow the Berkeley Protocol assessments reviewers record, and
    may only reviewers record them, with a method?"""
    item = attach_file(client.application, incident, users["contributor"])
    reviewer = bearer("reviewer")

    def assess(part, outcome, headers=reviewer):
        return client.post(f"/api/v1/evidence/{item.id}/assessments", headers=headers,
                           json={"part": part, "outcome": outcome, "method": f"{part} check"})

    assert assess("source", "consistent", bearer("contributor")).status_code == 403
    assert assess("alchemy", "consistent").status_code == 422
    assert client.post(f"/api/v1/evidence/{item.id}/assessments", headers=reviewer,
                       json={"part": "source", "outcome": "consistent"}).status_code == 422  # no method
    assert assess("source", "consistent").get_json()["verification"] == "in_progress"
    assert assess("technical", "not_verifiable").get_json()["verification"] == "unverifiable"
    assert Incident.get_by_id(incident.id).verification == "unverifiable"
    assess("technical", "consistent")
    assert assess("content", "consistent").get_json()["verification"] == "verified"
    lawyer = bearer("lawyer")
    listed = client.get("/api/v1/incidents?verification=verified", headers=lawyer).get_json()
    assert [i["id"] for i in listed["items"]] == [incident.id]
    assert client.get("/api/v1/incidents?verification=unverifiable", headers=lawyer).get_json()["total"] == 0
    # The public filters what is published (a draft never is) by what published items show.
    public = client.get("/api/v1/incidents?verification=verified")
    assert public.status_code == 200 and public.get_json()["items"] == []
    assert assess("content", "inconsistent").get_json()["verification"] == "disputed"
    detail = client.get(f"/api/v1/evidence/{item.id}", headers=lawyer).get_json()
    assert [a["outcome"] for a in detail["assessments"]][-1] == "inconsistent"
    custody = client.get(f"/api/v1/evidence/{item.id}/custody", headers=lawyer).get_json()["items"]
    assert [e["detail"].get("part") for e in custody if e["action"] == "verified"][-1] == "content"


def test_could_not_be_verified_is_shown_to_the_public(client, users, incident):
    """Once a second reviewer confirms that a file could not be verified, does the public page say so?"""
    item = attach_file(client.application, incident, users["contributor"])
    from incidents.evidence import verification
    verification.record_assessment(users["reviewer"], item.id, {
        "part": "source", "outcome": "not_verifiable", "method": "Asked two newspapers; neither could confirm."})
    verification.confirm(users["admin"], item.id, {"status": "unverifiable"})  # a second reviewer
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer2"])
    page = client.get(f"/incidents/{incident.id}?lang=en").get_data(as_text=True)
    assert "Could not be verified" in page


def test_reviewers_assess_from_the_item_page(as_role, users, incident):
    """Can a reviewer record an assessment from a file's page while a lawyer can neither see the form
    nor post it?"""
    item = attach_file(as_role("reviewer").app, incident, users["contributor"])
    reviewer = as_role("reviewer")
    assert "Record an assessment" in reviewer.get(f"/evidence/{item.id}?lang=en").get_data(as_text=True)
    response = reviewer.post(f"/evidence/{item.id}/assessments", data={
        "part": "content", "outcome": "consistent", "method": "Geolocated the corridor from the floor plan."})
    assert response.status_code == 302
    page = reviewer.get(f"/evidence/{item.id}?lang=en").get_data(as_text=True)
    assert "Geolocated the corridor" in page and "Verification in progress" in page
    assert "Record an assessment" not in as_role("lawyer").get(f"/evidence/{item.id}?lang=en").get_data(as_text=True)
    assert as_role("lawyer").post(f"/evidence/{item.id}/assessments", data={
        "part": "content", "outcome": "consistent", "method": "x"}).status_code == 403


def test_the_public_counts_and_filters_published_incidents_by_verification(client, bearer, users, incident):
    """Can the public count and filter published incidents by confirmed verification status, with
    counts that a rebuild reproduces?"""
    from incidents.models import PublishedCount
    from incidents.publication import facet_counts
    from tests.factories import publish
    item = attach_file(client.application, incident, users["contributor"])
    publish(incident, users["contributor"], users["reviewer"])

    def public(query=""):
        return client.get("/api/v1/incidents?" + query).get_json()

    assert {e["value"]: e["count"] for e in public()["facets"]["verification"]} == {"unassessed": 1}
    for part in ("source", "technical", "content"):
        client.post(f"/api/v1/evidence/{item.id}/assessments", headers=bearer("reviewer"),
                    json={"part": part, "outcome": "consistent", "method": "checked"})
    assert client.post(f"/api/v1/evidence/{item.id}/verification/confirm", headers=bearer("admin"),
                       json={"status": "verified"}).status_code == 200  # a second reviewer
    facet = public()["facets"]["verification"]
    assert [(e["value"], e["label"], e["count"]) for e in facet] == [("verified", "Verified", 1)]
    assert [i["id"] for i in public("verification=verified")["items"]] == [incident.id]
    assert public("verification=disputed")["total"] == 0
    page = client.get("/incidents?verification=verified&lang=ru").get_data(as_text=True)
    assert "Проверено (1)" in page
    def counts():
        return {(r.dimension, r.value, r.count) for r in PublishedCount.select() if r.count and r.dimension != "generation"}

    kept = counts()
    facet_counts.rebuild()
    assert kept == counts()
