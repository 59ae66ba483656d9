"""Dossiers: what each redaction lets through, in every format, the layouts, and who may build one."""
from __future__ import annotations

import io
import json
import os
import zipfile

import docx
import pypdf
import pytest

from incidents.models import AuditEvent, CustodyEvent, EvidenceItem
from tests.factories import JPEG, attach_file, item_where, make_facility, make_incident, publish
from tests.helpers import bearer_headers

# Confidential values: none may appear in a public dossier, in any format. Each is one word, so
# that a table cell wrapping it across lines cannot hide it from the search.
LEGAL_NAME = "Зарецкий-Иванов"
CONTACT = "+79000000017"
SOURCE = "InsiderKolya77"
SECRET_ITEM = "RosterSecret42"
SECRET_LINK = "https://example.org/secret-link"
SECRET_RESPONSE = "MotherComplaint99"
NAMED_LEGAL_NAME = "Петров-Названный"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def normalised(text: str) -> str:
    """PDF text extraction splits lines and doubles spaces; compare words, not layout."""
    return " ".join(text.split())


@pytest.fixture
def case(app, users):
    """A published incident with everything a dossier may or may not show."""
    facility = make_facility(users["contributor"])
    persons = [
        {"role": "victim", "pseudonym": "Prisoner S.", "legal_name": LEGAL_NAME, "contact": CONTACT,
         "citizenship": "RU", "sex": "male", "age": 35, "consent": "anonymised"},
        {"role": "witness", "pseudonym": "Witness W.", "legal_name": NAMED_LEGAL_NAME, "contact": "",
         "citizenship": "RU", "sex": "male", "age": 50, "consent": "named"},
    ]
    evidence = [{"kind": "220904051501", "url": "https://example.org/video", "description": "Public video"},
                {"kind": "220904051501", "url": SECRET_LINK, "description": "Secret link", "confidential": True}]
    responses = [{"kind": "inquiry", "date": "2021-10-06", "body": "Investigative Committee",
                  "description": "An inquiry was opened.", "confidential": False},
                 {"kind": "complaint", "date": "2021-10-01", "body": "Prosecutor's office",
                  "description": SECRET_RESPONSE, "confidential": True}]
    incident = make_incident(users["contributor"], facility, persons=persons, evidence=evidence,
                             responses=responses)
    public_file = attach_file(app, incident, users["contributor"], description="Photo of the ward",
                              source=SOURCE)
    secret_file = attach_file(app, incident, users["contributor"], content=b"roster" * 100,
                              filename="roster.txt", description=SECRET_ITEM, confidential=True)
    publish(incident, users["contributor"], users["reviewer"])
    draft = make_incident(users["contributor"], facility, title={"ru": "Черновик", "en": "Unpublished draft"})
    return {"incident": incident, "facility": facility, "public_file": public_file,
            "secret_file": secret_file, "draft": draft}


def build(client, user, **body):
    body.setdefault("incident_ids", [])
    return client.post("/api/v1/dossiers", json=body, headers=bearer_headers(user))


CONFIDENTIAL_VALUES = (LEGAL_NAME, CONTACT, SOURCE, SECRET_ITEM, SECRET_LINK, SECRET_RESPONSE, NAMED_LEGAL_NAME,
                       "roster.txt", "photo.jpg")


@pytest.mark.parametrize("layout", ["dossier", "un_srt", "echr", "cpt"])
def test_public_dossier_never_shows_identities_or_sources(client, users, case, layout):
    """Does a public dossier, as PDF, DOCX and bundle JSON, leave out every confidential value?"""
    ids = [case["incident"].id]
    texts = {}
    for fmt in ("pdf", "docx"):
        response = build(client, users["lawyer"], incident_ids=ids, redaction="public", layout=layout, format=fmt)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        texts[fmt] = normalised(pdf_text(response.data) if fmt == "pdf" else docx_text(response.data))
    bundle = build(client, users["lawyer"], incident_ids=ids, redaction="public", layout=layout)
    archive = zipfile.ZipFile(io.BytesIO(bundle.data))
    assert "custody-log.csv" not in archive.namelist()  # who handled evidence, and when, is for staff
    for name in ("dossier.json", "evidence-manifest.json", "README.txt"):
        texts[name] = archive.read(name).decode("utf-8-sig")
    texts["bundle pdf"] = normalised(pdf_text(archive.read("dossier.pdf")))
    for where, text in texts.items():
        for value in CONFIDENTIAL_VALUES:
            assert normalised(value) not in text, (where, value)
        assert "Prisoner S." in text or where in ("evidence-manifest.json", "README.txt"), where
    assert "An inquiry was opened." in texts["pdf"]  # a public response is there


def test_confidential_dossier_names_only_who_consented(client, users, case):
    """Does a confidential dossier show sources, confidential items and drafts, yet give a legal name
    only for a person who consented to be named, and no contact details?

    A confidential dossier shows sources and a named person's legal name, never an anonymised one's."""
    response = build(client, users["lawyer"], incident_ids=[case["incident"].id, case["draft"].id],
                     redaction="confidential", format="pdf")
    assert response.status_code == 200
    text = normalised(pdf_text(response.data))
    assert NAMED_LEGAL_NAME in text and SOURCE in text and SECRET_ITEM in text and SECRET_RESPONSE in text
    assert LEGAL_NAME not in text and CONTACT not in text
    assert "Unpublished draft" in text  # staff may put working copies in a confidential dossier


def test_every_export_is_audited_and_in_each_items_custody(client, users, case):
    """Does every export leave a trace in the audit trail and in each exported item's chain of custody?"""
    before = CustodyEvent.select().where(CustodyEvent.action == "exported").count()
    response = build(client, users["lawyer"], incident_ids=[case["incident"].id], redaction="confidential",
                     format="docx")
    assert response.status_code == 200
    event = AuditEvent.select().where(AuditEvent.action == "dossier.export").get()
    assert event.actor_email == users["lawyer"].email
    assert event.detail["incidents"] == [case["incident"].id] and event.detail["redaction"] == "confidential"
    exported = {e.item_id for e in CustodyEvent.select().where(CustodyEvent.action == "exported")}
    assert {case["public_file"].id, case["secret_file"].id} <= exported
    assert CustodyEvent.select().where(CustodyEvent.action == "exported").count() > before
    # A public dossier records custody for the items it includes, links too, and no others.
    build(client, users["researcher"], incident_ids=[case["incident"].id], redaction="public", format="pdf")
    public_export = CustodyEvent.select().where((CustodyEvent.action == "exported")
                                                & (CustodyEvent.actor == users["researcher"].id))
    public_link = item_where(url="https://example.org/video", incident_id=case["incident"].id)
    assert {e.item_id for e in public_export} == {case["public_file"].id, public_link.id}


@pytest.mark.parametrize("role, redaction, status", [
    ("researcher", "public", 200), ("researcher", "confidential", 403),
    ("contributor", "public", 403), ("lawyer", "confidential", 200),
    ("reviewer", "confidential", 200), ("admin", "public", 200),
])
def test_who_may_build_which_dossier(client, users, case, role, redaction, status):
    """Which roles may build a public dossier, and which a confidential one?"""
    response = build(client, users[role], incident_ids=[case["incident"].id], redaction=redaction, format="pdf")
    assert response.status_code == status


def test_the_public_cannot_build_and_nothing_is_recorded(client, case):
    """Can someone who is not signed in build or download a dossier?"""
    response = client.post("/api/v1/dossiers", json={"incident_ids": [case["incident"].id]})
    assert response.status_code == 401
    assert client.get(f"/api/v1/incidents/{case['incident'].id}/dossier.pdf").status_code == 401
    assert not AuditEvent.select().where(AuditEvent.action == "dossier.export").exists()


def test_a_public_dossier_holds_published_incidents_only(client, users, case):
    """Can an unpublished incident be put in a public dossier?"""
    response = build(client, users["lawyer"], incident_ids=[case["incident"].id, case["draft"].id],
                     redaction="public", format="pdf")
    assert response.status_code == 422
    assert str(case["draft"].id) in response.json["error"]["fields"]["incident_ids"][0]


@pytest.mark.parametrize("body", [
    {"incident_ids": "1"}, {"incident_ids": []}, {"incident_ids": [0]}, {"incident_ids": [-3]},
    {"incident_ids": ["1; DROP TABLE incident"]}, {"incident_ids": [True]}, {"incident_ids": [2**40]},
    {"incident_ids": list(range(1, 300))}, {"incident_ids": [1], "redaction": "secret"},
    {"incident_ids": [1], "layout": "<script>"}, {"incident_ids": [1], "lang": "de"},
    {"incident_ids": [1], "format": "exe"}, {"incident_ids": [1], "include_files": "yes"},
    {"incident_ids": [999999]},
])
def test_bad_requests_are_refused_and_nothing_recorded(client, users, case, body):
    """Is a dossier request with malformed ids or unknown options refused with the field named, leaving
    no trace in the audit trail or custody logs?"""
    response = client.post("/api/v1/dossiers", json=body, headers=bearer_headers(users["lawyer"]))
    assert response.status_code == 422, body
    assert response.json["error"]["fields"]
    assert not AuditEvent.select().where(AuditEvent.action == "dossier.export").exists()
    assert not CustodyEvent.select().where(CustodyEvent.action == "exported").exists()


def test_not_json_is_a_400(client, users):
    """Is a dossier request that is not JSON refused as a bad request?"""
    response = client.post("/api/v1/dossiers", data="incident_ids=1", headers=bearer_headers(users["lawyer"]))
    assert response.status_code == 400


def test_labels_follow_the_dossiers_language_and_translations_say_so(client, users, case):
    """Are a dossier's labels in the language asked for, and does it say when a text is a translation
    or the original because no translation exists?

    Russian labels in a Russian dossier; an English one shows the translation and names the original."""
    incident = case["incident"].id
    headers = bearer_headers(users["lawyer"])
    russian = normalised(pdf_text(client.get(f"/api/v1/incidents/{incident}/dossier.pdf?lang=ru",
                                             headers=headers).data))
    assert "Доказательства" in russian and "Туберкулёзная больница № 1" in russian
    assert "Пытки в больнице" in russian and "Translated" not in russian
    english = normalised(pdf_text(client.get(f"/api/v1/incidents/{incident}/dossier.pdf?lang=en",
                                             headers=headers).data))
    assert "Evidence" in english and "Torture in the hospital" in english
    assert "Translated from Russian" in english
    ukrainian = normalised(pdf_text(client.get(f"/api/v1/incidents/{incident}/dossier.pdf?lang=uk",
                                               headers=headers).data))
    assert "Пытки в больнице" in ukrainian  # no Ukrainian text: the original, and a note saying so
    assert "Докази" in ukrainian


def test_the_pdf_embeds_the_projects_font(client, users, case):
    """Does a PDF dossier embed the project's font, so that Cyrillic text shows on any reader?"""
    data = client.get(f"/api/v1/incidents/{case['incident'].id}/dossier.pdf?lang=ru",
                      headers=bearer_headers(users["lawyer"])).data
    fonts = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]))
            assert "/FontFile2" in font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    assert any("DejaVu" in name for name in fonts)


def test_pdf_has_cover_contents_and_page_numbers(client, users, case):
    """Does a PDF dossier have a cover, a table of contents, page numbers and every section, with
    HURIDOCS codes and evidence hashes?"""
    data = client.get(f"/api/v1/incidents/{case['incident'].id}/dossier.pdf?lang=en",
                      headers=bearer_headers(users["lawyer"])).data
    pages = [normalised(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(data)).pages]
    assert "Documentation dossier" in pages[0] and "Compiled by" in pages[0] and "Public" in pages[0]
    assert "Contents" in pages[1] and case["incident"].reference in pages[1]
    for number, text in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in text
    body = " ".join(pages)
    for heading in ("What happened", "What was done", "Evidence", "Verification assessments", "What happened after"):
        assert heading in body
    assert "030502000000" in body  # abuse types with their HURIDOCS codes
    assert case["public_file"].stored_file_id in body  # the evidence's SHA-256


def test_un_layout_asks_the_rapporteurs_questions(client, users, case):
    """Does the UN layout answer the questions the Special Rapporteur on torture asks?"""
    data = build(client, users["lawyer"], incident_ids=[case["incident"].id], layout="un_srt", format="pdf",
                 lang="en").data
    text = normalised(pdf_text(data))
    for section in ("Victim", "Date and place of arrest and detention", "Description of the treatment",
                    "Alleged perpetrators", "Domestic remedies tried", "Submitter"):
        assert section in text
    assert "An inquiry was opened." in text


def test_echr_layout_leaves_out_facts_after_russia_left_the_convention(client, users, case):
    """Does the ECHR layout leave out facts after 16 September 2022, list later incidents apart and
    flag those that continued past it?"""
    later = make_incident(users["contributor"], case["facility"], date_start="2023-05-01", date_precision="day",
                          title={"ru": "После выхода", "en": "After the withdrawal"},
                          narrative={"ru": "Событие 2023 года.", "en": "Something in 2023."})
    spanning = make_incident(users["contributor"], case["facility"], date_start="2022-09-01",
                             date_end="2022-10-01", date_precision="day",
                             title={"ru": "Через границу", "en": "Across the date"},
                             narrative={"ru": "До и после.", "en": "Before and after."})
    for incident in (later, spanning):
        publish(incident, users["contributor"], users["reviewer"])
    data = build(client, users["lawyer"], incident_ids=[case["incident"].id, later.id, spanning.id],
                 layout="echr", format="pdf", lang="en").data
    text = normalised(pdf_text(data))
    assert "16 September 2022" in text
    assert "Something in 2023." not in text  # not a fact of the statement
    assert later.reference in text.split("Incidents after 16 September 2022")[-1]
    assert "continued after 16 September 2022" in text and "Before and after." in text


def test_cpt_note_groups_by_facility(client, users, case):
    """Does the CPT layout group the treatment reported by facility?"""
    data = build(client, users["lawyer"], incident_ids=[case["incident"].id], layout="cpt", format="docx",
                 lang="en").data
    text = docx_text(data)
    assert "Tuberculosis Hospital No. 1" in text and "Treatment reported" in text


def test_a_bundles_data_and_manifest_describe_the_evidence(client, users, case):
    """Do a bundle's data and manifest describe each piece of evidence, with its hash, custody and a
    file identical to the original?"""
    bundle = build(client, users["lawyer"], incident_ids=[case["incident"].id], redaction="confidential",
                   include_files=True)
    archive = zipfile.ZipFile(io.BytesIO(bundle.data))
    manifest = json.loads(archive.read("evidence-manifest.json"))
    items = {entry["item"]: entry for entry in manifest["items"]}
    entry = items[case["public_file"].id]
    assert entry["sha256"] == case["public_file"].stored_file_id
    assert entry["file"] in archive.namelist() and entry["received"]
    assert [e["action"] for e in entry["custody"]][:2] == ["received", "hashed"]
    assert archive.read(entry["file"]) == open(
        f"{client.application.config['SETTINGS'].EVIDENCE_DIR}/originals/{entry['sha256'][:2]}/"
        f"{entry['sha256'][2:4]}/{entry['sha256']}", "rb").read()
    data = json.loads(archive.read("dossier.json"))
    assert data["redaction"] == "confidential" and data["incidents"][0]["reference"] == case["incident"].reference


def test_a_public_dossier_names_no_member_of_staff(client, users, case):
    """Can a public dossier reveal which staff compiled it, assessed its evidence or handled it?

    The compiler, assessors and custodians are staff: a public dossier names the installation."""
    bundle = build(client, users["lawyer"], incident_ids=[case["incident"].id], redaction="public", layout="un_srt")
    archive = zipfile.ZipFile(io.BytesIO(bundle.data))
    texts = [normalised(pdf_text(archive.read("dossier.pdf")))] + \
        [archive.read(name).decode("utf-8") for name in ("dossier.json", "evidence-manifest.json", "README.txt")]
    for text in texts:
        for staff in users.values():
            assert staff.email not in text and staff.name not in text
    data = json.loads(archive.read("dossier.json"))
    assert data["compiled_by"] == "http://127.0.0.1:5000"
    assert all("custody" not in item and "assessments" not in item
               for incident in data["incidents"] for item in incident["evidence"])


def test_a_public_bundle_carries_derivatives_and_never_an_original(app, client, users, case):
    """Does a public bundle carry only derivative copies and never an original byte, while a
    confidential bundle carries every original?

    A public bundle carries the public's copy of each picture, named as a derivative of its
    original, and no original byte; a document has no derivative and goes in by hash only. A
    confidential bundle carries every original."""
    document = attach_file(app, case["incident"], users["reviewer"], content=b"Notes from the visit.\n" * 10,
                           filename="notes.txt", description="Notes")
    publish(case["incident"], users["reviewer"], users["reviewer2"])
    stored = {i.id: i.stored_file for i in EvidenceItem.select().where(EvidenceItem.stored_file.is_null(False))}
    photo = stored[case["public_file"].id]
    public = zipfile.ZipFile(io.BytesIO(build(client, users["lawyer"], incident_ids=[case["incident"].id],
                                              redaction="public", include_files=True).data))
    assert not [name for name in public.namelist() if name.startswith("evidence/")]
    assert [name for name in public.namelist() if name.startswith("derivatives/")] == \
        [f"derivatives/{photo.sha256}.derivative.jpg"]
    derivative = public.read(f"derivatives/{photo.sha256}.derivative.jpg")
    original = open(f"{app.config['SETTINGS'].EVIDENCE_DIR}/originals/{photo.sha256[:2]}/{photo.sha256[2:4]}/"
                    f"{photo.sha256}", "rb").read()
    assert derivative[:2] == b"\xff\xd8" and derivative != original
    entries = {e["item"]: e for e in json.loads(public.read("evidence-manifest.json"))["items"]}
    assert entries[case["public_file"].id]["file"] is None
    assert entries[case["public_file"].id]["derivative"] == f"derivatives/{photo.sha256}.derivative.jpg"
    assert "derivative" not in entries[document.id] and entries[document.id]["sha256"] == stored[document.id].sha256
    assert "derivatives/ are not the originals" in public.read("README.txt").decode("utf-8")
    confidential = zipfile.ZipFile(io.BytesIO(build(client, users["lawyer"], incident_ids=[case["incident"].id],
                                                    redaction="confidential", include_files=True).data))
    assert sum(name.startswith("evidence/") for name in confidential.namelist()) == 3
    assert not any(name.startswith("derivatives/") for name in confidential.namelist())


def test_a_missing_original_stops_the_bundle_before_anything_is_recorded(app, client, users, case):
    """If an original file is missing, is the bundle refused before anything is recorded as exported?"""
    store_path = app.config["SETTINGS"].EVIDENCE_DIR
    sha256 = case["public_file"].stored_file_id
    path = os.path.join(store_path, "originals", sha256[:2], sha256[2:4], sha256)
    os.chmod(os.path.dirname(path), 0o700)
    os.chmod(path, 0o600)
    os.remove(path)
    response = build(client, users["lawyer"], incident_ids=[case["incident"].id], include_files=True)
    assert response.status_code == 409
    assert not AuditEvent.select().where(AuditEvent.action == "dossier.export").exists()
    assert not CustodyEvent.select().where(CustodyEvent.action == "exported").exists()


def test_a_dossier_get_needs_a_token_not_just_a_session(as_role, case):
    """Can a link on another site make a signed-in lawyer's browser export a dossier?

    A link on another site must not make a signed-in lawyer's browser export a dossier."""
    browser = as_role("lawyer")
    response = browser.get(f"/api/v1/incidents/{case['incident'].id}/dossier.pdf?redaction=confidential")
    assert response.status_code == 401
    assert not AuditEvent.select().where(AuditEvent.action == "dossier.export").exists()


@pytest.mark.parametrize("date_start, precision, flag", [
    ("2022-09", "month", "known only approximately"),
    ("2022", "year", "known only approximately"),
    ("2022-09-10", "day", ""),
])
def test_echr_flags_dates_that_may_reach_past_the_cutoff(client, users, case, date_start, precision, flag):
    """Does the ECHR layout flag an incident whose approximate date may reach past the cut-off, and
    only such an incident?"""
    incident = make_incident(users["contributor"], case["facility"], date_start=date_start, date_precision=precision)
    publish(incident, users["contributor"], users["reviewer"])
    text = normalised(pdf_text(build(client, users["lawyer"], incident_ids=[incident.id], layout="echr",
                                     format="pdf", lang="en").data))
    assert "A prisoner was tied to a bed." in text  # began before the cut-off: in the statement
    if flag:
        assert flag in text
    else:
        assert "approximately" not in text and "continued after" not in text


def test_a_file_name_with_a_bidi_override_cannot_spoof_its_extension_in_a_dossier(app, client, users, case):
    """Can a file name with a bidirectional override disguise its extension in a dossier?

    "photo‮gpj.exe" reads as "photoexe.jpg" wherever the override is honoured (a DOCX in Word)."""
    item = attach_file(app, case["incident"], users["reviewer"], JPEG, "photo.jpg")
    # An upload's name loses such characters; an ingested one keeps the name it had in the archive.
    EvidenceItem.update(original_filename="photo\u202egpj.exe").where(EvidenceItem.id == item.id).execute()
    response = build(client, users["lawyer"], incident_ids=[case["incident"].id], redaction="confidential",
                     format="docx")
    text = docx_text(response.data)
    assert "photo\ufffdgpj.exe" in text and "\u202e" not in text
