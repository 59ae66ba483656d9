"""Issue 17, point 5: who acted in a response, what came of it, and a link's description typed in the
incident form take a version per language beside the original (the incident's original language),
as an attached item's description does: kept through the form and the API, refused when nonsense,
shown in the reader's language on pages and in dossiers, said to be a translation or the original."""
from __future__ import annotations

import pytest

from incidents.models import EvidenceItem, Incident, Response
from incidents.records import service
from incidents.revisions import diff, snapshot
from tests.factories import MAX_TEXT, incident_data, make_incident, move, publish
from tests.helpers import bearer_headers, translated
from tests.records.test_responses import form_for
from tests.records.test_texts_per_language import dossier, visible

BODY_RU, BODY_EN = "Следственный комитет по Саратовской области", "Investigative Committee, Saratov region"
DETAILS_RU, DETAILS_UK = "Проверка проведена, в деле отказано.", "Перевірку проведено, у справі відмовлено."
RESPONSE = {"kind": "case_refused", "date": "2021-10-07", "body": BODY_RU, "description": DETAILS_RU,
            "body_translations": {"en": BODY_EN}, "description_translations": {"uk": DETAILS_UK},
            "confidential": False}


@pytest.fixture
def answered(users, facility):
    """A published incident written in Russian with one response, translated in part."""
    incident = make_incident(users["contributor"], facility, original_language="ru",
                             title={"ru": "Пытки в ОТБ-1"}, narrative={"ru": "Избиение."}, responses=[RESPONSE])
    publish(incident, users["contributor"], users["reviewer"])
    return Incident.get_by_id(incident.id)


def test_the_form_keeps_translations_of_responses_and_links(as_role, facility):
    """A contributor types an English version of who acted, a Ukrainian one of the outcome and an
    English one of a link's description: all kept; the edit form shows them again, offers no field
    for a translation into the original language, and a version cleared there is cleared."""
    contributor = as_role("contributor")
    created = contributor.post("/incidents/new", data=form_for(facility, **{
        "responses-0-body": BODY_RU, "responses-0-body_translations_en": BODY_EN,
        "responses-0-description": DETAILS_RU, "responses-0-description_translations_uk": DETAILS_UK,
        "responses-0-confidential": "", "evidence-0-kind": "220904051501", "evidence-0-url": "https://example.org/v",
        "evidence-0-description": "Видео из больницы", "evidence-0-description_translations_en": "Video from the hospital"}))
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    row = Response.get()
    assert (row.body, row.body_translations, row.description_translations) == (BODY_RU, {"en": BODY_EN},
                                                                               {"uk": DETAILS_UK})
    link = EvidenceItem.get()
    assert (link.description, link.description_translations) == ("Видео из больницы", {"en": "Video from the hospital"})
    incident = Incident.get()
    page = contributor.get(f"/incidents/{incident.id}/edit").get_data(as_text=True)
    assert f'name="responses-0-body_translations_en" type="text" value="{BODY_EN}"' in page
    assert DETAILS_UK in page and 'value="Video from the hospital"' in page
    # Russian is the original: no box for it, unless a script shows it when the original changes.
    assert '<div class="field" data-translation="ru" hidden><label for="responses-0-body_translations_ru">' in page
    assert 'name="responses-1-body_translations_en"' in page  # the blank row asks for them too
    edited = contributor.post(f"/incidents/{incident.id}/edit", data=form_for(facility, **{
        "version": str(incident.version), "responses-0-id": str(row.id), "responses-0-body": BODY_RU,
        "responses-0-body_translations_en": "", "responses-0-description": DETAILS_RU,
        "responses-0-description_translations_uk": DETAILS_UK, "responses-0-confidential": "",
        "evidence-0-id": str(link.id), "evidence-0-kind": "220904051501", "evidence-0-url": "https://example.org/v",
        "evidence-0-description": "Видео из больницы", "evidence-0-description_translations_en": "Video from the hospital"}))
    assert edited.status_code == 302, edited.get_data(as_text=True)[:2000]
    row = Response.get_by_id(row.id)
    assert (row.body_translations, row.description_translations) == (None, {"uk": DETAILS_UK})
    assert EvidenceItem.get_by_id(link.id).description_translations == {"en": "Video from the hospital"}


@pytest.mark.parametrize("typed, key, message", [
    # A translation typed alone: the row is kept on the page, with what is missing said.
    ({"responses-0-body": "", "responses-0-body_translations_en": BODY_EN}, "responses-0-body",
     "Give this text in the original language as well."),
    ({"responses-0-body_translations_ru": "Тот же язык"}, "responses-0-body_translations",
     "The text in the original language goes in its own field, not among the translations."),
    ({"responses-0-description_translations_en": "x" * 5001}, "responses-0-description_translations", "5000"),
    ({"evidence-0-kind": "220904051501", "evidence-0-url": "https://example.org/v",
      "evidence-0-description_translations_uk": "Відео"}, "evidence-0-description",
     "Give this text in the original language as well."),
])
def test_the_form_refuses_bad_translations_keeps_what_was_typed_and_saves_nothing(app, as_role, facility, typed,
                                                                                 key, message):
    response = as_role("contributor").post("/incidents/new?lang=ru", data=form_for(facility, **typed))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{key}-error"' in page
    assert translated(app, message, "ru") in page or message in page
    assert all(value[:200] in page for value in typed.values())  # nothing typed is lost
    assert not Incident.select().exists() and not Response.select().exists()


@pytest.mark.parametrize("translations, field", [
    ({"body_translations": {"ru": "Тот же язык"}}, "responses-0-body_translations"),
    ({"body_translations": {"xx": "Nonsense"}}, "responses-0-body_translations"),
    ({"body_translations": "Investigative Committee"}, "responses-0-body_translations"),
    ({"body_translations": {"en": "A" * 301}}, "responses-0-body_translations"),
    ({"description_translations": {"en": "<script>alert(1)</script>\u0000"}}, "responses-0-description_translations"),
    ({"body": "", "body_translations": {"en": BODY_EN}}, "responses-0-body"),
])
def test_the_api_refuses_bad_translations_on_their_field(client, users, facility, translations, field):
    before = Incident.select().count()
    data = incident_data(facility, original_language="ru", title={"ru": "Пытки"}, narrative={"ru": "Избиение."},
                         responses=[dict(RESPONSE, **translations)])
    response = client.post("/api/v1/incidents", json=data, headers=bearer_headers(users["contributor"]))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"][field]
    assert Incident.select().count() == before


def test_pages_and_the_api_show_the_readers_version_and_say_what_it_is(app, client, answered):
    """In English: who acted in English, said to be translated from Russian; the outcome in the Russian
    original, said to be untranslated. In Ukrainian: the outcome's Ukrainian version. The public API
    carries the versions as they are kept."""
    english = visible(client.get(f"/incidents/{answered.id}?lang=en"))
    assert f"{BODY_EN} (translated from Russian)" in english
    assert f"{DETAILS_RU} (not translated: the original, in Russian)" in english
    ukrainian = visible(client.get(f"/incidents/{answered.id}?lang=uk"))
    assert f"{DETAILS_UK} ({translated(app, 'translated from Russian', 'uk')})" in ukrainian
    assert f"{BODY_RU} ({translated(app, 'not translated: the original, in Russian', 'uk')})" in ukrainian
    page = client.get(f"/incidents/{answered.id}?lang=ru").get_data(as_text=True)
    russian = visible(client.get(f"/incidents/{answered.id}?lang=ru"))
    assert BODY_RU in russian and BODY_EN not in russian and DETAILS_UK not in russian
    # The outcome's cell keeps white space as typed (class "prose"): nothing before the text.
    assert f'<td class="prose" data-label="Подробности и результат">{DETAILS_RU}</td>' in page
    public = client.get(f"/api/v1/incidents/{answered.id}").get_json()["responses"][0]
    assert (public["body"], public["body_translations"], public["description_translations"]) == (
        BODY_RU, {"en": BODY_EN}, {"uk": DETAILS_UK})


def test_a_confidential_responses_translations_never_reach_the_public(client, users, facility):
    incident = make_incident(users["contributor"], facility, original_language="ru", title={"ru": "Пытки"},
                             narrative={"ru": "Избиение."},
                             responses=[dict(RESPONSE, confidential=True, body_translations={"en": "Zzsecretbody"})])
    publish(incident, users["contributor"], users["reviewer"])
    for language in ("en", "ru", "uk"):
        assert "Zzsecretbody" not in client.get(f"/incidents/{incident.id}?lang={language}").get_data(as_text=True)
    assert "Zzsecretbody" not in client.get(f"/api/v1/incidents/{incident.id}").get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_a_dossier_uses_the_version_in_its_language_and_says_so(app, client, users, answered, fmt):
    """An English dossier: who acted in English and the outcome in the Russian original, each way
    said under the table; a Russian one: the originals, with no note."""
    with app.test_request_context():
        from flask_babel import force_locale, gettext
        with force_locale("en"):
            notes = [gettext("Translated from %(language)s; the original text is authoritative.", language="Russian"),
                     gettext("Not translated: shown in the original language (%(language)s).", language="Russian")]
    english = dossier(client, users["lawyer"], answered, "en", fmt)
    # A table's narrow column wraps a name across the lines of its neighbours in a PDF's text.
    assert "Investigative" in english and "Saratov region" in english and "Следственный" not in english
    assert DETAILS_RU in english
    assert all(note in english for note in notes)
    russian = dossier(client, users["lawyer"], answered, "ru", fmt)
    assert "Саратовской области" in russian and "Investigative" not in russian and DETAILS_UK not in russian
    assert "original text is" not in russian and "Перевод. Язык оригинала" not in russian


def test_a_rejected_edit_takes_back_the_translations_it_brought(users, facility):
    """Published with who acted in English and the outcome untranslated; an edit adds a Ukrainian
    version of each, and the review shows them as changes; the reviewer rejects the edit: the working
    copy is what is public again, the outcome with no translation at all."""
    incident = make_incident(users["contributor"], facility, original_language="ru", title={"ru": "Пытки"},
                             narrative={"ru": "Избиение."}, responses=[dict(RESPONSE, description_translations={})])
    publish(incident, users["contributor"], users["reviewer"])
    published = snapshot(Incident.get_by_id(incident.id))
    assert "description_translations" not in published["responses"][0]  # as a snapshot from before them
    data = dict(published, responses=[dict(published["responses"][0], body_translations={"en": BODY_EN, "uk": "Слідчий комітет"},
                                           description_translations={"uk": DETAILS_UK})])
    service.update_incident(incident.id, data, users["contributor"], version=Incident.get_by_id(incident.id).version,
                            max_text=MAX_TEXT)
    [change] = diff(published, snapshot(Incident.get_by_id(incident.id)))
    texts = {attribute.name: [(code, old, new) for code, old, new, _words in attribute.texts]
             for attribute in change.rows[0].attributes}
    assert texts == {"body_translations": [("uk", None, "Слідчий комітет")],
                     "description_translations": [("uk", None, DETAILS_UK)]}
    move(incident, users["contributor"], "submit")
    move(incident, users["reviewer"], "reject", "Not sourced.")
    row = Response.get(Response.incident == incident.id)
    assert (row.body_translations, row.description_translations) == ({"en": BODY_EN}, None)


def test_a_partial_edit_that_does_not_name_translations_keeps_them(client, users, answered):
    """A client written before rows had translations sends back a response and a link by their ids,
    without the new keys, to change something else: their translations stay; {} removes them."""
    headers = bearer_headers(users["contributor"])
    link = client.post(f"/api/v1/incidents/{answered.id}/evidence", headers=headers, json={
        "kind": "220904051501", "url": "https://example.org/v", "description": "Видео",
        "description_translations": {"en": "Video"}})
    assert link.status_code == 201, link.get_json()
    current = client.get(f"/api/v1/incidents/{answered.id}", headers=headers).get_json()
    old_client = lambda row: {k: v for k, v in row.items() if not k.endswith("_translations")}  # noqa: E731
    response = dict(old_client(current["responses"][0]), date="2021-10-08")
    links = [dict(old_client(row), description="Видеозапись") for row in current["evidence"]]
    patched = client.patch(f"/api/v1/incidents/{answered.id}", headers=headers, json={
        "version": current["version"], "responses": [response], "evidence": links})
    assert patched.status_code == 200, patched.get_json()
    row = Response.get(Response.incident == answered.id)
    assert (row.date, row.body_translations, row.description_translations) == (
        "2021-10-08", {"en": BODY_EN}, {"uk": DETAILS_UK})
    item = EvidenceItem.get_by_id(link.get_json()["id"])
    assert (item.description, item.description_translations) == ("Видеозапись", {"en": "Video"})
    cleared = client.patch(f"/api/v1/incidents/{answered.id}", headers=headers, json={
        "version": patched.get_json()["version"], "responses": [dict(response, body_translations={})]})
    assert cleared.status_code == 200, cleared.get_json()
    assert Response.get_by_id(row.id).body_translations is None
