"""Counts of published incidents per facet value, kept up to date as incidents are published.

With no filter, a facet's counts are read from ``PublishedCount`` instead of counted over every
published incident. ``add`` and ``subtract`` run in the transaction that writes or removes a
projection row, so the counts never disagree with what is published.
"""
from __future__ import annotations

from collections import Counter

from peewee import fn

from incidents.models import PublishedCount, PublishedIncident, PublishedTerm

TOTAL = "total"
# Counts every change, so that a copy of the counts kept elsewhere knows when it is stale.
GENERATION = "generation"
COLUMNS = ("facility", "country", "region", "year", "verification")
TERMS = ("abuse", "perpetrators")


def _values(row: PublishedIncident, terms: dict[str, list[str]]) -> list[tuple[str, str]]:
    columns = {"facility": row.facility_id, "country": row.country, "region": row.region, "year": row.year,
               "verification": row.verification}
    return ([(TOTAL, "")] + [(name, str(value)) for name, value in columns.items() if value is not None]
            + [(name, code) for name in TERMS for code in dict.fromkeys(terms.get(name, ()))])


def _change(changes: list[tuple[str, str, int]]) -> None:
    """Add each (dimension, value, by) to its count, and count one more change."""
    for dimension, value, by in changes + [(GENERATION, "", 1)]:
        (PublishedCount.insert(dimension=dimension, value=value, count=by)
         .on_conflict(conflict_target=[PublishedCount.dimension, PublishedCount.value],
                      update={PublishedCount.count: PublishedCount.count + by})
         .execute())


def add(row: PublishedIncident, terms: dict[str, list[str]]) -> None:
    _change([(dimension, value, 1) for dimension, value in _values(row, terms)])


def subtract(row: PublishedIncident, terms: dict[str, list[str]]) -> None:
    _change([(dimension, value, -1) for dimension, value in _values(row, terms)])


def move(dimension: str, old, new, count: int) -> None:
    """``count`` published incidents change their ``dimension`` from ``old`` to ``new``."""
    _change([(dimension, str(value), by) for value, by in ((old, -count), (new, count)) if value is not None])


def terms_of(row: PublishedIncident) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for vocabulary, code in (PublishedTerm.select(PublishedTerm.vocabulary, PublishedTerm.code)
                             .where(PublishedTerm.incident == row.incident_id).tuples()):
        found.setdefault(vocabulary, []).append(code)
    return found


def counted() -> Counter:
    """Every (dimension, value) count, counted afresh from the published rows: what the kept counts
    must equal (``rebuild``, and ``flask verify``)."""
    counts: Counter = Counter()
    counts[(TOTAL, "")] = PublishedIncident.select().count()
    for name in COLUMNS:
        column = getattr(PublishedIncident, name)
        for value, n in (PublishedIncident.select(column, fn.COUNT(PublishedIncident.incident))
                         .where(column.is_null(False)).group_by(column).tuples()):
            counts[(name, str(value))] = n
    for vocabulary, code, n in (PublishedTerm.select(PublishedTerm.vocabulary, PublishedTerm.code,
                                                     fn.COUNT(PublishedTerm.incident))
                                .group_by(PublishedTerm.vocabulary, PublishedTerm.code).tuples()):
        counts[(vocabulary, code)] = n
    return counts


def rebuild() -> None:
    """Count everything afresh (after a migration or a bulk load)."""
    counts = counted()
    counts[(GENERATION, "")] = generation() + 1
    PublishedCount.delete().execute()
    rows = [{"dimension": d, "value": v, "count": n} for (d, v), n in counts.items()]
    for start in range(0, len(rows), 500):
        PublishedCount.insert_many(rows[start:start + 500]).execute()


def read(dimension: str, only=None, limit: int | None = None) -> list[tuple[str, int]]:
    """(value, count) of one dimension over everything published, most frequent first: the
    values in ``only`` if given, at most ``limit`` of them if given."""
    query = (PublishedCount.select(PublishedCount.value, PublishedCount.count)
             .where((PublishedCount.dimension == dimension) & (PublishedCount.count > 0)))
    if only is not None:
        query = query.where(PublishedCount.value.in_([str(value) for value in only]))
    return list(query.order_by(PublishedCount.count.desc(), PublishedCount.value).limit(limit).tuples())


def values(dimension: str) -> int:
    """How many values of one dimension some published incident has."""
    return (PublishedCount.select()
            .where((PublishedCount.dimension == dimension) & (PublishedCount.count > 0)).count())


def total() -> int:
    return (PublishedCount.select(PublishedCount.count)
            .where(PublishedCount.dimension == TOTAL).scalar()) or 0


def generation() -> int:
    return (PublishedCount.select(PublishedCount.count)
            .where(PublishedCount.dimension == GENERATION).scalar()) or 0
