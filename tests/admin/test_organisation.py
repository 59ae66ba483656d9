"""The organisation profile: who may set it, what it refuses, what is audited, and how every
dossier names the organisation as its author (issue 17, point 4)."""
from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from PIL import Image, PngImagePlugin

from incidents.models import ROLES, AuditEvent, OrganisationProfile
from tests.dossiers.test_dossier_details import docx_text
from tests.dossiers.test_dossiers import build, normalised, pdf_text
from tests.factories import make_facility, make_incident, publish

NAMES = {"en": "Committee Against Torture Watch", "ru": "Комитет против пыток «Наблюдение»",
         "uk": "Комітет проти катувань «Нагляд»"}
CONSENT = {"en": "The victim consented in writing to this submission.",
           "ru": "Пострадавший письменно согласился на подачу этого сообщения.",
           "uk": "Потерпілий письмово погодився на подання цього повідомлення."}
ADDRESS = "Postfach 12, 10117 Berlin"


def profile_form(**changes) -> dict:
    form = {f"name_{code}": name for code, name in NAMES.items()}
    form.update({f"consent_{code}": text for code, text in CONSENT.items()})
    form.update(address=ADDRESS, email="office@example.org", phone="+49 30 1234567",
                website="https://example.org")
    form.update(changes)
    return form


def png(size=(120, 60), **info) -> bytes:
    """A PNG of ``size`` carrying the text chunks ``info`` (what a hostile file would hide there)."""
    chunks = PngImagePlugin.PngInfo()
    for key, value in info.items():
        chunks.add_text(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG", pnginfo=chunks)
    return buffer.getvalue()


def post_profile(browser, logo: bytes | None = None, filename: str = "logo.png", **changes):
    data = profile_form(**changes)
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), filename)
    return browser.post("/admin/organisation", data, content_type="multipart/form-data")


def test_an_administrator_sets_the_profile_and_its_change_is_audited(as_role, users):
    """Can an administrator set the organisation's names, address, contact, consent statement and logo, and
    does the audit trail say who changed what?"""
    admin = as_role("admin")
    page = admin.get("/admin/organisation").get_data(as_text=True)
    assert "No organisation profile is set yet" in page
    response = post_profile(admin, png())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    profile = OrganisationProfile.get()
    assert profile.names == NAMES and profile.consent == CONSENT and profile.address == ADDRESS
    assert bytes(profile.logo).startswith(b"\x89PNG")
    event = AuditEvent.get(AuditEvent.action == "organisation.update")
    assert event.actor_id == users["admin"].id and event.detail["created"] is True
    assert event.detail["changes"]["names"]["new"] == NAMES and event.detail["changes"]["logo"]["new"]
    post_profile(admin, phone="+49 30 7654321")
    second = AuditEvent.select().where(AuditEvent.action == "organisation.update").order_by(AuditEvent.id.desc()).get()
    assert set(second.detail["changes"]) == {"phone"}
    assert second.detail["changes"]["phone"] == {"old": "+49 30 1234567", "new": "+49 30 7654321"}
    assert OrganisationProfile.select().count() == 1
    shown = admin.get("/admin/organisation/logo")
    assert shown.status_code == 200 and shown.mimetype == "image/png" and shown.data == bytes(profile.logo)


@pytest.mark.parametrize("role", [role for role in ROLES if role != "admin"])
def test_only_administrators_see_or_set_the_profile(as_role, role):
    """Can a reviewer, lawyer or anyone else but an administrator read or change the profile?"""
    browser = as_role(role)
    assert browser.get("/admin/organisation").status_code == 403
    assert post_profile(browser).status_code == 403
    assert browser.get("/admin/organisation/logo").status_code == 403
    assert not OrganisationProfile.select().exists()


def test_the_public_is_sent_to_sign_in(client):
    """Can an anonymous visitor reach the profile form or post to it?"""
    assert client.get("/admin/organisation").status_code == 302
    assert client.post("/admin/organisation", data=profile_form()).status_code in (302, 401)
    assert not OrganisationProfile.select().exists()


def test_the_profile_form_needs_its_csrf_token(as_role):
    """Can another site change the organisation's name on an administrator's behalf, by a request without
    the form's CSRF token?"""
    admin = as_role("admin")
    response = admin.client.post("/admin/organisation", data=profile_form())
    assert response.status_code == 400
    assert not OrganisationProfile.select().exists()
    assert not AuditEvent.select().where(AuditEvent.action == "organisation.update").exists()


@pytest.mark.parametrize("logo, filename, message", [
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "logo.svg",
     "The logo must be a PNG or JPEG picture."),
    (b"<html><script>alert(1)</script></html>", "logo.png", "The logo must be a PNG or JPEG picture."),
    (b"%PDF-1.7 not a picture", "logo.jpg", "The logo must be a PNG or JPEG picture."),
    (png()[:80], "logo.png", "This file could not be read as a picture"),  # cut short
    (png() + b"\0" * 1_000_000, "logo.png", "The logo is too large: at most 1 MB."),
])
def test_a_bad_logo_is_refused_clearly_and_nothing_is_saved(as_role, logo, filename, message):
    """Is a logo that is not a picture, is broken or is too large refused with a message saying why, and
    the rest of the profile left unsaved?"""
    admin = as_role("admin")
    response = post_profile(admin, logo, filename)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'id="logo-error"' in page
    assert NAMES["ru"] in page  # what was typed comes back, to be sent again
    assert not OrganisationProfile.select().exists()


def test_a_logo_whose_header_announces_a_bomb_is_refused(as_role):
    """Is a picture whose header announces far more pixels than a logo has (a decompression bomb) refused
    before it is decoded?"""
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, "PNG")  # a few kB that decode to 400 megapixels
    response = post_profile(as_role("admin"), buffer.getvalue())
    assert response.status_code == 422
    assert "This file could not be read as a picture, or it is far larger than a logo." in response.get_data(as_text=True)
    assert not OrganisationProfile.select().exists()


def test_a_logos_metadata_and_hidden_content_never_pass(as_role):
    """When a logo carries hostile metadata (a script in a text chunk, EXIF with a place), does any of it
    reach what the app keeps and prints in dossiers?"""
    exif = Image.Exif()
    exif[0x010E] = "<script>alert('exif')</script>"  # ImageDescription
    buffer = io.BytesIO()
    image = Image.new("RGB", (80, 40), (0, 90, 200))
    image.save(buffer, "JPEG", exif=exif, comment=b"<script>alert('comment')</script>")
    hostile_png = png(Comment="<script>alert('png')</script>", Author="Secret Source")
    admin = as_role("admin")
    for upload, name in ((buffer.getvalue(), "logo.jpg"), (hostile_png + b"<script>trailing</script>", "logo.png")):
        response = post_profile(admin, upload, name)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        kept = bytes(OrganisationProfile.get().logo)
        assert b"script" not in kept and b"Secret" not in kept
        reopened = Image.open(io.BytesIO(kept))
        assert reopened.format == "PNG" and not reopened.info.get("exif") and not reopened.text
        assert reopened.getexif() == {}


@pytest.mark.parametrize("changes, key, message", [
    ({"name_uk": ""}, "name_uk", "This field is required."),
    ({"consent_ru": "  "}, "consent_ru", "This field is required."),
    ({"address": ""}, "address", "This field is required."),
    ({"email": "", "phone": "", "website": ""}, "email", "Give at least one way to reach the organisation"),
    ({"email": "not an address"}, "email", "Enter a valid e-mail address."),
    ({"website": "javascript:alert(1)"}, "website", "Only http and https links are accepted."),
    ({"phone": "call me maybe"}, "phone", "A telephone number holds digits"),
    ({"name_en": "Watch\u202e"}, "name_en", "Contains control characters"),
    ({"name_ru": "x" * 301}, "name_ru", "Too long"),
])
def test_a_wrong_field_is_refused_beside_it(as_role, changes, key, message):
    """Is each wrong field of the profile named beside it, with nothing saved?"""
    response = post_profile(as_role("admin"), **changes)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{key}-error"' in page and message in page
    assert not OrganisationProfile.select().exists()


@pytest.fixture
def published(users):
    incident = make_incident(users["contributor"], make_facility(users["contributor"]))
    publish(incident, users["contributor"], users["reviewer"])
    return incident


@pytest.mark.parametrize("file_format", ["pdf", "docx"])
def test_a_russian_un_communication_names_the_organisation_and_its_consent(as_role, client, users, published,
                                                                         file_format):
    """Does a Russian communication to the UN Special Rapporteur name the organisation, its address and
    contact and its consent statement, in Russian, as its author, public or confidential, and no member
    of staff?"""
    post_profile(as_role("admin"), png())
    for redaction in ("public", "confidential"):
        data = build(client, users["lawyer"], incident_ids=[published.id], layout="un_srt", format=file_format,
                     redaction=redaction, lang="ru").data
        text = normalised(pdf_text(data) if file_format == "pdf" else docx_text(data))
        submitter = text.split("7. Автор сообщения")[-1]
        for expected in (NAMES["ru"], CONSENT["ru"], ADDRESS, "office@example.org", "+49 30 1234567"):
            assert expected in submitter, (redaction, expected)
        assert NAMES["en"] not in text and CONSENT["en"] not in text
        labels = submitter
        for data_text in (ADDRESS, "office@example.org", "+49 30 1234567", "https://example.org",
                          published.reference):
            labels = labels.replace(data_text, "")
        assert not re.findall(r"[A-Za-z]{3,}", labels), (redaction, labels)  # every label in Russian
        for person in users.values():
            assert person.email not in submitter and person.name not in submitter
    if file_format == "pdf":
        assert b"/Subtype /Image" in data  # the logo, on the cover


def test_a_public_dossier_names_the_organisation_and_no_member_of_staff(as_role, client, users, published):
    """With the profile set, does any part of a public bundle (PDF, data, manifest, README) name a member of
    staff, or the installation in the organisation's place?"""
    post_profile(as_role("admin"))
    bundle = build(client, users["lawyer"], incident_ids=[published.id], redaction="public", layout="un_srt",
                   lang="en")
    archive = zipfile.ZipFile(io.BytesIO(bundle.data))
    texts = [normalised(pdf_text(archive.read("dossier.pdf")))] + \
        [archive.read(name).decode("utf-8") for name in ("dossier.json", "evidence-manifest.json", "README.txt")]
    for text in texts:
        for person in users.values():
            assert person.email not in text and person.name not in text
    data = json.loads(archive.read("dossier.json"))
    assert data["compiled_by"] == NAMES["en"] and data["submitter"]["consent"] == CONSENT
    assert NAMES["en"] in archive.read("README.txt").decode("utf-8")


def test_without_a_profile_the_dossier_says_so_and_names_no_one(as_role, client, users, published):
    """Before any administrator sets the profile, does a confidential dossier fall back to the lawyer's
    name, or say plainly that no organisation is named, as the dossier page and the profile page do?"""
    for layout in ("un_srt", "dossier"):
        data = build(client, users["lawyer"], incident_ids=[published.id], layout=layout, redaction="confidential",
                     format="pdf", lang="en").data
        text = normalised(pdf_text(data))
        assert "No organisation is named as the author of this document" in text
        assert users["lawyer"].name not in text and users["lawyer"].email not in text
    lawyer_page = as_role("lawyer").get("/dossier").get_data(as_text=True)
    assert "No organisation profile is set" in lawyer_page and "/admin/organisation" not in lawyer_page
    admin = as_role("admin")
    assert "/admin/organisation" in admin.get("/dossier").get_data(as_text=True)
    post_profile(admin)
    assert "No organisation profile is set" not in admin.get("/dossier").get_data(as_text=True)


def test_two_first_saves_at_the_same_moment_leave_one_profile(app, as_role, users, monkeypatch):
    """Two administrators save the first profile at once (the second did not see the first's row):
    is there still one profile, and is the second told to reload rather than shown a 500 or given a
    second row that dossiers would never read?"""
    from incidents.admin import organisation
    admin = as_role("admin")
    assert post_profile(admin).status_code == 302
    monkeypatch.setattr(organisation, "current", lambda: None)  # as the second request saw the table
    response = post_profile(admin, phone="+49 30 7654321")
    assert response.status_code == 409
    assert "Someone else saved the profile at the same moment" in response.get_data(as_text=True)
    assert OrganisationProfile.select().count() == 1
    assert OrganisationProfile.get().phone == "+49 30 1234567"
