"""Facilities as a reader may know of them: the one rule for naming a facility, and the lists
built on it."""
from __future__ import annotations

from peewee import SQL, fn

from incidents import policy
from incidents.models import Facility, PublishedIncident
from incidents.publication import facet_counts
from incidents.publication.search_keys import query_keys, text_keys
from incidents.search.filters import Page
from incidents.text import without_control

# Rows per page of the facilities directory and of a facility's own list of incidents.
DIRECTORY_PAGE, FACILITY_PAGE = 100, 50


def visible_facilities(user, *columns):
    """Facilities this reader may know of: all for staff, those with a published incident otherwise.

    The one rule for naming a facility to a reader: every list, facet and page goes through it."""
    query = Facility.select(*columns)
    if not policy.can_see_every_facility(user):
        # EXISTS, one index probe per facility asked about: "IN (every published incident's facility)"
        # read the whole projection, 70 ms at a million incidents, for each facet of every search.
        query = query.where(fn.EXISTS(PublishedIncident.select(SQL("1")).where(PublishedIncident.facility == Facility.id)))
    return query


def _names(facility: Facility) -> list[str]:
    return [*facility.names.values(), *facility.aliases]


def _keys(*texts: str) -> set[str]:
    return set(text_keys(*texts).split())


def _typed(words: list[tuple[str, ...]], keys: set[str]) -> bool:
    """Every word typed begins a key: the last one may be half typed (Сара finds Саратов)."""
    return bool(words) and all(any(key.startswith(k) for k in word for key in keys) for word in words)


def matching_facilities(user, q: str) -> list[Facility]:
    """Facilities this reader may know of that ``q`` names, by id.

    A facility matches when ``q`` is part of its names, aliases or locality as written, or when each
    word of ``q`` begins a word of them in any script or spelling (the search keys: OTB-1 finds
    ОТБ-1, Saratov finds Саратов)."""
    facilities = visible_facilities(user).order_by(Facility.id)
    q = without_control(q or "").strip()[:200]
    if not q:
        return list(facilities)
    folded, words = q.casefold(), query_keys(q)
    return [f for f in facilities
            if folded in f.search_text or _typed(words, _keys(*_names(f), *f.localities.values()))]


def _within(shorter: str, keys: set[str]) -> bool:
    """Every word of ``shorter`` shares a key with ``keys``: «ОТБ-1» is within «ОТБ-1 Саратов»."""
    words = query_keys(shorter)
    return bool(words) and all(set(word) & keys for word in words)


def _same_names(names: list[str], facility: Facility) -> bool:
    """One of ``names`` and one of the facility's names or aliases hold the other, word for word
    in any script (search keys)."""
    for name in names:
        for theirs in _names(facility):
            if _within(theirs, _keys(name)) or _within(name, _keys(theirs)):
                return True
    return False


def possible_duplicates(user, names: list[str], among: set[int] | None = None) -> list[Facility]:
    """Facilities this reader may know of that a facility called ``names`` (its names and
    aliases) may well be: creating it again would count its incidents twice. ``among``: only
    those of these ids (likely duplicate incidents ask about their candidates' facilities only)."""
    query = visible_facilities(user).order_by(Facility.id)
    if among is not None:
        query = query.where(Facility.id.in_(sorted(among)))
    return [f for f in query if _same_names(names, f)]


def facility_directory(user, q: str, language: str, page: int = 1) -> Page:
    """One page of the facilities matching ``q``, each with ``published`` (a count), the busiest first."""
    published = {int(value): n for value, n in facet_counts.read("facility")}
    found = matching_facilities(user, q)
    for facility in found:
        facility.published = published.get(facility.id, 0)
    found.sort(key=lambda f: (-f.published, f.name_in(language).casefold()))
    start = (page - 1) * DIRECTORY_PAGE
    return Page(found[start:start + DIRECTORY_PAGE], len(found), page, DIRECTORY_PAGE, {})


def published_at(facility: Facility, page: int = 1) -> Page:
    """One page of a facility's published incidents, newest first."""
    total = dict(facet_counts.read("facility", only=[facility.id])).get(str(facility.id), 0)
    rows = list(PublishedIncident.select().where(PublishedIncident.facility == facility)
                .order_by(PublishedIncident.sort_key.desc()).limit(FACILITY_PAGE).offset((page - 1) * FACILITY_PAGE))
    return Page(rows, total, page, FACILITY_PAGE, {})


def latest_published(limit: int = 5) -> list[PublishedIncident]:
    return list(PublishedIncident.select()
                .order_by(PublishedIncident.published_at.desc(), PublishedIncident.incident.desc())
                .limit(limit))


def published_counts() -> tuple[int, int]:
    """(published incidents, facilities with at least one)."""
    return facet_counts.total(), facet_counts.values("facility")
