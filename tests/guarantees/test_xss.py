"""Script in every text field: every page that shows the field shows it as text, never as markup."""
from __future__ import annotations

from incidents.records import service
from tests.factories import attach_file, incident_data, make_incident, move, publish

PAYLOAD = '<script>alert("xss")</script><img src=x onerror=alert(1)>"\''
MARKUP = ("<script>alert(", "<img src=x onerror")


def hostile(label: str) -> str:
    return f"{label} {PAYLOAD}"


def test_every_page_escapes_script_in_every_field(app, users, as_role):
    """Does any page, public or staff, run script or markup typed into any text field, rather than show it
    as text?"""
    facility = service.create_facility({
        "names": {"en": hostile("Facility"), "ru": hostile("Учреждение")}, "aliases": [hostile("alias")],
        "type": "prison_hospital", "country": "RU", "region": "RU-SAR", "locality": hostile("town"),
        "authority": hostile("authority"), "notes": hostile("notes"),
    }, users["contributor"])
    data = incident_data(
        facility,
        title={"ru": hostile("заголовок"), "en": hostile("title")},
        narrative={"ru": hostile("рассказ"), "en": hostile("narrative")},
        persons=[{"role": "victim", "pseudonym": hostile("pseudonym"), "legal_name": hostile("legal"),
                  "contact": hostile("contact"), "consent": "named"}],
        evidence=[{"kind": "220904051501", "url": "https://example.org/a?q=%3Cscript%3E",
                   "description": hostile("link")}],
        responses=[{"kind": "inquiry", "date": "2021-01-01", "body": hostile("body"),
                    "description": hostile("response")}])
    incident = make_incident(users["contributor"], facility, **{k: v for k, v in data.items() if k != "facility"})
    item = attach_file(app, incident, users["contributor"], description=hostile("file"), source=hostile("source"))
    publish(incident, users["contributor"], users["reviewer"])
    draft = make_incident(users["contributor"], facility, title={"ru": hostile("черновик")})
    move(draft.id, users["contributor"], "submit")
    move(draft.id, users["reviewer"], "request_changes", comment=hostile("comment"))

    pages = {
        None: ["/", f"/incidents?q={PAYLOAD}", "/incidents", f"/incidents/{incident.id}",
               f"/facilities/{facility.id}", "/facilities", f"/evidence/{item.id}"],
        "reviewer": [f"/incidents/{incident.id}", f"/incidents/{draft.id}", f"/incidents/{incident.id}/history",
                     "/review", "/workspace", f"/evidence/{item.id}", f"/facilities/{facility.id}/edit",
                     "/statistics"],
        "lawyer": ["/dossier", f"/incidents/{draft.id}"],
        "admin": ["/admin/users", "/admin/audit", "/admin/organisation"],
    }
    escaped_somewhere = False
    for role, paths in pages.items():
        browser = as_role(role) if role else None
        if role == "lawyer":
            browser.post("/dossier/add", {"incident_id": [str(incident.id), str(draft.id)]})
        client = browser.client if browser else app.test_client()
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (role, path, response.status_code)
            html = response.get_data(as_text=True)
            for markup in MARKUP:
                assert markup not in html, (role, path)
            escaped_somewhere = escaped_somewhere or "&lt;script&gt;alert(" in html
    assert escaped_somewhere
