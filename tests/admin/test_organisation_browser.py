"""In a real browser, in Russian: an administrator sets the organisation profile, then a lawyer
builds a communication to the UN Special Rapporteur on Torture that names the organisation
(issue 17, points 4 and "Done when")."""
from __future__ import annotations

import io
import re

import pypdf
import pytest

from incidents.models import OrganisationProfile
from tests.admin.test_organisation import ADDRESS, CONSENT, NAMES, png
from tests.factories import make_facility, make_incident, publish
from tests.helpers import new_page, sign_in, translated

pytestmark = pytest.mark.browser


def test_a_lawyer_builds_a_russian_un_communication_naming_the_organisation(app, users, live_server, chromium,
                                                                          tmp_path):
    """Does an administrator set the profile from its page, logo included, and does the Russian UN
    communication a lawyer then builds name the organisation and quote its consent statement, with
    the labels around them in Russian and no script error on the way?"""
    incident = make_incident(users["contributor"], make_facility(users["contributor"]))
    publish(incident, users["contributor"], users["reviewer"])
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    errors: list = []

    admin = new_page(chromium, errors)
    sign_in(admin, live_server, users["admin"])
    admin.goto(f"{live_server}/dossier?lang=ru")
    assert translated(app, "No organisation profile is set: dossiers say that no organisation is named as their "
                           "author.") in admin.inner_text("main")
    admin.click("main a[href='/admin/organisation']")
    admin.wait_for_load_state()
    for code in NAMES:
        admin.fill(f"#org-name_{code}", NAMES[code])
        admin.fill(f"#org-consent_{code}", CONSENT[code])
    admin.fill("#org-address", ADDRESS)
    admin.fill("#org-email", "office@example.org")
    admin.set_input_files("#org-logo", str(logo))
    admin.click("form.record button[type=submit]")
    admin.wait_for_load_state()
    assert translated(app, "Saved. Every dossier built from now on names the organisation this way.") \
        in admin.inner_text("main")
    assert admin.locator("img.organisation-logo").evaluate("image => image.naturalWidth") == 120
    assert OrganisationProfile.get().names == NAMES

    lawyer = new_page(chromium, errors)
    sign_in(lawyer, live_server, users["lawyer"])
    lawyer.goto(f"{live_server}/incidents/{incident.id}?lang=ru")
    lawyer.click("form.dossier-add button")
    lawyer.wait_for_load_state()
    lawyer.goto(f"{live_server}/dossier?lang=ru")
    lawyer.check("input[name=layout][value=un_srt]")
    lawyer.select_option("select[name=lang]", "ru")
    lawyer.select_option("select[name=format]", "pdf")
    with lawyer.expect_download() as download_info:
        lawyer.click("form.dossier-build button[type=submit]")
    with open(download_info.value.path(), "rb") as handle:
        text = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(handle.read())).pages)
                        .split())
    submitter = text.split(translated(app, "7. Submitter"))[-1]
    assert NAMES["ru"] in submitter and CONSENT["ru"] in submitter and ADDRESS in submitter
    assert NAMES["ru"] in text.split(translated(app, "Contents"))[0]  # on the cover, as its author
    labels = submitter
    for data in (ADDRESS, "office@example.org", incident.reference):
        labels = labels.replace(data, "")
    assert not re.findall(r"[A-Za-z]{3,}", labels), labels
    assert users["lawyer"].name not in text
    assert errors == []
