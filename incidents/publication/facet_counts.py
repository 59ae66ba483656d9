"""Counts of published incidents per facet value, kept up to date as incidents are published.

With no filter, a facet's counts are read from ``PublishedCount`` instead of counted over every
published incident. ``add`` and ``subtract`` run in the transaction that writes or removes a
projection row, so the counts never disagree with what is published; each also logs which
incident changed (``changes_since``), which the in-memory arrays of ``facet_index.py`` follow.
"""
from __future__ import annotations

from collections import Counter

from peewee import fn

from incidents.models import PublishedChange, PublishedCount, PublishedIncident, PublishedTerm

TOTAL = "total"
# Counts every change, so that a copy of the counts kept elsewhere knows when it is stale.
GENERATION = "generation"
COLUMNS = ("facility", "country", "region", "year", "verification")
TERMS = ("abuse", "perpetrators")
# The log of changes keeps the last LOG_KEPT, pruned every LOG_PRUNED_EVERY changes.
LOG_KEPT, LOG_PRUNED_EVERY = 20_000, 1_000


def _values(row: PublishedIncident, terms: dict[str, list[str]]) -> list[tuple[str, str]]:
    columns = {"facility": row.facility_id, "country": row.country, "region": row.region, "year": row.year,
               "verification": row.verification}
    return ([(TOTAL, "")] + [(name, str(value)) for name, value in columns.items() if value is not None]
            + [(name, code) for name in TERMS for code in dict.fromkeys(terms.get(name, ()))])


def _change(changes: list[tuple[str, str, int]], change: str, sort_key: int = 0) -> None:
    """Add each (dimension, value, by) to its count, count one more change, and log what it did
    (``PublishedChange``), all in the caller's transaction: the log's order is the commit order."""
    for dimension, value, by in changes + [(GENERATION, "", 1)]:
        (PublishedCount.insert(dimension=dimension, value=value, count=by)
         .on_conflict(conflict_target=[PublishedCount.dimension, PublishedCount.value],
                      update={PublishedCount.count: PublishedCount.count + by})
         .execute())
    now = generation()
    PublishedChange.insert(generation=now, change=change, sort_key=sort_key).execute()
    if now % LOG_PRUNED_EVERY == 0:
        PublishedChange.delete().where(PublishedChange.generation <= now - LOG_KEPT).execute()


def add(row: PublishedIncident, terms: dict[str, list[str]]) -> None:
    _change([(dimension, value, 1) for dimension, value in _values(row, terms)], "add", row.sort_key)


def subtract(row: PublishedIncident, terms: dict[str, list[str]]) -> None:
    _change([(dimension, value, -1) for dimension, value in _values(row, terms)], "remove", row.sort_key)


def move(dimension: str, old, new, count: int) -> None:
    """``count`` published incidents change their ``dimension`` from ``old`` to ``new``."""
    _change([(dimension, str(value), by) for value, by in ((old, -count), (new, count)) if value is not None], "all")


def changes_since(known: int) -> list[tuple[int, str, int]] | None:
    """(generation, change, sort key) of every change after generation ``known``, in order; None
    when the log no longer holds them all (pruned, or counts rebuilt): start afresh then."""
    rows = list(PublishedChange.select(PublishedChange.generation, PublishedChange.change, PublishedChange.sort_key)
                .where(PublishedChange.generation > known).order_by(PublishedChange.generation).tuples())
    numbers = [number for number, _change, _key in rows]
    return rows if numbers == list(range(known + 1, known + 1 + len(rows))) else None


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
