"""What the public can find and read: published facts only, never an identity."""
from __future__ import annotations

import pytest

from factories import make_facility, make_incident, publish
from incidents import workflow


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
    assert "Torture in the hospital" in titles(client, f"facility={cases['saratov'].id}")
    assert "Beating" not in titles(client, f"facility={cases['saratov'].id}")
    assert "Beating" in titles(client, "region=RU-MOW")
    assert "Torture in the hospital" not in titles(client, "region=RU-MOW")
    assert "Beating" in titles(client, "date_from=2018-03-10&date_to=2018-03-20")
    assert "Torture in the hospital" not in titles(client, "date_from=2018-03-10&date_to=2018-03-20")
    assert "Torture in the hospital" in titles(client, "abuse=030502000000")
    assert "Beating" not in titles(client, "abuse=030502000000")
    assert "Torture in the hospital" in titles(client, "q=отб-1")  # an alias, in another script


def test_bad_filters_get_a_clear_message_not_an_error(client, cases):
    response = client.get("/incidents?facility=abc&date_from=2020-13-45&abuse=<b>")
    assert response.status_code == 400
    assert "Must be a facility id." in response.get_data(as_text=True)


def test_drafts_never_reach_the_public(client, cases):
    assert client.get(f"/incidents/{cases['draft'].id}").status_code == 404
    assert "Secretdraftword" not in titles(client, "")
    assert "Secretdraftword" not in client.get("/api/v1/incidents").get_data(as_text=True)
    assert client.get(f"/api/v1/incidents/{cases['draft'].id}").status_code == 404


@pytest.mark.parametrize("role", [None, "researcher"])
def test_legal_names_never_reach_public_readers(client, as_role, cases, role):
    reader = as_role(role).client if role else client
    for path in (f"/incidents/{cases['rape'].id}", f"/incidents/{cases['beating'].id}", "/incidents",
                 f"/facilities/{cases['saratov'].id}", "/api/v1/incidents",
                 f"/api/v1/incidents/{cases['rape'].id}"):
        body = reader.get(path).get_data(as_text=True)
        for secret in ("Иванов Иван", "Сидорова Мария", "+7 900"):
            assert secret not in body, (path, secret)


def test_staff_see_confidential_fields_and_the_view_is_audited(as_role, cases):
    from incidents.models import AuditEvent
    page = as_role("lawyer").get(f"/incidents/{cases['rape'].id}").get_data(as_text=True)
    assert "Иванов Иван Иванович" in page
    assert AuditEvent.select().where(AuditEvent.action == "incident.view_confidential").exists()


def test_facility_page_lists_its_published_incidents(client, cases):
    page = client.get(f"/facilities/{cases['saratov'].id}?lang=en").get_data(as_text=True)
    assert "Torture in the hospital" in page and "Beating" not in page and "Secretdraftword" not in page
    assert "OTB-1" in page and "Saratov Oblast" in page


def test_retracted_incident_disappears(client, users, cases):
    workflow.transition(cases["beating"].id, users["reviewer"], "retract", comment="Consent withdrawn")
    assert client.get(f"/incidents/{cases['beating'].id}").status_code == 404
    assert "Beating" not in titles(client, "")


def test_text_falls_back_to_the_original_and_says_so(client, users, cases):
    only_russian = make_incident(users["contributor"], cases["saratov"], title={"ru": "Только по-русски"},
                                 narrative={"ru": "Текст только на русском."})
    publish(only_russian, users["contributor"], users["reviewer"])
    page = client.get(f"/incidents/{only_russian.id}?lang=en").get_data(as_text=True)
    assert "Текст только на русском." in page and "the original" in page


def test_facility_list_finds_names_in_any_script(client, cases):
    everything = client.get("/facilities?lang=en").get_data(as_text=True)
    assert "Tuberculosis Hospital No. 1" in everything and "SIZO-1" in everything
    found = client.get("/facilities?q=ОТБ-1&lang=en").get_data(as_text=True)
    assert "Tuberculosis Hospital No. 1" in found and "SIZO-1" not in found
