"""How alike two incidents are: a score from 0 to 1 and the reasons for it, from what both sides
may show (no confidential field ever takes part, so no reason can give one away).

Texts are compared by their search keys (``publication/search_keys.py``: one key per word whatever
its script or spelling), each key weighted by its rarity among the incidents compared, so that the
words every report shares (prisoner, colony, complaint) say little and a name or a rare act much.
"""
from __future__ import annotations

import datetime
import math
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from incidents.publication.search_keys import WORD, text_keys
from incidents.validation import period_of

# "circa" says the date may be off; a year either way is what people mean by it.
CIRCA = datetime.timedelta(days=365)
# Dates this close are a typo or a report's approximation away from overlapping.
NEAR = datetime.timedelta(days=31)
# Weights of what two records share; tuned on bench/duplicates_set.py's labelled set (bench/README.md).
WEIGHTS = {"facility": 0.4, "text": 0.4, "people": 0.2}
# Then how their dates bear on it: the same event happened on the same days, whatever else they
# share; dates far apart make even like texts two events of one kind (a colony's beatings).
DATES = {"dates_overlap": 1.0, "dates_near": 0.85, None: 0.6, "unknown": 0.8}
# From this score on, an incident is offered as a likely duplicate.
THRESHOLD = 0.55
# A text this alike (0 to 1) is named as a reason.
TEXT_REASON = 0.3

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
    """The search keys of ``texts`` (any script, any transliteration)."""
    return stored_keys(text_keys(*texts))


def stored_keys(keys: str) -> frozenset[str]:
    """Keys as the search index keeps them (space-separated), short ones left out: one- and two-letter
    keys are prepositions, initials and numbers, which every text shares."""
    return frozenset(key for key in keys.split() if len(key) > 2)


def _words(name: str) -> tuple[frozenset[str], ...]:
    """A pseudonym as its words, each the set of its keys (initials left out)."""
    return tuple(keys for keys in (keys_of(word) for word in WORD.findall(name)) if keys)


@dataclass(frozen=True)
class Entry:
    """What likeness reads of one incident, saved or being entered. ``text``: the keys of its
    title and narrative together (what the search index holds for it)."""

    facility: int | None
    start: datetime.date | None
    end: datetime.date | None
    precision: str
    title: frozenset[str]
    text: frozenset[str]
    people: tuple[tuple[frozenset[str], ...], ...] = field(default=())  # per pseudonym, its words' keys
    id: int | None = None

    @classmethod
    def of(cls, *, facility, start, end, precision, title: dict, narrative: dict | None = None,
           keys: str | None = None, pseudonyms=(), id=None):
        """From texts ({language: text}); ``keys``, the stored keys of title and narrative, spare
        reading the narrative again."""
        titles = list((title or {}).values())
        text = stored_keys(keys) if keys is not None else keys_of(*titles, *(narrative or {}).values())
        return cls(facility=facility, start=start, end=end, precision=precision or "day",
                   title=keys_of(*titles), text=text,
                   people=tuple(words for words in (_words(p) for p in pseudonyms if p) if words), id=id)

    def period(self) -> tuple[datetime.date, datetime.date] | None:
        """The first and last day it may have happened on, its precision and "circa" taken in."""
        if self.start is None:
            return None
        first, last = period_of(self.start, self.precision)
        last = max(last, self.end or last)
        if self.precision == "circa":
            first, last = first - CIRCA, last + CIRCA
        return first, last


class Rarity:
    """How much a shared key says: log of how rare it is among the entries compared (every key
    of ``entries`` counted once per entry). A key no entry holds weighs the most."""

    def __init__(self, entries) -> None:
        self.count = Counter(key for entry in entries
                             for key in entry.title | entry.text | frozenset().union(*sum(entry.people, ())))
        self.total = max(1, len(entries))
        self.weights: dict[str, float] = {}

    def __call__(self, key: str) -> float:
        weight = self.weights.get(key)
        if weight is None:
            weight = self.weights[key] = math.log(1 + (self.total + 1) / (self.count.get(key, 0) + 1))
        return weight


def _alike(a: frozenset[str], b: frozenset[str], weight) -> float:
    """Between the weighted share of keys in common (Dice) and how much of the lighter text the
    other holds: a re-worded or shortened telling still scores, two texts sharing common words little."""
    if not a or not b:
        return 0.0
    common, wa, wb = sum(map(weight, a & b)), sum(map(weight, a)), sum(map(weight, b))
    return (2 * common / (wa + wb) + common / min(wa, wb)) / 2


def _dates(a: Entry, b: Entry) -> str | None:
    """"dates_overlap", "dates_near", None (far apart) or "unknown" (one has no date yet)."""
    pa, pb = a.period(), b.period()
    if pa is None or pb is None:
        return "unknown"
    gap = max(pa[0], pb[0]) - min(pa[1], pb[1])
    if gap <= datetime.timedelta(0):
        return "dates_overlap"
    return "dates_near" if gap <= NEAR else None


def _one_letter_apart(a: str, b: str) -> bool:
    """Two keys of five letters or more that one letter changed, added or dropped makes equal:
    transliteration habits the search keys do not fold (Fyodorov and Фёдоров, Zwetkow and Цветков)."""
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    start = 0
    while start < len(a) and a[start] == b[start]:
        start += 1
    return a[start + (len(a) == len(b)):] == b[start + 1:]


def _same_name(a: tuple[frozenset[str], ...], b: tuple[frozenset[str], ...], weight) -> float:
    """The weighted share of the shorter pseudonym's words (each its keys) that the other holds, a
    key one letter off counting: a rare surname says much, a word every pseudonym has ("Prisoner
    S.") little."""
    if not a or not b:
        return 0.0
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    theirs = frozenset().union(*longer)

    def held(word):
        return any(key in theirs or any(_one_letter_apart(key, other) for other in theirs) for key in word)

    def heft(word):
        return max(map(weight, word))
    return sum(heft(word) for word in shorter if held(word)) / sum(map(heft, shorter))


def _people(a: Entry, b: Entry, weight) -> float:
    return max((_same_name(x, y, weight) for x in a.people for y in b.people), default=0.0)


def score(a: Entry, b: Entry, *, facility_alike: bool = False, rarity=lambda _key: 1.0) -> tuple[float, list[str]]:
    """(score, reason codes) of ``b`` as a duplicate of ``a``; ``facility_alike``: their facilities
    are two records whose names match (search keys), as a facility entered twice would be;
    ``rarity``: the weight of a shared key (``Rarity``)."""
    reasons = []
    place = 1.0 if a.facility is not None and a.facility == b.facility else 0.7 if facility_alike else 0.0
    if place:
        reasons.append("same_facility" if place == 1.0 else "facility_alike")
    dates = _dates(a, b)
    if dates in ("dates_overlap", "dates_near"):
        reasons.append(dates)
    title, text = _alike(a.title, b.title, rarity), _alike(a.text, b.text, rarity)
    if title >= TEXT_REASON:
        reasons.append("title_alike")
    if text >= TEXT_REASON:
        reasons.append("narrative_alike")
    people = _people(a, b, rarity)
    if people >= 0.5:
        reasons.append("people_alike")
    shared = WEIGHTS["facility"] * place + WEIGHTS["text"] * max(title, text) + WEIGHTS["people"] * people
    return round(shared * DATES[dates], 3), reasons
