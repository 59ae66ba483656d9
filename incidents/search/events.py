"""Events, not records: published incidents that people marked as the same event (``duplicates/``)
count once in statistics. The marks are few (each a person's decision), so the groups are made in
Python from all of them; only the group members under the filters are read, by their keys."""
from __future__ import annotations

from collections import Counter

from incidents.models import DuplicateMark, PublishedIncident, PublishedTerm
from incidents.search.filters import Filters, filtered


def _groups() -> dict[int, int]:
    """Each incident in a same-event group -> the group's lowest id (marks join transitively)."""
    root: dict[int, int] = {}

    def find(node: int) -> int:
        while root.setdefault(node, node) != node:
            node = root[node]
        return node

    for first, second in DuplicateMark.select(DuplicateMark.first, DuplicateMark.second).where(
            DuplicateMark.verdict == "same").tuples():
        a, b = find(first), find(second)
        root[max(a, b)] = min(a, b)
    return {node: find(node) for node in root}


def repeats(filters: Filters) -> list[PublishedIncident]:
    """Published incidents under ``filters`` that another one under them already counts: every
    member of a same-event group but its first (the first of the group that the filters keep)."""
    groups = _groups()
    if not groups:
        return []
    rows = (filtered(filters).select(PublishedIncident.incident, PublishedIncident.year, PublishedIncident.region,
                                     PublishedIncident.facility, PublishedIncident.verification)
            .where(PublishedIncident.incident.in_(list(groups))).order_by(PublishedIncident.incident))
    seen, extra = set(), []
    for row in rows:
        group = groups[row.incident_id]
        if group in seen:
            extra.append(row)
        seen.add(group)
    return extra


def less(counts: list[tuple], repeated: Counter, limit: int | None = None) -> list[tuple]:
    """(value, count) less what ``repeated`` holds of each value, the most frequent first again."""
    if not repeated:
        return counts
    left = [(value, n - repeated.get(value, 0)) for value, n in counts if n - repeated.get(value, 0) > 0]
    return sorted(left, key=lambda pair: -pair[1])[:limit]


def repeated_by(rows: list[PublishedIncident]) -> dict[str, Counter]:
    """How many repeats each value of each statistics dimension holds."""
    found = {"year": Counter(r.year for r in rows), "region": Counter(r.region for r in rows if r.region),
             "facility": Counter(r.facility_id for r in rows), "verification": Counter(r.verification for r in rows),
             "abuse": Counter(), "perpetrators": Counter()}
    if rows:
        for vocabulary, code in PublishedTerm.select(PublishedTerm.vocabulary, PublishedTerm.code).where(
                PublishedTerm.vocabulary.in_(("abuse", "perpetrators"))
                & PublishedTerm.incident.in_([r.incident_id for r in rows])).tuples():
            found[vocabulary][code] += 1
    return found
