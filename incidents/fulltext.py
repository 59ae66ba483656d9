"""The full-text index of published incidents: one module, so another backend can stand beside it.

Interface: ``replace(incident_id, keys)``, ``remove(incident_id)`` and ``matching(words)``, a
subquery of the incident ids whose keys match every query word. Keys come from
``search_keys``: Latin skeletons and stems, so one index serves every script.

SQLite uses an FTS5 table; elsewhere (PostgreSQL) a plain match over the keys column of
``PublishedIncident`` stands in until a native backend is written.
"""
from __future__ import annotations

from peewee import SQL, SqliteDatabase

from .db import database
from .models import PublishedIncident

def _fts() -> bool:
    return isinstance(database.obj, SqliteDatabase)


def create() -> None:
    """Create the index (a no-op where the backend needs no table of its own)."""
    if _fts():
        database.execute_sql("CREATE VIRTUAL TABLE IF NOT EXISTS published_search USING fts5(keys, tokenize='ascii')")


def replace(incident_id: int, keys: str) -> None:
    if _fts():
        database.execute_sql("DELETE FROM published_search WHERE rowid = ?", (incident_id,))
        database.execute_sql("INSERT INTO published_search (rowid, keys) VALUES (?, ?)", (incident_id, keys))


def remove(incident_id: int) -> None:
    if _fts():
        database.execute_sql("DELETE FROM published_search WHERE rowid = ?", (incident_id,))


def matching(words: list[tuple[str, ...]]):
    """Ids of published incidents where each word shares a key; None when nothing to match.

    Keys hold only [a-z0-9], so quoting them keeps any query syntax out of the MATCH string.
    """
    if not words:
        return None
    if _fts():
        expression = " AND ".join("(" + " OR ".join(f'"{key}"' for key in keys) + ")" for keys in words)
        return SQL("(SELECT rowid FROM published_search WHERE published_search MATCH ?)", (expression,))
    return PublishedIncident.select(PublishedIncident.incident).where(
        keys_condition(PublishedIncident.search_keys, words))


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
