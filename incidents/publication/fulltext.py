"""The full-text index of published incidents: one module, so another backend can stand beside it.

Interface: ``create()``, ``rebuild()``, ``add(key, keys)``, ``remove(key)``, ``restrict(query,
words)``, ``count(words)``, ``page(words, ...)`` and ``all_keys(words)``. An entry is known by its incident's
``PublishedIncident.sort_key``; its ``keys`` come from ``search_keys`` (Latin skeletons and
stems), so one index serves every script.

SQLite uses an FTS5 table whose rowid is the sort key: matches come out in list order, so the
newest page of a common word is read without sorting every match. Elsewhere (PostgreSQL) a
plain match over the keys column of ``PublishedIncident`` stands in until a native backend is
written.
"""
from __future__ import annotations

import re

from peewee import SQL, SqliteDatabase, Table

from incidents.db import database
from incidents.models import PublishedIncident

INDEX = Table("published_search", ("rowid", "keys"))


def _fts() -> bool:
    return isinstance(database.obj, SqliteDatabase)


def create() -> None:
    """Create the index (a no-op where the backend needs no table of its own)."""
    if _fts():
        database.execute_sql("CREATE VIRTUAL TABLE IF NOT EXISTS published_search USING fts5(keys, tokenize='ascii', "
                             "detail='none', columnsize=0)")


def rebuild() -> None:
    """Fill the index afresh from the public projection."""
    if _fts():
        database.execute_sql("DELETE FROM published_search")
        database.execute_sql("INSERT INTO published_search (rowid, keys) "
                             "SELECT sort_key, search_keys FROM published_incident")


def add(key: int, keys: str) -> None:
    if _fts():
        database.execute_sql("INSERT INTO published_search (rowid, keys) VALUES (?, ?)", (key, keys))


def remove(key: int) -> None:
    if _fts():
        database.execute_sql("DELETE FROM published_search WHERE rowid = ?", (key,))


# What the 'ascii' tokenizer splits on: every ASCII character but letters and digits.
SEPARATORS = re.compile(r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")
def _expression(words: list[tuple[str, ...]]) -> str:
    """Every word, any of its keys. A key is cut where the tokenizer cuts the indexed text (a
    key such as "0_0" is two tokens, then both must be there); each token is quoted, and
    separators, quotes included, never reach the MATCH string, so no query syntax does."""
    alternatives = []
    for keys in words:
        found = [" AND ".join(f'"{token}"' for token in tokens) for tokens in
                 ([t for t in SEPARATORS.split(key) if t] for key in keys) if tokens]
        # A word with nothing the index holds (only separators) can match nothing.
        alternatives.append("(" + " OR ".join(f"({key})" for key in found) + ")" if found else "")
    return "" if "" in alternatives else " AND ".join(alternatives)


def restrict(query, words: list[tuple[str, ...]]):
    """(``query`` over ``PublishedIncident`` narrowed to rows matching every word, the column
    that orders it by sort key). Under FTS5 the index leads, so ordering by that column walks
    the matches in order."""
    if _fts():
        expression = _expression(words)
        query = (query.join_from(PublishedIncident, INDEX, on=(INDEX.rowid == PublishedIncident.sort_key))
                 .where(SQL("published_search MATCH ?", (expression,)) if expression else SQL("0")))
        return query, INDEX.rowid
    return query.where(keys_condition(PublishedIncident.search_keys, words)), PublishedIncident.sort_key


def count(words: list[tuple[str, ...]]) -> int:
    """How many published incidents match every word."""
    if _fts():
        expression = _expression(words)
        return database.execute_sql("SELECT count(*) FROM published_search WHERE published_search MATCH ?",
                                    (expression,)).fetchone()[0] if expression else 0
    return restrict(PublishedIncident.select(), words)[0].count()


def page(words: list[tuple[str, ...]], descending: bool, limit: int, offset: int) -> list[int]:
    """The sort keys of one page of matches, in list order."""
    if _fts():
        expression = _expression(words)
        if not expression:
            return []
        direction = "DESC" if descending else "ASC"
        cursor = database.execute_sql(
            f"SELECT rowid FROM published_search WHERE published_search MATCH ? ORDER BY rowid {direction} "  # noqa: S608 (ASC or DESC; values bound)
            "LIMIT ? OFFSET ?", (expression, limit, offset))
        return [row[0] for row in cursor]
    column = PublishedIncident.sort_key
    query = restrict(PublishedIncident.select(column), words)[0]
    return [row[0] for row in query.order_by(column.desc() if descending else column)
            .limit(limit).offset(offset).tuples()]


def all_keys(words: list[tuple[str, ...]]):
    """A cursor over the sort key of every match, as 1-tuples."""
    if _fts():
        expression = _expression(words)
        return database.execute_sql("SELECT rowid FROM published_search WHERE published_search MATCH ?",
                                    (expression,)) if expression else iter(())
    return database.execute(restrict(PublishedIncident.select(PublishedIncident.sort_key), words)[0])


def keys_condition(column, words: list[tuple[str, ...]]):
    """``column`` (space-padded keys) holds, for every word, one of its keys."""
    condition = None
    for keys in words:
        any_key = None
        for key in keys:
            clause = column.contains(f" {key} ")
            any_key = clause if any_key is None else (any_key | clause)
        condition = any_key if condition is None else (condition & any_key)
    return condition
