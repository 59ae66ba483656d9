"""Connections are pooled per process on both engines: a request does not pay for a new connection
(PostgreSQL's server process; SQLite's pragmas and schema), and a connection goes back to the pool
with nothing of the request left in it: no transaction, no setting of its own."""
from __future__ import annotations

import pytest

from incidents.db import SQLITE_PRAGMAS, database, init_database
from incidents.models import User
from tests.helpers import TEST_DATABASE_URL

postgres_only = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgres"), reason="PostgreSQL's connections")
sqlite_only = pytest.mark.skipif(TEST_DATABASE_URL.startswith("postgres"), reason="SQLite's connections")


def _identity():
    """What tells one connection from another: PostgreSQL's server process, SQLite's connection."""
    if TEST_DATABASE_URL.startswith("postgres"):
        return database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    return id(database.connection())


def test_requests_one_after_another_share_one_connection(app, users):
    client = app.test_client()
    database.close()
    assert client.get("/incidents").status_code == 200
    database.connect()
    first = _identity()
    database.close()
    assert client.get("/incidents").status_code == 200
    database.connect()
    assert _identity() == first


def test_a_transaction_left_open_is_rolled_back_when_its_connection_returns(app, users):
    database.close()
    database.connect()
    database.execute_sql("BEGIN")
    User.update(name="changed").where(User.id == users["contributor"].id).execute()
    database.close()  # back to the pool, as a request that failed half-way would leave it
    database.connect()
    assert User.get_by_id(users["contributor"].id).name == "Test contributor"
    assert not database.in_transaction()


@sqlite_only
def test_a_connection_returns_with_the_cache_size_every_request_expects(app):
    database.close()
    database.connect()
    first = id(database.connection())
    database.execute_sql("PRAGMA cache_size = -256")  # as a reader of many pages may set it for itself
    database.close()
    database.connect()
    assert id(database.connection()) == first
    assert database.execute_sql("PRAGMA cache_size").fetchone()[0] == SQLITE_PRAGMAS["cache_size"]


@sqlite_only
def test_an_in_memory_database_is_not_pooled(app):
    """Each connection to ":memory:" is a database of its own: a pool would hand out empty ones."""
    database.close()
    try:
        memory = init_database("sqlite://")
        assert not hasattr(memory, "close_all")
    finally:
        init_database(app.config["SETTINGS"].DATABASE_URL)


@postgres_only
def test_the_url_can_size_the_pool(app):
    database.close()
    pooled = init_database(TEST_DATABASE_URL + "?max_connections=3")
    assert pooled._max_connections == 3 and pooled._stale_timeout == 300
