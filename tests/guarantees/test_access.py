"""Deny by default: every endpoint is walked from the URL map for the public and every role."""
from __future__ import annotations

import pytest

from incidents import policy
from incidents.models import ROLES, IngestBatch
from tests.factories import attach_file, make_facility, make_incident, publish

SAMPLE_ARGS = {"incident_id": None, "facility_id": None, "user_id": None, "name": "abuse", "fmt": "csv", "file_format": "pdf",
               "secret": "not-a-real-secret", "filename": "style.css", "token": "A" * 43,
               "notification_id": 1, "index": 0, "dimension": "region", "extension": "png"}


@pytest.fixture
def world(app, users):
    facility = make_facility(users["contributor"])
    incident = make_incident(users["contributor"], facility)
    item = attach_file(app, incident, users["contributor"])
    publish(incident, users["contributor"], users["reviewer"])
    draft = make_incident(users["reviewer"], facility)
    batch = IngestBatch.create(root="/archive", actor=users["reviewer"])
    return {"incident_id": incident.id, "facility_id": facility.id, "user_id": users["researcher"].id,
            "draft_id": draft.id, "item_id": item.id, "batch_id": batch.id}


def _urls(app, world, method):
    for rule in app.url_map.iter_rules():
        if method not in rule.methods:
            continue
        args = {name: world.get(name, SAMPLE_ARGS.get(name)) for name in rule.arguments}
        yield rule.endpoint, _build(app, rule, args)


def _build(app, rule, args):
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **args)


def test_anonymous_reaches_only_public_endpoints(app, world, client):
    """Can an anonymous visitor open any page or make any write that is not on the public list, rather than
    being sent to sign in?

    Which endpoints answer an anonymous visitor? Exactly the listed public ones."""
    reached = set()
    for method in ("GET", "POST", "PATCH"):
        for endpoint, url in _urls(app, world, method):
            response = client.open(url, method=method)
            if method == "GET" and response.status_code == 200:
                reached.add(endpoint)
            if endpoint not in policy.PUBLIC_ENDPOINTS:
                assert response.status_code in (302, 401), (method, url, response.status_code)
                if response.status_code == 302:
                    assert "/login" in response.headers["Location"]
    # Public endpoints that need a valid secret or vocabulary answer 404 here, and the code step
    # of signing in sends a visitor with no pending sign-in back to the password; the rest open.
    assert reached == policy.PUBLIC_ENDPOINTS - {"auth.set_password", "auth.set_language", "auth.login_code"}


def test_every_endpoint_is_classified(app):
    """Does the list of public endpoints name only endpoints the application really has?

    A new endpoint must be either in the public list or behind the login gate on purpose."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert policy.PUBLIC_ENDPOINTS <= endpoints


ROLE_ONLY_PAGES = {
    # endpoint: roles that get 200; every other signed-in role gets 403
    "review.queue": {"reviewer", "admin"},
    "admin.users": {"admin"},
    "admin.audit_trail": {"admin"},
    "admin.organisation": {"admin"},
    "records.new_incident": {"contributor", "reviewer", "admin"},
    "records.new_facility": {"contributor", "reviewer", "admin"},
    "records.edit_facility": {"reviewer", "admin"},
    "records.workspace": {"contributor", "reviewer", "admin", "lawyer"},
    "evidence.archive": {"lawyer", "reviewer", "admin"},
    "evidence.batch": {"lawyer", "reviewer", "admin"},
    "dossiers.dossier": {"researcher", "lawyer", "reviewer", "admin"},
}


@pytest.mark.parametrize("role", ROLES)
def test_role_pages(app, world, as_role, role):
    """Does each role get exactly the staff pages the access table gives it, and a refusal for the others?

    Each role sees the staff pages the access table gives it, and a 403 for the others."""
    browser = as_role(role)
    for endpoint, allowed in ROLE_ONLY_PAGES.items():
        url = _build(app, app.url_map._rules_by_endpoint[endpoint][0], world)
        status = browser.get(url).status_code
        assert status == (200 if role in allowed else 403), (role, endpoint, status)


WRITE_ROLES = {
    # endpoint of a button posted from a page: roles it lets through (to a redirect); others get 403
    "evidence.confirm_verification": {"reviewer", "admin"},
}


@pytest.mark.parametrize("role", ROLES)
def test_role_buttons(app, world, as_role, role):
    """Can each role press exactly the staff buttons the access table gives it, and is it refused the
    others?

    Each role may press the staff buttons the access table gives it, and gets a 403 for the others."""
    browser = as_role(role)
    for endpoint, allowed in WRITE_ROLES.items():
        url = _build(app, app.url_map._rules_by_endpoint[endpoint][0], world)
        status = browser.post(url, data={"status": "unassessed"}).status_code
        assert status == (302 if role in allowed else 403), (role, endpoint, status)


@pytest.mark.parametrize("role", ROLES)
def test_every_get_page_answers_every_role_without_error(app, world, as_role, role):
    """Does any page crash for any role, and can anyone but a lawyer, a reviewer or an administrator open
    someone else's draft?

    No GET endpoint crashes for any role; someone else's draft is a 404 for those who may not see it."""
    browser = as_role(role)
    for _endpoint, url in _urls(app, world, "GET"):
        status = browser.get(url).status_code
        # 401: dossier exports want an API token even from a signed-in browser.
        assert status in (200, 302, 400, 403, 404) or (status == 401 and "/dossier." in url), (role, url, status)
    draft_status = browser.get(f"/incidents/{world['draft_id']}").status_code
    assert draft_status == (200 if role in ("lawyer", "reviewer", "admin") else 404)


def test_security_headers(client, app):
    """Do pages carry a strict content security policy without inline script, forbid framing, and send no
    referrer or content sniffing?"""
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_pages_have_no_inline_script_or_third_party_resource(as_role, app, world):
    """Does a page carry any inline script or load anything from another site?"""
    html = as_role("reviewer").get(f"/incidents/{world['incident_id']}").get_data(as_text=True)
    assert "<script>" not in html and "onclick" not in html
    assert "//" not in html.split("<script src=\"")[1].split("\"")[0][:2]
    assert 'src="http' not in html and 'href="http://' not in html.split("<main")[0]


def test_session_cookie_is_httponly_and_samesite(browser, users):
    """Is the session cookie hidden from scripts and kept from cross-site requests?"""
    response = browser.login(users["researcher"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_error_pages_hide_stack_traces(app, client):
    """Does an unexpected error show a visitor a traceback or internal detail, and does an unknown API path
    answer in JSON?

    An unexpected error shows a plain page: no traceback, no internal detail."""
    def boom():
        raise RuntimeError("secret internal detail")

    app.view_functions["public.home"] = boom
    response = client.get("/")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internal detail" not in body and "Traceback" not in body
    api = client.get("/api/v1/nonexistent")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"
