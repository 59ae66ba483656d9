"""Likely duplicates of an incident: what is found, in which order, and for whom."""
from __future__ import annotations

from incidents.accounts import credentials
from incidents.duplicates import service
from incidents.models import AuditEvent
from tests.factories import make_facility, make_incident, publish

OTHER = {"title": {"ru": "Голодовка в колонии"}, "narrative": {"ru": "Заключённые отказались от пищи."},
         "persons": []}


def test_a_day_inside_a_year_at_the_same_facility_with_a_like_title_comes_first(users, facility, incident):
    """Is a 15.03.2020 incident at the same facility with a re-worded title found for a "2020" one,
    above one that shares only the facility and the year, and is an unrelated one left out?"""
    near = make_incident(users["reviewer"], facility, date_start="2020-03-15", date_precision="day",
                         title={"ru": "Пытки в тюремной больнице"},
                         narrative={"ru": "Заключённого привязали к кровати и избили."})
    elsewhere = make_facility(users["reviewer"], names={"ru": "ИК-10 Якутск"}, aliases=[], locality="Якутск")
    make_incident(users["reviewer"], elsewhere, date_start="2015", **OTHER)
    found = service.similar_to(users["reviewer"], incident.id)
    assert [m.incident.id for m in found] == [near.id]
    assert {"same_facility", "dates_overlap", "title_alike"} <= set(found[0].reasons)


def test_circa_widens_the_dates(users, facility, incident):
    """Does a "circa 2021" incident overlap a 2020 one, while a plain 2022 one does not?"""
    circa = make_incident(users["reviewer"], facility, date_start="2021", date_precision="circa")
    plain = make_incident(users["reviewer"], facility, date_start="2022", date_precision="year")
    reasons = {m.incident.id: m.reasons for m in service.similar_to(users["reviewer"], incident.id)}
    assert "dates_overlap" in reasons[circa.id] and "dates_overlap" not in reasons.get(plain.id, [])


def test_across_scripts_and_an_aliased_facility(users, facility):
    """Is a Latin, English-language telling at a second record of the same facility (its name
    matching by search keys) found for a Cyrillic one, through the transliterated name?"""
    first = make_incident(users["contributor"], facility, date_start="2020-03-15", date_precision="day",
                          title={"ru": "Осечкин: пытки заключённого Сидорова в ОТБ-1"},
                          narrative={"ru": "Сидорова избили в Саратове."},
                          persons=[{"role": "victim", "pseudonym": "Сидоров", "consent": "anonymised"}])
    twin = make_facility(users["reviewer"], names={"en": "OTB-1 Saratov"}, aliases=[])
    second = make_incident(users["reviewer"], twin, date_start="2020-03", date_precision="month",
                           original_language="en", title={"en": "Osetchkine: prisoner Sidorov tortured at OTB-1"},
                           narrative={"en": "Sidorov was beaten in Saratov."},
                           persons=[{"role": "victim", "pseudonym": "Sidorov", "consent": "anonymised"}])
    found = service.similar_to(users["reviewer"], first.id)
    assert [m.incident.id for m in found] == [second.id]
    assert {"facility_alike", "dates_overlap", "people_alike"} <= set(found[0].reasons)


def test_a_reader_is_offered_only_what_they_may_read(users, facility, incident):
    """Is another contributor's draft never offered to a contributor, and is it offered once
    published (then from its published revision: the legal name takes no part)?"""
    other = credentials.create_user("other@example.org", "contributor", None, "Other")
    theirs = make_incident(other, facility)
    assert service.similar_to(users["contributor"], incident.id) == []
    publish(theirs, other, users["reviewer"])
    found = service.similar_to(users["contributor"], incident.id)
    assert [m.incident.id for m in found] == [theirs.id]
    assert "Иванов" not in repr(found[0].as_json())


def test_not_a_duplicate_is_remembered_and_same_event_is_shown_on_both(users, facility, incident):
    """Is a pair marked "not a duplicate" no longer offered; is "same event" shown from both sides,
    with who marked it; and does undoing a mark offer the pair again, each step audited?"""
    twin = make_incident(users["reviewer"], facility)
    reviewer = users["reviewer"]
    service.mark(reviewer, incident.id, twin.id, "different")
    assert service.similar_to(reviewer, incident.id) == []
    service.mark(reviewer, twin.id, incident.id, "same")
    assert [(m.other.id, m.verdict) for m in service.marks_of(reviewer, incident)] == [(twin.id, "same")]
    assert [(m.other.id, m.verdict) for m in service.marks_of(reviewer, twin)] == [(incident.id, "same")]
    assert service.marks_of(reviewer, twin)[0].marked_by == reviewer.name
    service.unmark(reviewer, incident.id, twin.id)
    assert [m.incident.id for m in service.similar_to(reviewer, incident.id)] == [twin.id]
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.action.startswith("duplicate."))]
    assert actions == ["duplicate.mark", "duplicate.mark", "duplicate.unmark"]


def test_an_unsaved_form_is_asked_about(users, facility, incident):
    """Are the fields of an incident being entered (dates as typed, not yet saved) enough to find
    the one already kept; and is an incident the reader may not read still left out?"""
    fields = {"facility": str(facility.id), "date_start": "15.03.2020", "date_precision": "day",
              "title": {"ru": "Пытки в больнице"}, "narrative": {}, "pseudonyms": []}
    assert [m.incident.id for m in service.likely_for_fields(users["reviewer"], fields)] == [incident.id]
    other = credentials.create_user("other@example.org", "contributor", None, "Other")
    assert service.likely_for_fields(other, fields) == []


def test_found_for_gives_every_likely_duplicate_whoever_wrote_it(users, facility, incident):
    """Does the notification hook find a likely duplicate of an incident whatever its author?"""
    other = credentials.create_user("other@example.org", "contributor", None, "Other")
    theirs = make_incident(other, facility)
    assert [m.incident.id for m in service.found_for(incident)] == [theirs.id]


def test_a_form_being_edited_leaves_itself_out_and_reads_its_end_date_to_the_last_day(users, facility):
    """When the edit form asks, is the incident itself left out; and does an end typed as a year
    ("2018" to "2020") reach to its last day, overlapping a 15.06.2020 incident?"""
    day = make_incident(users["reviewer"], facility, date_start="15.06.2020", date_precision="day")
    fields = {"facility": str(facility.id), "date_start": "2018", "date_end": "2020", "date_precision": "year",
              "title": {"ru": "Пытки в больнице"}, "narrative": {}, "pseudonyms": [], "incident": str(day.id)}
    assert service.likely_for_fields(users["reviewer"], fields) == []
    fields["incident"] = ""
    found = service.likely_for_fields(users["reviewer"], fields)
    assert [m.incident.id for m in found] == [day.id] and "dates_overlap" in found[0].reasons
