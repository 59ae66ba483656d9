"""The full-text index of published incidents: two backends behind one interface.

Interface: ``create()``, ``rebuild()``, ``add(key, keys)``, ``remove(key)``, ``restrict(query,
words)``, ``count(words)``, ``page(words, ...)``, ``all_keys(words)`` and ``token_keys(token)``. An entry is known by its incident's
``PublishedIncident.sort_key``; its ``keys`` come from ``search_keys`` (Latin skeletons and
stems), so one index serves every script.

SQLite uses an FTS5 table whose rowid is the sort key: matches come out in list order, so the
newest page of a common word is read without sorting every match. PostgreSQL uses a table of
the same name keyed by the sort key, holding each entry's tokens as a ``tsvector`` under a GIN
index. Both cut the keys into tokens the same way (``tokens``: FTS5's 'ascii' tokenizer), and
PostgreSQL is handed the tokens themselves (``array_to_tsvector``, a ``tsquery`` of quoted
lexemes), never text for its own parser to cut differently: the same query finds the same
incidents on both.
"""
from __future__ import annotations

import re

import numpy as np
from peewee import SQL, Cast, Expression, SqliteDatabase, Table, Value

from incidents.db import database
from incidents.models import PublishedIncident

INDEX = Table("published_search", ("rowid", "keys"))


def _fts() -> bool:
    return isinstance(database.obj, SqliteDatabase)


# What the 'ascii' tokenizer splits on: every ASCII character but letters and digits.
SEPARATORS = re.compile(r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")
# PostgreSQL's longest lexeme is 2,047 bytes; FTS5 has no limit. A longer token is cut, in what is
# indexed and in what is asked alike, so a word of thousands of letters still finds itself.
LEXEME_BYTES = 2046


def tokens(text: str) -> list[str]:
    """The tokens FTS5's 'ascii' tokenizer makes of ``text`` (keys are lower case already), each cut
    to what PostgreSQL holds."""
    return [token.encode()[:LEXEME_BYTES].decode(errors="ignore") for token in SEPARATORS.split(text) if token]


def create() -> None:
    """Create the index, empty."""
    if _fts():
        database.execute_sql("CREATE VIRTUAL TABLE IF NOT EXISTS published_search USING fts5(keys, tokenize='ascii', "
                             "detail='none', columnsize=0)")
    else:
        # "rowid" as in FTS5, so that one query joins either.
        database.execute_sql("CREATE TABLE IF NOT EXISTS published_search (rowid BIGINT PRIMARY KEY, "
                             "keys TSVECTOR NOT NULL)")
        database.execute_sql("CREATE INDEX IF NOT EXISTS published_search_keys ON published_search USING gin (keys)")


def rebuild() -> None:
    """Fill the index afresh from the public projection."""
    database.execute_sql("DELETE FROM published_search")
    if _fts():
        database.execute_sql("INSERT INTO published_search (rowid, keys) "
                             "SELECT sort_key, search_keys FROM published_incident")
        return
    cursor = database.execute_sql("SELECT sort_key, search_keys FROM published_incident")
    while rows := cursor.fetchmany(1000):
        for key, keys in rows:
            add(key, keys)


def add(key: int, keys: str) -> None:
    if _fts():
        database.execute_sql("INSERT INTO published_search (rowid, keys) VALUES (?, ?)", (key, keys))
    else:
        database.execute_sql("INSERT INTO published_search (rowid, keys) VALUES (%s, array_to_tsvector(%s::text[]))",
                             (key, tokens(keys)))


def remove(key: int) -> None:
    database.execute(INDEX.delete().where(INDEX.rowid == key))
def _expression(words: list[tuple[str, ...]]) -> str:
    """Every word, any of its keys, as FTS5's MATCH string. A key is cut where the tokenizer cuts
    the indexed text (a key such as "0_0" is two tokens, then both must be there); each token is
    quoted, and separators, quotes included, never reach the MATCH string, so no query syntax does."""
    return _joined(words, lambda token: f'"{token}"', " AND ", " OR ")


def _tsquery(words: list[tuple[str, ...]]) -> str:
    """The same as a ``tsquery``: quoted lexemes, taken as they are (the cast parses no text)."""
    return _joined(words, lambda token: "'" + token.replace("\\", "\\\\").replace("'", "''") + "'", " & ", " | ")


def _joined(words: list[tuple[str, ...]], quoted, both: str, either: str) -> str:
    alternatives = []
    for keys in words:
        found = [both.join(quoted(token) for token in cut) for cut in (tokens(key) for key in keys) if cut]
        # A word with nothing the index holds (only separators) can match nothing.
        alternatives.append("(" + either.join(f"({key})" for key in found) + ")" if found else "")
    return "" if "" in alternatives else both.join(alternatives)


def _match(words: list[tuple[str, ...]]):
    """The condition on the index for ``words``: None when nothing can match."""
    if _fts():
        expression = _expression(words)
        return SQL("published_search MATCH ?", (expression,)) if expression else None
    expression = _tsquery(words)
    return Expression(INDEX.keys, "@@", Cast(Value(expression), "tsquery")) if expression else None


def restrict(query, words: list[tuple[str, ...]]):
    """(``query`` over ``PublishedIncident`` narrowed to rows matching every word, the column
    that orders it by sort key). Under FTS5 the index leads, so ordering by that column walks
    the matches in order."""
    condition = _match(words)
    query = query.join_from(PublishedIncident, INDEX, on=(INDEX.rowid == PublishedIncident.sort_key))
    return query.where(condition if condition is not None else SQL("1 = 0")), INDEX.rowid


def count(words: list[tuple[str, ...]]) -> int:
    """How many published incidents match every word."""
    condition = _match(words)
    return INDEX.select().where(condition).bind(database).count() if condition is not None else 0


def page(words: list[tuple[str, ...]], descending: bool, limit: int, offset: int) -> list[int]:
    """The sort keys of one page of matches, in list order."""
    condition = _match(words)
    if condition is None:
        return []
    query = (INDEX.select(INDEX.rowid).where(condition).order_by(INDEX.rowid.desc() if descending else INDEX.rowid)
             .limit(limit).offset(offset))
    return [row[0] for row in database.execute(query)]


def all_keys(words: list[tuple[str, ...]]):
    """A cursor over the sort key of every match, as 1-tuples."""
    condition = _match(words)
    return database.execute(INDEX.select(INDEX.rowid).where(condition)) if condition is not None else iter(())


def token_keys(token: str) -> np.ndarray:
    """The sort keys of every entry holding ``token`` (one token, as ``tokens`` cuts them), in no
    particular order: gathered into one string by the database, so that hundreds of thousands of
    keys cross into Python at once rather than row by row."""
    if _fts():
        sql = "SELECT group_concat(rowid) FROM published_search WHERE published_search MATCH ?"
        argument = '"' + token.replace('"', '""') + '"'
    else:
        sql = "SELECT string_agg(rowid::text, ',') FROM published_search WHERE keys @@ %s::tsquery"
        argument = _tsquery([(token,)])
    joined = database.execute_sql(sql, (argument,)).fetchone()[0]
    return np.fromstring(joined, dtype=np.int64, sep=",") if joined else np.zeros(0, dtype=np.int64)


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
