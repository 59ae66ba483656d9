"""Issue 17, point 5: a facility's name, locality and authority and an evidence item's description
kept per language, the original marked, a translation said to be one, the original shown (and said
to be) where there is no translation: on pages, in the API and in dossiers."""
from __future__ import annotations

import html
import re

import pytest

from incidents.models import EvidenceItem, Facility
from tests.dossiers.test_dossiers import docx_text, normalised, pdf_text
from tests.factories import attach_file, facility_data, make_facility, make_incident, publish
from tests.helpers import bearer_headers, translated

UK_NAME, RU_NAME = "Виправна колонія № 96", "Исправительная колония № 96"


@pytest.fixture
def colony(users):
    """A facility entered in Ukrainian (the original) and translated into Russian, not English, with
    a published incident (which makes it public)."""
    place = make_facility(users["reviewer"], names={"uk": UK_NAME, "ru": RU_NAME}, original_language="uk",
                          aliases=[], localities={"uk": "Харків", "ru": "Харьков"},
                          authorities={"uk": "Мін'юст України"})
    publish(make_incident(users["contributor"], place), users["contributor"], users["reviewer"])
    return Facility.get_by_id(place.id)


def visible(response) -> str:
    """A page's text as read: no tags, spaces collapsed."""
    assert response.status_code in (200, 422), response.status_code
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def page(client, facility, language: str) -> str:
    return visible(client.get(f"/facilities/{facility.id}?lang={language}"))


def test_a_facility_page_shows_the_readers_version_and_says_what_it_is(app, client, colony):
    """In Russian: the Russian name and town, each said to be translated from Ukrainian, and the
    authority, not translated, in the Ukrainian original, said so; in Ukrainian: the originals,
    unmarked; in English: the Ukrainian originals, each said to be untranslated."""
    russian = page(client, colony, "ru")
    assert f"{RU_NAME} ({translated(app, 'translated from Ukrainian')})" in russian
    assert "Харьков (" + translated(app, "translated from Ukrainian") + ")" in russian
    assert "Мін'юст України (" + translated(app, "not translated: the original, in Ukrainian") + ")" in russian
    assert "переведено с украинского" in russian  # the language declined, as a Russian reader writes it
    ukrainian = page(client, colony, "uk")
    assert f"{UK_NAME} Тип" in ukrainian and "Харків, " in ukrainian
    assert translated(app, "translated from Ukrainian", "uk") not in ukrainian
    english = page(client, colony, "en")
    assert f"{UK_NAME} (not translated: the original, in Ukrainian)" in english
    assert "Original language Ukrainian" in english


def test_the_facility_form_keeps_each_version_and_the_original(app, users, as_role, colony):
    """Does the edit form show each language's texts and save a new translation beside them?"""
    reviewer = as_role("reviewer")
    form = html.unescape(reviewer.get(f"/facilities/{colony.id}/edit").get_data(as_text=True))
    assert 'value="Харьков"' in form and 'value="Харків"' in form
    assert '<option selected value="uk">' in form
    response = reviewer.post(f"/facilities/{colony.id}/edit", data={
        "original_language": "uk", "name_uk": UK_NAME, "name_ru": RU_NAME, "name_en": "Penal Colony No. 96",
        "type": "prison_hospital", "country": "RU", "region": "RU-SAR", "locality_uk": "Харків",
        "locality_ru": "Харьков", "locality_en": "Kharkiv", "authority_uk": "Мін'юст України"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    saved = Facility.get_by_id(colony.id)
    assert saved.localities == {"uk": "Харків", "ru": "Харьков", "en": "Kharkiv"}
    assert (saved.original_language, saved.locality, saved.names["en"]) == ("uk", "Харків", "Penal Colony No. 96")
    assert "kharkiv" in saved.search_text  # found by any of its versions


def test_a_town_and_an_authority_cleared_in_the_form_stay_cleared(app, as_role, colony):
    """A reviewer empties every version of the town and of the authority: are they gone, not the old
    text brought back by the facility's single columns?"""
    response = as_role("reviewer").post(f"/facilities/{colony.id}/edit", data={
        "original_language": "uk", "name_uk": UK_NAME, "name_ru": RU_NAME, "type": "prison_hospital",
        "country": "RU", "region": "RU-SAR"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    saved = Facility.get_by_id(colony.id)
    assert (saved.locality, saved.localities, saved.authority, saved.authorities) == ("", {}, "", {})
    assert "харків" not in saved.search_text


def test_lists_statistics_and_the_map_name_a_facility_in_its_original_when_untranslated(app, client, users):
    """An English reader and a facility named in Russian and Ukrainian, Ukrainian the original: do the
    list's facets, the statistics and the map name it in Ukrainian, as its own page does?"""
    place = make_facility(users["reviewer"], names={"ru": RU_NAME, "uk": UK_NAME}, original_language="uk", aliases=[])
    publish(make_incident(users["contributor"], place), users["contributor"], users["reviewer"])
    facets = client.get("/api/v1/incidents?lang=en").get_json()["facets"]["facility"]
    assert [entry["label"] for entry in facets] == [UK_NAME]
    assert UK_NAME in client.get("/statistics/facility.csv?lang=en").get_data(as_text=True)
    shown = visible(client.get("/map?lang=en"))
    assert UK_NAME in shown and RU_NAME not in shown


@pytest.mark.parametrize("change, field", [
    ({"original_language": "de"}, "original_language"),
    ({"localities": {"xx": "Somewhere"}}, "localities"),
    ({"localities": {"ru": "Т" * 301}}, "localities"),
    ({"authorities": {"ru": "ФСИН\x00<script>"}}, "authorities"),
    ({"authorities": "ФСИН"}, "authorities"),
    ({"original_language": "ru", "names": {"en": "Only English"}}, "names"),
])
def test_bad_versions_are_refused_and_nothing_is_saved(client, users, colony, change, field):
    """Is an unknown language, an oversized or hostile text, a text where a mapping belongs, or an
    original language without a name refused with a message on that field, the facility unchanged?"""
    before = Facility.select().count()
    response = client.post("/api/v1/facilities", json=facility_data(**change), headers=bearer_headers(users["reviewer"]))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"][field]
    assert Facility.select().count() == before


@pytest.mark.parametrize("change", [{"original_language": "de"}, {"locality_ru": "Т" * 301},
                                    {"authority_en": "FSIN\x07"}, {"name_uk": ""}])
def test_the_edit_form_refuses_bad_versions_and_keeps_the_facility(app, as_role, colony, change):
    """An edit with an unknown original language, an oversized or hostile text, or no name in the
    original language: a message on the page, and nothing of the edit saved."""
    form = {"original_language": "uk", "name_uk": UK_NAME, "name_ru": "Новое имя", "type": "prison_hospital",
            "country": "RU", "locality_uk": "Харків", "locality_ru": "Харьков", **change}
    response = as_role("reviewer").post(f"/facilities/{colony.id}/edit", data=form)
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True), visible(response)[:2000]
    saved = Facility.get_by_id(colony.id)
    assert (saved.names, saved.localities, saved.original_language) == \
        ({"uk": UK_NAME, "ru": RU_NAME}, {"uk": "Харків", "ru": "Харьков"}, "uk")


def test_the_api_keeps_the_single_texts_and_adds_the_versions(client, users, colony):
    """A client that reads ``locality`` and ``authority`` as strings still gets the original's; the
    versions and the original language come beside them. One that sends strings still may."""
    body = client.get(f"/api/v1/facilities/{colony.id}?lang=ru").get_json()
    assert (body["name"], body["locality"], body["authority"]) == (RU_NAME, "Харків", "Мін'юст України")
    assert body["localities"] == {"uk": "Харків", "ru": "Харьков"} and body["original_language"] == "uk"
    created = client.post("/api/v1/facilities", json={**facility_data(names={"ru": "СИЗО-3"}), "confirm_new": True},
                          headers=bearer_headers(users["reviewer"]))
    assert created.status_code == 201, created.get_json()
    made = created.get_json()
    assert (made["original_language"], made["localities"], made["authority"]) == ("ru", {"ru": "Саратов"}, "FSIN")


@pytest.fixture
def english_only(app, users):
    """A published Russian incident at a facility known by its English name only, with a file whose
    description (Russian, the incident's original) is translated into English."""
    place = make_facility(users["contributor"], names={"en": "Penal Colony No. 1"}, aliases=[],
                          locality="Engels", authority="FSIN of Russia")
    incident = make_incident(users["contributor"], place, evidence=[])
    attach_file(app, incident, users["contributor"], description="Фото камеры",
                description_translations={"en": "Photo of the cell"})
    publish(incident, users["contributor"], users["reviewer"])
    return incident


def dossier(client, user, incident, language: str, fmt: str = "pdf") -> str:
    response = client.post("/api/v1/dossiers", headers=bearer_headers(user), json={
        "incident_ids": [incident.id], "redaction": "public", "layout": "dossier", "format": fmt,
        "lang": language})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return normalised(pdf_text(response.data) if fmt == "pdf" else docx_text(response.data))


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_a_russian_dossier_says_the_facility_falls_back_to_its_english_original(app, client, users, english_only,
                                                                              fmt):
    """A Russian dossier: the facility in English, said to be untranslated; the description in
    Russian, its original, without a note. An English one: the translation, said to be one."""
    with app.test_request_context():
        from flask_babel import force_locale, gettext
        with force_locale("ru"):
            fallback = gettext("The facility's details are not translated: shown in the original language "
                               "(%(language)s).", language="английский")
        with force_locale("en"):
            description_note = gettext("Translated from %(language)s; the original text is authoritative.",
                                       language="Russian")
    russian = dossier(client, users["lawyer"], english_only, "ru", fmt)
    assert "Penal Colony No. 1" in russian and normalised(fallback) in russian
    assert "Фото камеры" in russian and "Photo of the cell" not in russian
    english = dossier(client, users["lawyer"], english_only, "en", fmt)
    assert "Photo of the cell" in english and "Фото камеры" not in english
    assert normalised(description_note) in english
    assert "facility's details are" not in english  # the English names are the originals


def test_a_dossier_without_the_readers_translation_says_so_for_evidence(app, client, users, english_only):
    """A Ukrainian dossier has no Ukrainian description: the Russian original, said to be one."""
    with app.test_request_context():
        from flask_babel import force_locale, gettext
        with force_locale("uk"):
            note = gettext("Not translated: shown in the original language (%(language)s).", language="російська")
    ukrainian = dossier(client, users["lawyer"], english_only, "uk")
    assert "Фото камеры" in ukrainian and normalised(note) in ukrainian


def test_evidence_descriptions_on_pages_and_in_the_api(app, client, users, english_only):
    """The incident page in English shows the English description, said to be translated from
    Russian; in Ukrainian the Russian original, said to be untranslated; the API keeps the string."""
    english = visible(client.get(f"/incidents/{english_only.id}?lang=en"))
    assert "Photo of the cell (translated from Russian)" in english
    ukrainian = visible(client.get(f"/incidents/{english_only.id}?lang=uk"))
    assert "Фото камеры (" + translated(app, "not translated: the original, in Russian", "uk") + ")" in ukrainian
    item = EvidenceItem.get(EvidenceItem.incident == english_only.id)
    body = client.get(f"/api/v1/evidence/{item.id}").get_json()
    assert body["description"] == "Фото камеры"
    assert body["descriptions"] == {"ru": "Фото камеры", "en": "Photo of the cell"}
    assert body["original_language"] == "ru"


@pytest.mark.parametrize("translations, field", [
    ({"xx": "Nonsense"}, "description_translations"),
    ({"ru": "Тот же язык"}, "description_translations"),
    ({"en": "A" * 2001}, "description_translations"),
    ("Photo", "description_translations"),
])
def test_bad_description_translations_are_refused_and_no_item_is_kept(client, users, incident, translations, field):
    """An unknown language, a translation into the original language, an oversized one or a string:
    refused on that field, and no item attached."""
    before = EvidenceItem.select().count()
    response = client.post(f"/api/v1/incidents/{incident.id}/evidence", headers=bearer_headers(users["contributor"]),
                           json={"kind": "220904051501", "url": "https://example.org/v", "description": "Видео",
                                 "description_translations": translations})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"][field]
    assert EvidenceItem.select().count() == before


def test_the_attach_form_sends_translations(app, users, as_role, incident):
    """Does the incident page's attach form offer the other languages, and keep what is typed there?"""
    contributor = as_role("contributor")
    form = contributor.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert 'name="description_translations-en"' in form and 'name="description_translations-ru"' not in form
    response = contributor.post(f"/incidents/{incident.id}/evidence", data={
        "kind": "220904051501", "url": "https://example.org/form", "description": "Видео",
        "description_translations-en": "Video", "description_translations-uk": ""})
    assert response.status_code == 302
    item = [i for i in EvidenceItem.select() if i.url == "https://example.org/form"][0]
    assert (item.description, item.description_translations) == ("Видео", {"en": "Video"})


def test_a_title_in_a_list_says_the_same_as_any_text_when_it_is_not_in_the_readers_language(app, client, users,
                                                                                            facility):
    """The public list in English: an untranslated Russian title carries the note every other text
    carries, in the same words; a translated one carries none (a list of notes would be noise)."""
    for titles in ({"ru": "Пытки в ОТБ-1"}, {"ru": "Избиение в ИК-10", "en": "Beating in IK-10"}):
        publish(make_incident(users["contributor"], facility, original_language="ru", title=titles,
                              narrative={"ru": "Избиение."}), users["contributor"], users["reviewer"])
    english = visible(client.get("/incidents?lang=en"))
    assert "Пытки в ОТБ-1 (not translated: the original, in Russian)" in english
    assert "Beating in IK-10" in english and "translated from" not in english
    ukrainian = visible(client.get("/incidents?lang=uk"))
    assert "Пытки в ОТБ-1 (" + translated(app, "not translated: the original, in Russian", "uk") + ")" in ukrainian
