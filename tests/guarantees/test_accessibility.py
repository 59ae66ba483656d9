"""Every page checked with axe-core (bundled by axe-playwright-python, run in Debian's chromium), in
English, Russian and Ukrainian: no serious or critical violation."""
from __future__ import annotations

import io

import pytest

from incidents.accounts import credentials
from incidents.dossiers.assemble import DossierRequest
from incidents.dossiers.jobs import submit_bundle
from incidents.evidence.store import EvidenceStore
from incidents.uploads import service as uploads
from tests.factories import JPEG, attach_file, make_facility, make_incident, move, publish
from tests.helpers import sign_in

pytestmark = pytest.mark.browser
axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")

LANGUAGES = ("en", "ru", "uk")
# The impacts axe calls serious or critical: a person using a screen reader or a keyboard is stopped.
BLOCKING = {"serious", "critical"}


@pytest.fixture
def pages(app, users):
    """One of every kind of page, with a published incident, a draft, a file to show, and files sent
    ahead from the new-incident form."""
    facility = make_facility(users["contributor"])
    published = make_incident(users["contributor"], facility)
    publish(published, users["contributor"], users["reviewer"])
    draft = make_incident(users["contributor"], facility)
    item = attach_file(app, draft, users["contributor"])
    waiting = make_incident(users["contributor"], facility)
    move(waiting, users["contributor"], "submit")
    store = EvidenceStore.from_settings(app.config["SETTINGS"])
    for extra in (b"", b"rest"):  # the new-incident form lists one file arrived whole, one stopped
        upload = uploads.begin(users["admin"], store, len(JPEG + extra), "палата.jpg", "new")
        uploads.append(users["admin"], store, upload.token, 0, io.BytesIO(JPEG), None)
    link = credentials.issue_password_link(users["lawyer"], 60)
    with app.app_context():
        bundle = submit_bundle(users["admin"], DossierRequest((published.id,), "public", "en", format="zip"))
    public = ["/", "/incidents", f"/incidents/{published.id}", "/facilities", f"/facilities/{facility.id}", "/login",
              "/statistics", "/map",
              f"/set-password/{link}"]
    staff = ["/workspace", "/incidents/new", f"/incidents/{draft.id}", f"/incidents/{draft.id}/edit",
             f"/incidents/{draft.id}/history", f"/evidence/{item.id}", f"/evidence/{item.id}/withdraw",
             f"/evidence/{item.id}/redaction",
             "/facilities/new",
             f"/facilities/{facility.id}/edit", "/review", f"/incidents/{waiting.id}/confirm?action=approve", "/dossier", "/archive", "/admin/users", "/admin/organisation",
             "/admin/audit", "/account", "/account/two-factor", "/notifications", f"/dossier/prepared/{bundle.token}"]
    return public, staff


def test_the_check_visits_every_page(app, pages):
    """Does the accessibility check visit every page a person can open (every GET route that answers
    HTML, but for the sign-in code step, which needs a half-made sign-in, and an archive batch)?"""
    public, staff = pages
    visited = {path.split("?")[0] for path in public + staff}
    adapter = app.url_map.bind("localhost")
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    reached = {adapter.match(path)[0] for path in visited}
    files = {"evidence.download", "evidence.media", "evidence.preview", "evidence.redaction_frame",
             "evidence.public_copy", "public.statistics_csv", "public.statistics_download", "records.regions",
             "static", "drafts.new_incident", "drafts.edit_incident", "dossiers.prepared_file",
             "admin.organisation_logo"}
    assert routes - reached - files == {"auth.login_code", "evidence.batch"} | {
        endpoint for endpoint in routes if endpoint.startswith("api.")}


def violations(page, path: str) -> list[str]:
    found = axe_playwright.Axe().run(page).response["violations"]
    return [f"{path}: {v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} element(s), "
            f"e.g. {v['nodes'][0]['target']}" for v in found if v["impact"] in BLOCKING]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_page_has_a_serious_accessibility_violation(live_server, users, pages, lang, chromium):
    """Can a person who uses a screen reader or only a keyboard use every page, in each language,
    without meeting a barrier axe-core rates serious or critical?"""
    public, staff = pages
    found = []
    visitor = chromium.new_page()
    for path in public:
        visitor.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang={lang}")
        found += violations(visitor, path)
    admin = chromium.new_page()
    sign_in(admin, live_server, users["admin"])
    for path in staff:
        admin.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang={lang}")
        assert admin.url.split("?")[0].endswith(path.split("?")[0]), admin.url  # reached, not sent elsewhere
        found += violations(admin, path)
    assert not found, "\n".join(found)
