"""The deferred peewee database, its pragmas, per-request connections and migrations.

Models bind to ``database`` (a proxy) at import time; ``init_database`` points it at the
real database named by a URL, so the same models serve SQLite and PostgreSQL.
"""
from __future__ import annotations

import os
from urllib.parse import parse_qs, urlsplit

from peewee import SQL, Cast, DatabaseProxy, Model, SqliteDatabase, fn
from playhouse.db_url import connect
from playhouse.migrations import Runner
from playhouse.pool import PooledSqliteDatabase

database = DatabaseProxy()

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")

# WAL lets readers continue while a reviewer's transition commits; foreign keys keep
# revisions and review events attached to their incident; secure_delete overwrites
# freed pages so a deleted confidential value is not left readable in the file.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "secure_delete": 1,
    "synchronous": "normal",
    "busy_timeout": 5000,
    "cache_size": -16000,
}

# A SQLite connection goes back to a pool after its request instead of being closed: opening one,
# setting its pragmas and reading the schema took half the CPU of a small request (1.5 of 3 ms).
# What it would keep between requests, its page cache, is emptied as it comes back (_PooledSqlite).
SQLITE_POOL = {"max_connections": 0, "stale_timeout": 300}  # 0: as many as threads ask for at once

# PostgreSQL starts a server process for every connection, which costs more than most requests:
# each app process keeps its connections open in a pool instead (one per thread at most). A
# connection idle for five minutes is closed; a thread waits up to 30 s for one when all are busy.
# The URL may say otherwise (postgresql://...?max_connections=40).
POSTGRES_POOL = {"max_connections": 20, "stale_timeout": 300, "timeout": 30}


class _PooledSqlite(PooledSqliteDatabase):
    """Pooled SQLite connections, each used by one thread at a time (hence check_same_thread off)."""

    def _can_reuse(self, conn) -> bool:
        if not super()._can_reuse(conn):  # rolls back a transaction left open
            return False
        # Nothing of a request stays in the connection: not a cache size a reader set for itself,
        # nor the pages it read, in every idle connection of every worker. Emptied, the cache was
        # also quicker for searches: at a million incidents one with facets took 25 ms of CPU
        # against 38 with the pages kept from request to request (bench/README.md).
        # PRAGMA takes no bound parameter; the value is this module's own integer, never input.
        conn.execute(f"PRAGMA cache_size = {int(SQLITE_PRAGMAS['cache_size'])}")  # noqa: S608
        conn.execute("PRAGMA shrink_memory")
        return True


def close_connections() -> None:
    """Close every connection this process holds to the database, pooled or in use, as before its
    file is replaced: a pooled connection would go on reading the file that was there."""
    if hasattr(database.obj, "close_all"):
        database.obj.close_all()
    elif not database.is_closed():
        database.close()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


def create_private_file(path: str) -> None:
    """Create the database file readable by its owner only: it holds identities.

    SQLite gives its -wal and -shm files the same permissions as the database file.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, mode=0o700, exist_ok=True)
    if not os.path.exists(path):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def init_database(url: str):
    """Point the proxy at the database named by ``url`` and return it."""
    if database.obj is not None:  # the pool of a database this process used before
        close_connections()
    if url.startswith("sqlite:"):
        path = url.split(":///", 1)[1] if ":///" in url else ":memory:"
        if path not in ("", ":memory:"):
            create_private_file(path)
        # BEGIN IMMEDIATE: a transaction takes the write lock when it starts. With SQLite's default
        # (deferred), two transactions that both read and then write deadlock, and one fails at once
        # with "database is locked" instead of waiting its turn under busy_timeout.
        if path in ("", ":memory:"):  # each connection would be a database of its own: no pool
            db = SqliteDatabase(":memory:", pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
        else:
            db = _PooledSqlite(path, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False,
                               **SQLITE_POOL)
    elif url.startswith(("postgres://", "postgresql://")):
        given = parse_qs(urlsplit(url).query)
        db = connect(url.replace("://", "+pool://", 1),
                     **{name: value for name, value in POSTGRES_POOL.items() if name not in given})
    else:
        db = connect(url)
    database.initialize(db)
    return db


def day_number(column):
    """``date.toordinal()`` of a date column, as SQL: each backend counts days its own way."""
    if isinstance(database.obj, SqliteDatabase):
        return Cast(fn.julianday(column) - 1721424.5, "INTEGER")
    return Cast(column - SQL("DATE '0001-01-01'") + 1, "BIGINT")


def streamed(query, batch: int = 2000):
    """The rows of a long query as tuples, ``batch`` at a time from the server: PostgreSQL's usual
    cursor would hold every row in this process before giving the first (SQLite's steps through
    them anyway). Inside a transaction, so that the rows are one consistent state."""
    if isinstance(database.obj, SqliteDatabase):
        yield from database.execute(query)
        return
    sql, params = query.sql()
    with database.atomic():
        # Named: the rows stay on the server until fetched. "With hold" only because psycopg2
        # refuses a named cursor on a connection in autocommit, as peewee keeps it between
        # its own BEGIN and COMMIT; the cursor is closed before the commit, so nothing is held.
        cursor = database.connection().cursor(name=f"streamed_{id(query):x}", withhold=True)
        cursor.itersize = batch
        try:
            cursor.execute(sql, params)
            yield from cursor
        finally:
            cursor.close()


def streamed_chunks(query, size: int):
    """The rows of a long query (``streamed``) in lists of ``size``, the last one maybe shorter."""
    chunk = []
    for row in streamed(query, batch=size):
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def serialize_writers(key: int) -> None:
    """Make writers that call this with the same ``key`` take turns until their transactions end.

    SQLite's transactions already do (they begin IMMEDIATE); on PostgreSQL a transaction-scoped
    advisory lock does, and each statement after it sees what the one before it committed.
    """
    if not isinstance(database.obj, SqliteDatabase):
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))


def truncate_log() -> None:
    """Move SQLite's write-ahead log into the database file and empty it, so that old versions of
    rewritten rows are gone from the log too. (PostgreSQL recycles its own log.)"""
    if isinstance(database.obj, SqliteDatabase):
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def migrate() -> list[str]:
    """Apply pending migrations in order; returns the names applied (none when current).

    Migration files live in ``incidents/migrations/NNNN_name.py`` and define ``up(migrator, db)``;
    each declares what it changes, never through the live models (see ``incidents/migrations``).
    """
    with database.connection_context():
        return Runner(database.obj, MIGRATIONS_DIR).up()


def register_request_hooks(app) -> None:
    """Open a connection for each request and close it afterwards, even on errors."""

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()
