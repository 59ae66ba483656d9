"""Entering and editing incidents through the pages: what a contributor types, and bad input."""
from __future__ import annotations

import datetime
import re

import pytest
from flask_babel import force_locale, gettext
from werkzeug.datastructures import MultiDict

from incidents.models import Facility, Incident, Person, Revision
from incidents.revisions import snapshot
from tests.factories import make_facility, make_incident
from tests.helpers import post_forms


def form_for(chosen, **overrides) -> dict:
    data = {
        "facility": str(chosen.id),
        "date_precision": "year",
        "date_start": "2020",
        "date_end": "",
        "original_language": "ru",
        "title_ru": "Изнасилование в ОТБ-1",
        "narrative_ru": "Заключённого привязали к кровати.\nЛицо закрыли.",
        "abuse": ["030502000000", "031701000000"],
        "perpetrators": ["010105000000"],
        "victims_count": "1",
        "violation_status": "040000000000",
        "graphic": "y",
        "persons-0-role": "victim",
        "persons-0-pseudonym": "Заключённый С.",
        "persons-0-legal_name": "Петров Пётр",
        "persons-0-sex": "male",
        "persons-0-age": "",
        "persons-0-consent": "anonymised",
        "persons-0-citizenship": "RU",
        "evidence-0-kind": "220904051501",
        "evidence-0-url": "https://example.org/v.mp4",
        "evidence-0-description": "Видео из архива",
    }
    data.update(overrides)
    return data


def test_contributor_enters_an_incident(as_role, facility):
    """Can a contributor enter an incident through the form, and is it stored as a draft with its
    reference, date range, narrative lines, person and first revision?"""
    response = as_role("contributor").post("/incidents/new", data=form_for(facility))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    incident = Incident.get()
    assert incident.status == "draft" and incident.reference == f"INC-{incident.id:06d}"
    assert incident.date_start == datetime.date(2020, 1, 1) and incident.date_end == datetime.date(2020, 12, 31)
    assert incident.narrative["ru"].splitlines() == ["Заключённого привязали к кровати.", "Лицо закрыли."]
    assert Person.get().legal_name == "Петров Пётр"
    assert Revision.select().count() == 1


def test_facility_created_on_the_way(as_role, facility):
    """Can a contributor create a new facility, with its aliases, while entering an incident?"""
    data = form_for(facility, facility="new", **{
        "new_facility-name": "СИЗО-1", "new_facility-name_language": "ru",
        "new_facility-type": "pretrial_detention", "new_facility-country": "RU",
        "new_facility-region": "RU-MOW", "new_facility-aliases": "SIZO-1\nБутырка"})
    response = as_role("contributor").post("/incidents/new", data=data)
    assert response.status_code == 302
    created = Facility.get(Facility.type == "pretrial_detention")
    assert created.aliases == ["SIZO-1", "Бутырка"] and Incident.get().facility_id == created.id


def test_a_bad_new_facility_saves_nothing(as_role, facility):
    """If the new facility typed with an incident is invalid, is anything saved?"""
    data = form_for(facility, facility="new", **{"new_facility-name": "", "new_facility-country": "XX"})
    response = as_role("contributor").post("/incidents/new", data=data)
    assert response.status_code == 422
    assert Facility.select().count() == 1 and not Incident.select().exists()


# Two days ahead, not one: the value is fixed when the tests are collected, and a run that crosses
# midnight would send what has become today.
AFTER_TOMORROW = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()


@pytest.mark.parametrize("overrides, field_text", [
    ({"date_start": "2021-02-30", "date_precision": "day"}, "does not exist"),
    ({"date_start": "yesterday"}, "2020-03-15"),
    ({"date_start": AFTER_TOMORROW, "date_precision": "day"}, "in the future"),
    ({"date_start": "2020-05-01", "date_end": "2020-04-01", "date_precision": "day"}, "before the start"),
    ({"date_start": "2020", "date_precision": "day"}, "full date"),
    ({"abuse": ["999999999999"]}, "Unknown value"),
    ({"abuse": ["030000000000"]}, "Unknown value"),  # a heading, not a term
    ({"abuse": []}, "at least one"),
    ({"evidence-0-url": "javascript:alert(1)"}, "http and https"),
    ({"evidence-0-url": "file:///etc/passwd"}, "http and https"),
    ({"title_ru": "x" * 301}, "Too long"),
    ({"narrative_ru": "x" * 20_001}, "Too long"),
    ({"title_ru": "bad\x07bell"}, "control characters"),
    ({"title_ru": "spoof\u202eevil"}, "control characters"),
    ({"title_ru": ""}, "original language is required"),
    ({"victims_count": "-3"}, "between"),
    ({"victims_count": "many"}, "whole number"),
    ({"persons-0-pseudonym": ""}, "required"),
    ({"persons-0-age": "300"}, "between"),
    ({"facility": "999"}, "Choose a facility"),
])
def test_bad_input_is_refused_on_the_field_and_nothing_is_saved(as_role, facility, overrides, field_text):
    """Is each kind of bad input (impossible or future dates, unknown terms, unsafe links, over-long or
    control text, bad numbers, missing fields) refused with a message on its field, saving nothing?"""
    response = as_role("contributor").post("/incidents/new", data=form_for(facility, **overrides))
    assert response.status_code == 422
    assert field_text in response.get_data(as_text=True)
    assert not Incident.select().exists() and not Person.select().exists()


def test_errors_speak_the_users_language(app, as_role, facility):
    """Are form errors shown in the user's language?"""
    page = as_role("contributor").post("/incidents/new?lang=ru",
                                       data=form_for(facility, date_start="2021-02-30",
                                                     date_precision="day")).get_data(as_text=True)
    with app.test_request_context(), force_locale("ru"):
        expected = gettext("This date does not exist.")
    assert expected != "This date does not exist." and expected in page


def test_the_longest_short_texts_validation_allows_are_stored(users):
    """Can the longest short texts that validation allows actually be stored?

    300 characters pass validation (MAX_SHORT); on PostgreSQL a VARCHAR(255) refused them with a 500."""
    longest = "Ж" * 300
    facility = make_facility(users["contributor"], locality=longest, authority=longest)
    incident = make_incident(users["contributor"], facility,
                             persons=[{"role": "victim", "pseudonym": longest, "consent": "anonymised"}])
    assert Facility.get_by_id(facility.id).authority == longest
    assert Person.get(Person.incident == incident.id).pseudonym == longest


def test_oversized_request_is_refused(as_role, facility):
    """Is an oversized form submission refused before anything is saved?"""
    response = as_role("contributor").post("/incidents/new",
                                           data=form_for(facility, narrative_ru="я" * 3_000_000))
    assert response.status_code == 413
    assert not Incident.select().exists()


def test_edit_from_a_stale_page_is_refused(as_role, users, facility):
    """Can an edit made from a stale page overwrite someone's newer edit?"""
    incident = make_incident(users["contributor"], facility)
    contributor = as_role("contributor")
    stale_version = incident.version
    first = contributor.post(f"/incidents/{incident.id}/edit",
                             data=form_for(facility, version=str(stale_version), title_ru="Первая правка"))
    assert first.status_code == 302
    second = contributor.post(f"/incidents/{incident.id}/edit",
                              data=form_for(facility, version=str(stale_version), title_ru="Вторая правка"))
    assert second.status_code == 409
    assert "reload the page" in second.get_data(as_text=True)
    assert Incident.get_by_id(incident.id).title["ru"] == "Первая правка"


def test_contributor_cannot_edit_someone_elses_incident(as_role, users, facility):
    """Can a contributor edit someone else's incident?"""
    incident = make_incident(users["reviewer"], facility)
    response = as_role("contributor").post(f"/incidents/{incident.id}/edit",
                                           data=form_for(facility, version=str(incident.version)))
    assert response.status_code == 404
    assert Incident.get_by_id(incident.id).version == incident.version


def test_hostile_text_is_stored_and_shown_escaped(as_role, users, facility):
    """Is a script typed into an incident's title shown escaped rather than run?"""
    script = '<script>alert("x")</script>'
    response = as_role("contributor").post("/incidents/new", data=form_for(facility, title_ru=script))
    assert response.status_code == 302
    page = as_role("contributor").get(response.headers["Location"]).get_data(as_text=True)
    assert script not in page and "&lt;script&gt;" in page


def test_edit_form_round_trips_without_loss(as_role, users, facility):
    """Does the edit form open filled with the incident's current values, including its version, pseudonyms
    and legal names?

    Opening the edit form and saving it unchanged changes nothing but the version."""
    incident = make_incident(users["contributor"], facility)
    contributor = as_role("contributor")
    page = contributor.get(f"/incidents/{incident.id}/edit")
    assert page.status_code == 200
    before = snapshot(Incident.get_by_id(incident.id))
    html = page.get_data(as_text=True)
    form = next(fields for fields in post_forms(html) if ("version", str(incident.version)) in fields)
    assert ("persons-0-pseudonym", "Prisoner S.") in form
    assert before["persons"][0]["legal_name"] in html
    saved = contributor.post(f"/incidents/{incident.id}/edit", data=MultiDict(form))
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    assert Incident.get_by_id(incident.id).version == incident.version + 1
    assert snapshot(Incident.get_by_id(incident.id)) == before


def test_an_approximate_date_keeps_what_was_typed(as_role, facility):
    """Is an approximate date such as "circa March 2020" stored as that month and shown as typed?"""
    response = as_role("contributor").post("/incidents/new?lang=en",
                                           data=form_for(facility, date_precision="circa", date_start="03.2020"))
    assert response.status_code == 302
    incident = Incident.get()
    assert (incident.date_start, incident.date_end) == (datetime.date(2020, 3, 1), datetime.date(2020, 3, 31))
    assert "c. March 2020" in as_role("contributor").get(f"/incidents/{incident.id}?lang=en").get_data(as_text=True)


def test_a_text_refused_in_one_language_is_marked_beside_that_languages_field(as_role, facility):
    """When a title or narrative is refused, is the reason shown beside the field of the language it
    was typed in (and a missing original beside the original's field), not above every language?"""
    response = as_role("contributor").post("/incidents/new?lang=en", data=form_for(
        facility, title_ru="Заголовок", title_uk="я" * 6000, narrative_ru=""))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'<p class="error" id="title_uk-error">Too long: at most \d+ characters.</p>', html)
    assert re.search(r'<p class="error" id="narrative_ru-error">[^<]+</p>', html)
    assert 'id="title-error"' not in html and 'id="narrative-error"' not in html


@pytest.mark.parametrize("precision, start, end, lang, shown", [
    ("year", "2020", "", "ru", ("2020", "")),
    ("year", "2019", "2020", "uk", ("2019", "2020")),
    ("month", "03.2020", "", "ru", ("03.2020", "")),
    ("month", "2020-03", "", "en", ("2020-03", "")),
    ("day", "15.03.2020", "", "uk", ("15.03.2020", "")),
    ("day", "2020-03-15", "2020-04-02", "en", ("2020-03-15", "2020-04-02")),
    ("circa", "2020", "", "ru", ("2020", "")),
    ("circa", "01.01.2020", "", "ru", ("01.01.2020", "")),
    ("day", "01.03.2020", "30.04.2020", "uk", ("01.03.2020", "04.2020")),
    ("year", "2019", "15.06.2020", "en", ("2019", "2020-06-15")),
])
def test_the_edit_form_gives_dates_back_as_they_were_typed(as_role, facility, precision, start, end, lang, shown):
    """Does "2020" come back to the edit form as "2020", not as 2020-01-01 to 2020-12-31, and a day in
    the order of the reader's language, so that saving it again keeps its precision?"""
    contributor = as_role("contributor")
    created = contributor.post(f"/incidents/new?lang={lang}", data=form_for(
        facility, date_precision=precision, date_start=start, date_end=end))
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    incident = Incident.get()
    html = contributor.get(f"/incidents/{incident.id}/edit?lang={lang}").get_data(as_text=True)
    values = dict(re.findall(r'name="(date_start|date_end)" type="text" value="([^"]*)"', html))
    assert (values["date_start"], values["date_end"]) == shown
    form = next(fields for fields in post_forms(html) if ("version", str(incident.version)) in fields)
    before = snapshot(Incident.get_by_id(incident.id))
    assert contributor.post(f"/incidents/{incident.id}/edit?lang={lang}", data=MultiDict(form)).status_code == 302
    after = snapshot(Incident.get_by_id(incident.id))
    assert [after[k] for k in ("date_start", "date_end", "date_precision")] == \
        [before[k] for k in ("date_start", "date_end", "date_precision")]
