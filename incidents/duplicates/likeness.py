"""How alike two incidents are: a score from 0 to 1 and the reasons for it, from what both sides
may show (no confidential field ever takes part, so no reason can give one away)."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from incidents.publication.search_keys import text_keys
from incidents.validation import period_of

# "circa" says the date may be off; a year either way is what people mean by it.
CIRCA = datetime.timedelta(days=365)
# Dates this close are a typo or a report's approximation away from overlapping.
NEAR = datetime.timedelta(days=31)
# Weights of each part of the likeness; tuned on bench/duplicates.py's labelled set (bench/README.md).
WEIGHTS = {"facility": 0.3, "dates": 0.2, "text": 0.35, "people": 0.15}
# From this score on, an incident is offered as a likely duplicate.
THRESHOLD = 0.5

REASONS = {
    "same_facility": _l("Same facility"),
    "facility_alike": _l("A facility with a matching name"),
    "dates_overlap": _l("Overlapping dates"),
    "dates_near": _l("Dates close together"),
    "title_alike": _l("Similar title"),
    "narrative_alike": _l("Similar narrative"),
    "people_alike": _l("A person with a matching pseudonym"),
}


def keys_of(*texts: str) -> frozenset[str]:
    """The search keys of ``texts`` (any script, any transliteration), short ones left out: two-letter
    keys are prepositions and initials, which every text shares."""
    return frozenset(key for key in text_keys(*texts).split() if len(key) > 2)


@dataclass(frozen=True)
class Entry:
    """What likeness reads of one incident, saved or being entered."""

    facility: int | None
    start: datetime.date | None
    end: datetime.date | None
    precision: str
    title: frozenset[str]
    narrative: frozenset[str]
    people: tuple[frozenset[str], ...] = field(default=())
    id: int | None = None

    @classmethod
    def of(cls, *, facility, start, end, precision, title: dict, narrative: dict, pseudonyms=(), id=None):
        return cls(facility=facility, start=start, end=end, precision=precision or "day",
                   title=keys_of(*(title or {}).values()), narrative=keys_of(*(narrative or {}).values()),
                   people=tuple(k for k in (keys_of(p) for p in pseudonyms if p) if k), id=id)

    def period(self) -> tuple[datetime.date, datetime.date] | None:
        """The first and last day it may have happened on, its precision and "circa" taken in."""
        if self.start is None:
            return None
        first, last = period_of(self.start, self.precision)
        last = max(last, self.end or last)
        if self.precision == "circa":
            first, last = first - CIRCA, last + CIRCA
        return first, last


def _alike(a: frozenset[str], b: frozenset[str]) -> float:
    """Between the share of keys in common (Dice) and how much of the shorter text the longer
    holds: a re-worded or shortened telling still scores, two texts sharing a few words little."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    return (2 * common / (len(a) + len(b)) + common / min(len(a), len(b))) / 2


def _dates(a: Entry, b: Entry) -> tuple[float, str | None]:
    pa, pb = a.period(), b.period()
    if pa is None or pb is None:
        return 0.0, None
    gap = max(pa[0], pb[0]) - min(pa[1], pb[1])
    if gap <= datetime.timedelta(0):
        return 1.0, "dates_overlap"
    return (0.5, "dates_near") if gap <= NEAR else (0.0, None)


def _people(a: Entry, b: Entry) -> float:
    return max((_alike(x, y) for x in a.people for y in b.people), default=0.0)


def score(a: Entry, b: Entry, *, facility_alike: bool = False) -> tuple[float, list[str]]:
    """(score, reason codes) of ``b`` as a duplicate of ``a``; ``facility_alike``: their facilities
    are two records whose names match (search keys), as a facility entered twice would be."""
    reasons = []
    place = 1.0 if a.facility is not None and a.facility == b.facility else 0.7 if facility_alike else 0.0
    if place:
        reasons.append("same_facility" if place == 1.0 else "facility_alike")
    dates, why = _dates(a, b)
    if why:
        reasons.append(why)
    title, narrative = _alike(a.title, b.title), _alike(a.narrative, b.narrative)
    if title >= 0.3:
        reasons.append("title_alike")
    if narrative >= 0.3:
        reasons.append("narrative_alike")
    people = _people(a, b)
    if people >= 0.5:
        reasons.append("people_alike")
    total = (WEIGHTS["facility"] * place + WEIGHTS["dates"] * dates
             + WEIGHTS["text"] * min(1.0, max(title, narrative) * 1.5) + WEIGHTS["people"] * people)
    return round(total, 3), reasons
