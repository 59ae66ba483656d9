"""The dossier pages: collect incidents while browsing, then build the file, with CSRF on."""
from __future__ import annotations

import pytest

from incidents.models import AuditEvent
from tests.factories import make_facility, make_incident, publish


@pytest.fixture
def incidents(users):
    facility = make_facility(users["contributor"])
    published = make_incident(users["contributor"], facility)
    publish(published, users["contributor"], users["reviewer"])
    draft = make_incident(users["contributor"], facility, title={"ru": "Черновик", "en": "A draft"})
    return published, draft


def test_researcher_collects_and_builds_a_public_pdf(as_role, incidents):
    """Can a researcher collect a published incident while browsing and download a public PDF dossier of
    it, without being offered the confidential one?"""
    published, _draft = incidents
    browser = as_role("researcher")
    listing = browser.get("/incidents").get_data(as_text=True)
    assert "Add to dossier" in listing
    response = browser.post("/dossier/add", {"incident_id": str(published.id), "next": "/incidents"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/incidents")
    page = browser.get("/dossier").get_data(as_text=True)
    assert published.reference in page and 'value="confidential"' not in page
    built = browser.post("/dossier/build", {"lang": "ru", "redaction": "public", "layout": "dossier",
                                            "format": "pdf"})
    assert built.status_code == 200 and built.mimetype == "application/pdf"
    assert built.headers["Content-Disposition"].startswith("attachment;")
    assert built.data.startswith(b"%PDF")


def test_adding_without_csrf_token_is_refused(as_role, incidents):
    """Can another site add an incident to someone's dossier through a request without a CSRF token?"""
    browser = as_role("lawyer")
    response = browser.client.post("/dossier/add", data={"incident_id": str(incidents[0].id)})
    assert response.status_code == 400
    assert incidents[0].reference not in browser.get("/dossier").get_data(as_text=True)


def test_building_without_csrf_token_is_refused(as_role, incidents):
    """Can another site make someone build a dossier through a request without a CSRF token?"""
    browser = as_role("lawyer")
    browser.post("/dossier/add", {"incident_id": str(incidents[0].id)})
    response = browser.client.post("/dossier/build", data={"format": "pdf"})
    assert response.status_code == 400
    assert not AuditEvent.select().where(AuditEvent.action == "dossier.export").exists()


def test_a_researcher_cannot_collect_what_they_cannot_see(as_role, incidents):
    """Can a researcher add a draft they may not see to their dossier?"""
    _published, draft = incidents
    browser = as_role("researcher")
    browser.post("/dossier/add", {"incident_id": str(draft.id)})
    assert draft.reference not in browser.get("/dossier").get_data(as_text=True)


def test_a_lawyer_may_collect_a_draft_for_a_confidential_dossier_only(as_role, incidents):
    """Can a lawyer put a draft into a public dossier, or only into a confidential one?"""
    _published, draft = incidents
    browser = as_role("lawyer")
    browser.post("/dossier/add", {"incident_id": str(draft.id)})
    page = browser.get("/dossier").get_data(as_text=True)
    assert draft.reference in page and "only in a confidential dossier" in page
    refused = browser.post("/dossier/build", {"redaction": "public", "format": "pdf", "lang": "en",
                                              "layout": "dossier"})
    assert refused.status_code == 422 and str(draft.id) in refused.get_data(as_text=True)
    built = browser.post("/dossier/build", {"redaction": "confidential", "format": "docx", "lang": "uk",
                                            "layout": "un_srt"})
    assert built.status_code == 200 and built.data[:2] == b"PK"


@pytest.mark.parametrize("fields", [
    {"lang": "de"}, {"layout": "<script>alert(1)</script>"}, {"format": "exe"}, {"redaction": "x" * 5000},
])
def test_nonsense_choices_come_back_with_a_message(as_role, incidents, fields):
    """Do nonsense choices for a dossier's language, layout, format or redaction come back with a message,
    escaped, and build nothing?"""
    browser = as_role("lawyer")
    browser.post("/dossier/add", {"incident_id": str(incidents[0].id)})
    data = {"lang": "en", "redaction": "public", "layout": "dossier", "format": "pdf", **fields}
    response = browser.post("/dossier/build", data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Unknown value" in text and "<script>alert" not in text
    assert not AuditEvent.select().where(AuditEvent.action == "dossier.export").exists()


def test_an_empty_selection_says_what_to_do(as_role):
    """Is building a dossier with nothing collected refused?"""
    response = as_role("lawyer").post("/dossier/build", {"format": "pdf"})
    assert response.status_code == 422


def test_remove_and_clear(as_role, incidents):
    """Can a user remove one incident from their dossier, or clear it?"""
    browser = as_role("reviewer")
    browser.post("/dossier/add", {"incident_id": [str(i.id) for i in incidents]})
    browser.post("/dossier/remove", {"incident_id": str(incidents[0].id)})
    page = browser.get("/dossier").get_data(as_text=True)
    assert incidents[0].reference not in page and incidents[1].reference in page
    browser.post("/dossier/clear")
    assert incidents[1].reference not in browser.get("/dossier").get_data(as_text=True)


def test_a_confidential_build_by_a_researcher_is_refused(as_role, incidents):
    """Can a researcher build a confidential dossier?"""
    browser = as_role("researcher")
    browser.post("/dossier/add", {"incident_id": str(incidents[0].id)})
    response = browser.post("/dossier/build", {"redaction": "confidential", "format": "pdf", "lang": "en",
                                               "layout": "dossier"})
    assert response.status_code == 403


def test_contributors_and_the_public_have_no_dossier(as_role, client):
    """Can a contributor or an anonymous visitor open the dossier page?"""
    assert as_role("contributor").get("/dossier").status_code == 403
    response = client.get("/dossier")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
