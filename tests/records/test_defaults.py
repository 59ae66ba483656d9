"""No harmful defaults: what a witness did not say starts as unknown, never as a claim."""
from __future__ import annotations

import datetime
import re

import pytest

from incidents import shape
from incidents.models import Incident
from tests.factories import incident_data, make_incident
from tests.helpers import selected
from tests.records.test_records import form_for


def test_a_new_persons_sex_starts_unknown_and_comes_first(as_role):
    """On a new incident form, does a person's sex start at "unknown", the first choice?"""
    html = as_role("contributor").get("/incidents/new").get_data(as_text=True)
    assert selected(html, "persons-0-sex") == ["unknown"]
    options = re.search(r'name="persons-0-sex"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'value="([^"]*)"', options)[0] == "unknown"


def test_a_new_persons_consent_starts_at_none(as_role):
    """On a new incident form, does a person's consent to publication start at none given?"""
    html = as_role("contributor").get("/incidents/new").get_data(as_text=True)
    assert selected(html, "persons-0-consent") == ["none"]


@pytest.mark.parametrize("field", [field for row in shape.ROW_SHAPES.values() for field in row
                                   if field.kind == shape.CHOICE and field.default is not None])
def test_every_declared_choice_of_a_row_starts_at_its_declared_default(as_role, field):
    """Does each choice of a new form's rows start at the default its declaration gives, not at
    whatever happens to be listed first?"""
    html = as_role("contributor").get("/incidents/new").get_data(as_text=True)
    row = next(name for name, fields in shape.ROW_SHAPES.items() if field in fields)
    assert selected(html, f"{row}-0-{field.name}") == [field.default]


def test_a_new_forms_date_precision_follows_what_is_typed(as_role, facility):
    """Does a new form claim no precision of its own, so that "2020-03" left as it is means March
    2020, not a refused or invented day?"""
    contributor = as_role("contributor")
    assert selected(contributor.get("/incidents/new").get_data(as_text=True), "date_precision") == [""]
    response = contributor.post("/incidents/new", data=form_for(facility, date_precision="", date_start="2020-03"))
    assert response.status_code == 302
    incident = Incident.get()
    assert (incident.date_precision, incident.date_start, incident.date_end) == \
        ("month", datetime.date(2020, 3, 1), datetime.date(2020, 3, 31))


@pytest.mark.parametrize("typed, precision", [("2019", "year"), ("2019-07", "month"), ("15.07.2019", "day")])
def test_an_api_incident_without_a_precision_takes_the_typed_one(users, facility, typed, precision):
    """Is an incident sent without ``date_precision`` as precise as its start date was written,
    neither more nor less?"""
    incident = make_incident(users["contributor"], facility, date_start=typed, date_precision=None)
    assert Incident.get_by_id(incident.id).date_precision == precision


def test_a_persons_role_is_asked_not_assumed(as_role, facility, client, bearer):
    """Does a new person row start with no role chosen, and is a person entered without one refused
    on the form and in the API, rather than recorded as a victim nobody said they were?"""
    contributor = as_role("contributor")
    assert selected(contributor.get("/incidents/new").get_data(as_text=True), "persons-0-role") == [""]
    response = contributor.post("/incidents/new", data=form_for(facility, **{"persons-0-role": ""}))
    assert response.status_code == 422 and not Incident.select().exists()
    assert re.search(r'persons-0-role[^>]*aria-invalid="true"|persons-0-role-error', response.get_data(as_text=True))
    sent = client.post("/api/v1/incidents", headers=bearer("contributor"),
                       json={**incident_data(facility), "persons": [{"pseudonym": "Свидетель Б."}]})
    assert sent.status_code == 422 and "persons-0-role" in sent.get_json()["error"]["fields"]
