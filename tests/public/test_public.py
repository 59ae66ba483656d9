"""What the public can find and read: published facts only, never an identity."""
from __future__ import annotations

import pytest

from tests.factories import make_facility, make_incident, move, publish


@pytest.fixture
def cases(users):
    saratov = make_facility(users["contributor"])
    moscow = make_facility(users["contributor"], names={"en": "SIZO-1", "ru": "СИЗО-1"}, aliases=[],
                           type="pretrial_detention", region="RU-MOW", locality="Москва")
    rape = make_incident(users["contributor"], saratov)
    publish(rape, users["contributor"], users["reviewer"])
    beating = make_incident(users["contributor"], moscow, date_start="2018-03", date_precision="month",
                            abuse=["030101000000"], title={"ru": "Избиение", "en": "Beating"},
                            persons=[{"role": "witness", "pseudonym": "Witness M.",
                                      "legal_name": "Сидорова Мария"}])
    publish(beating, users["contributor"], users["reviewer"])
    draft = make_incident(users["contributor"], saratov, title={"ru": "Черновик", "en": "Secretdraftword"})
    return {"saratov": saratov, "moscow": moscow, "rape": rape, "beating": beating, "draft": draft}


def titles(client, query: str) -> str:
    return client.get("/incidents?lang=en&" + query).get_data(as_text=True)


def test_filters_by_facility_region_date_and_abuse(client, cases):
    """Can a visitor find published incidents by facility, region, date range, kind of abuse and a facility
    alias in another script?"""
    assert "Torture in the hospital" in titles(client, f"facility={cases['saratov'].id}")
    assert "Beating" not in titles(client, f"facility={cases['saratov'].id}")
    assert "Beating" in titles(client, "region=RU-MOW")
    assert "Torture in the hospital" not in titles(client, "region=RU-MOW")
    assert "Beating" in titles(client, "date_from=2018-03-10&date_to=2018-03-20")
    assert "Torture in the hospital" not in titles(client, "date_from=2018-03-10&date_to=2018-03-20")
    assert "Torture in the hospital" in titles(client, "abuse=030502000000")
    assert "Beating" not in titles(client, "abuse=030502000000")
    assert "Torture in the hospital" in titles(client, "q=отб-1")  # an alias, in another script


def test_the_period_filter_takes_dates_as_people_write_them(client, cases):
    """Can a visitor filter by "2018", "03.2018" or "10.03.2018" as well as by an ISO date, with "to
    2018" taking in the whole of 2018, and without a date picker that forces a month-first order?"""
    for query in ("date_from=2018&date_to=2018", "date_from=03.2018&date_to=03.2018",
                  "date_from=10.03.2018&date_to=20.03.2018", "date_to=2018"):
        assert "Beating" in titles(client, query), query
    assert "Beating" not in titles(client, "date_from=2019")
    page = client.get("/incidents?lang=uk&date_from=2018").get_data(as_text=True)
    assert 'name="date_from" value="2018"' in page and 'type="date"' not in page


def test_bad_filters_get_a_clear_message_not_an_error(client, cases):
    """Does a visitor who types nonsense into the incident filters get a clear message rather than a server
    error?"""
    response = client.get("/incidents?facility=abc&date_from=2020-13-45&abuse=<b>")
    assert response.status_code == 400
    assert "Must be a facility id." in response.get_data(as_text=True)


def test_drafts_never_reach_the_public(client, cases):
    """Can a visitor see a draft incident, on the pages or through the API?"""
    assert client.get(f"/incidents/{cases['draft'].id}").status_code == 404
    assert "Secretdraftword" not in titles(client, "")
    assert "Secretdraftword" not in client.get("/api/v1/incidents").get_data(as_text=True)
    assert client.get(f"/api/v1/incidents/{cases['draft'].id}").status_code == 404


@pytest.mark.parametrize("role", [None, "researcher"])
def test_legal_names_never_reach_public_readers(client, as_role, cases, role):
    """Can a visitor or a researcher find a person's legal name or phone number on any public page or in
    the API?"""
    reader = as_role(role).client if role else client
    for path in (f"/incidents/{cases['rape'].id}", f"/incidents/{cases['beating'].id}", "/incidents",
                 f"/facilities/{cases['saratov'].id}", "/api/v1/incidents",
                 f"/api/v1/incidents/{cases['rape'].id}"):
        body = reader.get(path).get_data(as_text=True)
        for secret in ("Иванов Иван", "Сидорова Мария", "+7 900"):
            assert secret not in body, (path, secret)


def test_staff_see_confidential_fields_and_the_view_is_audited(as_role, cases):
    """Do staff see the confidential fields of an incident, and is that view audited?"""
    from incidents.models import AuditEvent
    page = as_role("lawyer").get(f"/incidents/{cases['rape'].id}").get_data(as_text=True)
    assert "Иванов Иван Иванович" in page
    assert AuditEvent.select().where(AuditEvent.action == "incident.view_confidential").exists()


def test_facility_page_lists_its_published_incidents(client, cases):
    """Does a facility's page name it and its region and list only its own published incidents?"""
    page = client.get(f"/facilities/{cases['saratov'].id}?lang=en").get_data(as_text=True)
    assert "Torture in the hospital" in page and "Beating" not in page and "Secretdraftword" not in page
    assert "OTB-1" in page and "Saratov Oblast" in page


def test_retracted_incident_disappears(client, users, cases):
    """Does a retracted incident disappear from its public page and from the public list?"""
    move(cases["beating"].id, users["reviewer"], "retract", comment="Consent withdrawn")
    assert client.get(f"/incidents/{cases['beating'].id}").status_code == 404
    assert "Beating" not in titles(client, "")


def test_text_falls_back_to_the_original_and_says_so(client, users, cases):
    """When an incident has no translation into the reader's language, is the original text shown, and is
    the reader told so?"""
    only_russian = make_incident(users["contributor"], cases["saratov"], title={"ru": "Только по-русски"},
                                 narrative={"ru": "Текст только на русском."})
    publish(only_russian, users["contributor"], users["reviewer"])
    page = client.get(f"/incidents/{only_russian.id}?lang=en").get_data(as_text=True)
    assert "Текст только на русском." in page and "the original" in page


def test_facility_list_finds_names_in_any_script(client, cases):
    """Can a visitor find a facility in the facility list by a name written in another script?"""
    everything = client.get("/facilities?lang=en").get_data(as_text=True)
    assert "Tuberculosis Hospital No. 1" in everything and "SIZO-1" in everything
    found = client.get("/facilities?q=ОТБ-1&lang=en").get_data(as_text=True)
    assert "Tuberculosis Hospital No. 1" in found and "SIZO-1" not in found


def test_people_appear_only_as_far_as_they_consented(client, users, cases):
    """Does the public see each person only as far as they consented, never a legal name, and never the
    internal ids of evidence?"""
    people = [
        {"role": "victim", "pseudonym": "No-consent person", "sex": "female", "age": 30, "consent": "none"},
        {"role": "witness", "pseudonym": "Anonymised person", "sex": "male", "age": 41, "consent": "anonymised"},
        {"role": "victim", "pseudonym": "Named person", "sex": "male", "age": 52, "consent": "named",
         "legal_name": "Named Legalname"},
    ]
    incident = make_incident(users["contributor"], cases["saratov"], persons=people)
    publish(incident, users["contributor"], users["reviewer"])
    persons = client.get(f"/api/v1/incidents/{incident.id}").get_json()["persons"]
    assert persons == [{"role": "witness", "pseudonym": "Anonymised person"},
                       {"role": "victim", "pseudonym": "Named person", "sex": "male", "age": 52}]
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "No-consent person" not in page and "Named Legalname" not in page
    evidence = client.get(f"/api/v1/incidents/{incident.id}").get_json()["evidence"]
    assert evidence and all("id" not in item for item in evidence)


def test_public_pages_revalidate_and_staff_pages_are_not_stored(client, as_role, cases):
    """Are public pages revalidated by caches while staff pages are never stored?"""
    assert client.get("/incidents").headers["Cache-Control"] == "no-cache"
    assert as_role("lawyer").get(f"/incidents/{cases['rape'].id}").headers["Cache-Control"] == "no-store"


def test_editing_a_facility_moves_its_published_incidents(as_role, client, cases):
    """When a reviewer edits a facility's region or aliases, do its published incidents follow in the
    public filters and search?"""
    reviewer = as_role("reviewer")
    response = reviewer.post(f"/facilities/{cases['moscow'].id}/edit", data={
        "name_en": "SIZO-1", "name_ru": "СИЗО-1", "aliases": "Matrosskaya Tishina", "type": "pretrial_detention",
        "country": "RU", "region": "RU-MOS", "locality": "Москва"})
    assert response.status_code == 302
    assert "Beating" in titles(client, "region=RU-MOS") and "Beating" not in titles(client, "region=RU-MOW")
    assert "Beating" in titles(client, "q=matrosskaya")


def test_long_lists_come_a_page_at_a_time(client, users, monkeypatch):
    """Does a facility with many incidents list them a page at a time, newest first, with the whole count
    and links to the next page, and does the facilities directory page too, in the reader's language?
    Does a nonsense page number get a clear message instead of an error?"""
    from incidents.search import facilities as directory
    monkeypatch.setattr(directory, "FACILITY_PAGE", 2)
    monkeypatch.setattr(directory, "DIRECTORY_PAGE", 2)
    places = [make_facility(users["contributor"], names={"en": f"Colony {i}"}) for i in range(3)]
    for year in range(2015, 2020):
        publish(make_incident(users["contributor"], places[0], date_start=str(year),
                              title={"en": f"Beating in {year}"}, original_language="en"),
                users["contributor"], users["reviewer"])
    for place in places[1:]:
        publish(make_incident(users["contributor"], place), users["contributor"], users["reviewer"])
    first = client.get(f"/facilities/{places[0].id}?lang=en").get_data(as_text=True)
    assert "5 published incidents" in first and "Page 1 of 3" in first
    assert "Beating in 2019" in first and "Beating in 2018" in first and "Beating in 2017" not in first
    second = client.get(f"/facilities/{places[0].id}?lang=ru&page=2").get_data(as_text=True)
    assert "Beating in 2017" in second and "Beating in 2016" in second and "Beating in 2019" not in second
    assert "Страница 2 из 3" in second and f"/facilities/{places[0].id}?lang=ru&amp;page=3" in second
    listed = client.get("/facilities?lang=en").get_data(as_text=True)
    assert "3 facilities" in listed and "Colony 0" in listed and "Page 1 of 2" in listed
    assert "Colony 1" in client.get("/facilities?lang=en&page=2").get_data(as_text=True) + listed
    for path in (f"/facilities/{places[0].id}?lang=en&page=abc", "/facilities?lang=en&page=0",
                 "/facilities?page=99999999999999999999"):
        refused = client.get(path)
        assert refused.status_code == 400 and "Must be between 1 and 100000" in refused.get_data(as_text=True)
