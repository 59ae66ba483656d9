"""Statistics count an event once however many published records people marked as the same event."""
from __future__ import annotations

from incidents.duplicates import service
from incidents.search.filters import Filters
from incidents.search.statistics import statistics
from tests.factories import make_facility, make_incident, publish


def _published(users, facility, **fields):
    incident = make_incident(users["contributor"], facility, **fields)
    publish(incident, users["contributor"], users["reviewer"])
    return incident


def test_a_same_event_group_counts_once_and_the_page_says_so(as_role, users, facility):
    """With three published records, two of them marked as one event, do the totals and the counts
    per year, region, facility and abuse type count two; does undoing the mark count three again;
    and does the statistics page say that same-event records count once?"""
    first = _published(users, facility)
    again = _published(users, facility, date_start="15.03.2020", date_precision="day")
    other_place = make_facility(users["reviewer"], names={"ru": "ИК-10"}, aliases=[], locality="Якутск")
    _published(users, other_place, date_start="2019")
    before = statistics(Filters(), "en", users["reviewer"])
    assert before["total"] == 3 and dict((v, n) for v, _l, n in before["facility"])[facility.id] == 2
    service.mark(users["reviewer"], again.id, first.id, "same")
    stats = statistics(Filters(), "en", users["reviewer"])
    assert stats["total"] == 2 and stats["same_event"] == 1
    assert dict((v, n) for v, _l, n in stats["facility"]) == {facility.id: 1, other_place.id: 1}
    assert dict((v, n) for v, _l, n in stats["time"]) == {"2019": 1, "2020": 1}
    assert dict((v, n) for v, _l, n in stats["abuse"])["030502000000"] == 2
    narrowed = statistics(Filters(facility=[facility.id]), "en", users["reviewer"])
    assert narrowed["total"] == 1
    page = as_role("researcher").get("/statistics?lang=ru").get_data(as_text=True)
    assert "2 опубликованных" in page and "учитывается один раз" in page and "1 такая запись не учтена" in page
    service.unmark(users["reviewer"], first.id, again.id)
    assert statistics(Filters(), "en", users["reviewer"])["total"] == 3
