"""How each database engine is copied into a backup and brought back from one.

SQLite: a snapshot by its online backup API, a file put in place by a rename. PostgreSQL:
``pg_dump`` in its custom format, from a snapshot exported by a read-only transaction that also
counts the rows (so the counts are those of the dump), and ``pg_restore`` in one transaction into an
empty database. The password never reaches a command line: it goes in the environment.
"""
from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 (pg_dump and pg_restore, found by path, with argument lists)
from urllib.parse import urlsplit, urlunsplit

from flask_babel import lazy_gettext as _l
from peewee import PeeweeException as PeeweeError
from peewee import SqliteDatabase

from incidents.db import close_connections, database


class EngineError(Exception):
    """The engine cannot be copied or restored; the message says why (translated when printed)."""


def current(url: str):
    """The engine of the app's database (``url`` is its DATABASE_URL)."""
    if isinstance(database.obj, SqliteDatabase):
        return Sqlite()
    return Postgres(url)


class Sqlite:
    member = "database.sqlite3"

    def __init__(self):
        if database.obj.database in ("", ":memory:"):
            raise EngineError(_l("An in-memory database cannot be backed up or restored."))
        self.path = os.path.abspath(database.obj.database)
        self.folder = os.path.dirname(self.path)

    def snapshot(self, path: str) -> tuple[dict, list]:
        """Copy the database as of one instant into ``path``; (rows per table, migrations applied)."""
        source, copy = sqlite3.connect(self.path), sqlite3.connect(path)
        try:
            # In one step (pages=-1), so the copy is consistent even while the app goes on writing.
            source.backup(copy)
            tables = [name for (name,) in copy.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            return _counts(copy.execute, tables)
        finally:
            copy.close()
            source.close()

    def is_empty(self) -> bool:
        if not os.path.exists(self.path):
            return True
        connection = sqlite3.connect(self.path)
        try:
            return connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        except sqlite3.DatabaseError:
            return False  # not even a database: certainly not an empty one
        finally:
            connection.close()

    def where(self) -> str:
        return self.path

    def put_in_place(self, staged: str) -> None:
        close_connections()  # a connection kept open would go on reading the empty database
        for leftover in (self.path + "-wal", self.path + "-shm"):
            # The empty database's log must never be replayed into the restored one.
            if os.path.exists(leftover):
                os.unlink(leftover)
        os.replace(staged, self.path)


class Postgres:
    member = "database.pgdump"

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.password = parts.password or ""
        host = parts.hostname or ""
        netloc = (f"{parts.username}@" if parts.username else "") + (f"[{host}]" if ":" in host else host) + \
            (f":{parts.port}" if parts.port else "")
        self.url = urlunsplit(("postgresql", netloc, parts.path, parts.query, ""))
        self.folder = None  # a dump is staged beside the instance's other files

    def _run(self, program: str, *arguments: str) -> None:
        environment = dict(os.environ, PGPASSWORD=self.password) if self.password else dict(os.environ)
        result = subprocess.run([_program(program), *arguments], env=environment,  # noqa: S603 (our arguments)
                                capture_output=True, text=True, check=False)
        if result.returncode:
            raise EngineError(_l("%(program)s failed: %(reason)s", program=program,
                                 reason=(result.stderr or result.stdout).strip()[-500:]))

    def snapshot(self, path: str) -> tuple[dict, list]:
        import psycopg2
        try:
            connection = psycopg2.connect(self.url, password=self.password or None)
        except psycopg2.Error as exc:
            raise EngineError(_l("The database cannot be reached: %(reason)s", reason=str(exc).strip())) from None
        try:
            connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot()")
                exported = cursor.fetchone()[0]
                cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
                tables = [name for (name,) in cursor.fetchall()]

                def execute(sql, arguments=()):
                    cursor.execute(sql, arguments)
                    return cursor

                counted = _counts(execute, tables)
                # The dump reads the very snapshot the counts were made in, while it is held open.
                self._run("pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={exported}",
                          f"--file={path}", f"--dbname={self.url}")
            return counted
        finally:
            connection.rollback()
            connection.close()

    def is_empty(self) -> bool:
        try:
            with database.connection_context():
                return not database.execute_sql(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
        except PeeweeError as exc:
            raise EngineError(_l("The database cannot be reached: %(reason)s", reason=str(exc).strip())) from None

    def where(self) -> str:
        return self.url

    def put_in_place(self, staged: str) -> None:
        # One transaction: a restore that fails half-way leaves the database empty, as it was.
        if not database.is_closed():
            database.close()
        self._run("pg_restore", "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
                  f"--dbname={self.url}", staged)


def _counts(execute, tables: list[str]) -> tuple[dict, list]:
    # A table name cannot be a bound parameter: it is quoted as an SQL identifier instead.
    rows = {name: execute('SELECT count(*) FROM "{}"'.format(name.replace('"', '""'))).fetchone()[0]  # noqa: S608
            for name in tables}
    # schema_migration is where peewee's migration Runner records what it applied.
    migrations = ([name for (name,) in execute("SELECT name FROM schema_migration ORDER BY id").fetchall()]
                  if "schema_migration" in rows else [])
    return rows, migrations


def _program(name: str) -> str:
    """``name`` from PostgreSQL's newest client tools here (a dump needs one at least as new as the
    server), else from the PATH. :raise EngineError: none found."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda path: int(path.split("/")[4]) if path.split("/")[4].isdigit() else 0)
    program = found[-1] if found else shutil.which(name)
    if not program:
        raise EngineError(_l("%(program)s is not installed: apt-get install postgresql-client.", program=name))
    return program
