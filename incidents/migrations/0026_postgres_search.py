"""Issue 15: PostgreSQL's own full-text index, in place of matching the keys column of every
published incident row by row (see publication/fulltext.py): a table keyed by the sort key with
each incident's tokens as a tsvector under a GIN index. Filled in batches, the index built after,
so that a large register neither holds every row in memory nor updates the index row by row.
SQLite keeps its FTS5 table (0008)."""
import re

from peewee import SqliteDatabase

# The tokens as FTS5's 'ascii' tokenizer cuts them, as at this step (publication/fulltext.py).
SEPARATORS = re.compile(r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")
LEXEME_BYTES = 2046
BATCH = 2000


def _tokens(text: str) -> list[str]:
    return [token.encode()[:LEXEME_BYTES].decode(errors="ignore") for token in SEPARATORS.split(text) if token]


def up(migrator, db):
    if isinstance(db, SqliteDatabase):
        return
    db.execute_sql("CREATE TABLE IF NOT EXISTS published_search (rowid BIGINT PRIMARY KEY, keys TSVECTOR NOT NULL)")
    last = None
    while True:
        after, arguments = ("WHERE sort_key > %s ", (last, BATCH)) if last is not None else ("", (BATCH,))
        rows = db.execute_sql("SELECT sort_key, search_keys FROM published_incident "  # noqa: S608 (a fixed clause)
                              f"{after}ORDER BY sort_key LIMIT %s", arguments).fetchall()
        if not rows:
            break
        values = ", ".join(["(%s, array_to_tsvector(%s::text[]))"] * len(rows))
        db.execute_sql(f"INSERT INTO published_search (rowid, keys) VALUES {values}",  # noqa: S608 (placeholders only)
                       [value for key, keys in rows for value in (key, _tokens(keys))])
        last = rows[-1][0]
    db.execute_sql("CREATE INDEX IF NOT EXISTS published_search_keys ON published_search USING gin (keys)")
