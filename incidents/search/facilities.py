"""Facilities as a reader may know of them: the one rule for naming a facility, and the lists
built on it."""
from __future__ import annotations

from incidents import policy
from incidents.models import Facility, PublishedIncident
from incidents.publication import facet_counts
from incidents.text import without_control


def visible_facilities(user, *columns):
    """Facilities this reader may know of: all for staff, those with a published incident otherwise.

    The one rule for naming a facility to a reader: every list, facet and page goes through it."""
    query = Facility.select(*columns)
    if not policy.can_see_every_facility(user):
        query = query.where(Facility.id.in_(PublishedIncident.select(PublishedIncident.facility)))
    return query


def matching_facilities(user, q: str):
    """Facilities this reader may know of whose names, aliases or locality contain ``q``."""
    query = visible_facilities(user)
    q = without_control(q or "").strip().casefold()[:200]
    return query.where(Facility.search_text.contains(q)) if q else query


def facility_directory(user, q: str, language: str) -> list[Facility]:
    """Facilities matching ``q``, each with ``published`` (a count), the busiest first."""
    published = {int(value): n for value, n in facet_counts.read("facility")}
    found = list(matching_facilities(user, q))
    for facility in found:
        facility.published = published.get(facility.id, 0)
    return sorted(found, key=lambda f: (-f.published, f.name_in(language).casefold()))


def published_at(facility: Facility) -> list[PublishedIncident]:
    """A facility's published incidents, newest first."""
    return list(PublishedIncident.select().where(PublishedIncident.facility == facility)
                .order_by(PublishedIncident.sort_key.desc()))


def latest_published(limit: int = 5) -> list[PublishedIncident]:
    return list(PublishedIncident.select()
                .order_by(PublishedIncident.published_at.desc(), PublishedIncident.incident.desc())
                .limit(limit))


def published_counts() -> tuple[int, int]:
    """(published incidents, facilities with at least one)."""
    return facet_counts.total(), facet_counts.values("facility")
