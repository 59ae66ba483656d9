"""Short ways to make facilities and incidents in tests, through the real services."""
from __future__ import annotations

from incidents import workflow
from incidents.records import service

MAX_TEXT = 20_000


def facility_data(**overrides) -> dict:
    data = {
        "names": {"en": "Tuberculosis Hospital No. 1", "ru": "Туберкулёзная больница № 1"},
        "aliases": ["ОТБ-1", "OTB-1", "Saratov TB hospital"],
        "type": "prison_hospital",
        "country": "RU",
        "region": "RU-SAR",
        "locality": "Саратов",
        "authority": "FSIN",
    }
    data.update(overrides)
    return data


def make_facility(user, **overrides):
    return service.create_facility(facility_data(**overrides), user)


def incident_data(place, **overrides) -> dict:
    data = {
        "facility": place.id,
        "date_start": "2020",
        "date_end": None,
        "date_precision": "year",
        "original_language": "ru",
        "title": {"ru": "Пытки в больнице", "en": "Torture in the hospital"},
        "narrative": {"ru": "Заключённого привязали к кровати.", "en": "A prisoner was tied to a bed."},
        "abuse": ["030502000000", "031701000000"],
        "perpetrators": ["010105000000"],
        "victims_count": 1,
        "violation_status": "040000000000",
        "graphic": True,
        "persons": [{"role": "victim", "pseudonym": "Prisoner S.", "legal_name": "Иванов Иван Иванович",
                     "contact": "+7 900 000-00-00", "citizenship": "RU", "sex": "male", "age": 35,
                     "consent": "anonymised"}],
        "evidence": [{"kind": "220904051501", "url": "https://example.org/video",
                      "description": "Part of the leaked archive"}],
    }
    data.update(overrides)
    return data


def make_incident(author, facility, **overrides):
    return service.create_incident(incident_data(facility, **overrides), author, max_text=MAX_TEXT)


def publish(incident, author, reviewer):
    workflow.transition(incident.id, author, "submit")
    return workflow.transition(incident.id, reviewer, "approve")


def edit(incident_id, user, field: str, language: str, text: str):
    """Save one changed text of an incident as ``user``, from the version it has now."""
    from incidents.models import Incident
    from incidents.revisions import snapshot
    current = Incident.get_by_id(incident_id)
    data = snapshot(current)
    data[field][language] = text
    return service.update_incident(incident_id, data, user, version=current.version, max_text=MAX_TEXT)
