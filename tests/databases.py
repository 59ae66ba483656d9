"""A fresh database for every test, copied from one migrated once per test process.

Migrating anew before each test cost 0.3 s on SQLite and more on PostgreSQL, a quarter of the
suite's time; a copy of the migrated database costs a few milliseconds on SQLite (a file) and on
PostgreSQL a CREATE DATABASE from a template. Under pytest-xdist every worker process has databases
of its own, named after the worker (``TEST_DATABASE_URL`` in tests/helpers.py).
"""
from __future__ import annotations

import shutil

from incidents import create_app
from incidents.db import close_connections, database, migrate, truncate_log
from tests.helpers import database_name, database_named


class PostgresDatabases:
    """``TEST_DATABASE_URL``'s database made anew for each test as a copy of ``<name>_template``."""

    def __init__(self, url: str):
        import psycopg2
        self.url = url
        self.template = database_name(url) + "_template"
        # CREATE and DROP DATABASE cannot run inside a transaction, nor against the database dropped.
        self.admin = psycopg2.connect(database_named(url, "postgres"))
        self.admin.autocommit = True

    def _run(self, statement: str) -> None:
        with self.admin.cursor() as cursor:
            cursor.execute(statement)

    def migrate_template(self, settings: dict) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self._run(f'CREATE DATABASE "{self.template}"')
        create_app({**settings, "DATABASE_URL": database_named(self.url, self.template)})
        migrate()
        close_connections()  # a template may have no connection while it is copied

    def fresh(self, settings: dict) -> None:
        if database.obj is not None:  # the last test's connections, to the database dropped now
            close_connections()
        self._run(f'DROP DATABASE IF EXISTS "{database_name(self.url)}" WITH (FORCE)')
        self._run(f'CREATE DATABASE "{database_name(self.url)}" TEMPLATE "{self.template}"')

    def close(self) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.close()


class SqliteDatabases:
    """A SQLite file migrated once, copied to each test's own file."""

    def __init__(self, folder):
        self.template = folder / "migrated.sqlite3"

    def migrate_template(self, settings: dict) -> None:
        create_app({**settings, "DATABASE_URL": "sqlite:///" + str(self.template)})
        migrate()
        truncate_log()  # everything in the file itself, none of it in a write-ahead log beside it
        close_connections()

    def fresh(self, settings: dict) -> None:
        # shutil.copy keeps the template's permissions: owner only, as the app makes the file.
        shutil.copy(self.template, settings["DATABASE_URL"].split(":///", 1)[1])

    def close(self) -> None:
        pass
