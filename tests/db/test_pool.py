"""PostgreSQL connections are pooled per process: a request does not pay for a new server process,
and a connection goes back to the pool with nothing of the request's transaction left in it."""
from __future__ import annotations

import pytest

from incidents.db import database, init_database
from tests.helpers import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgres"), reason="PostgreSQL's connections")


def _backend() -> int:
    return database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]


def test_requests_one_after_another_share_one_server_process(app, users):
    client = app.test_client()
    database.close()
    assert client.get("/incidents").status_code == 200
    database.connect()
    first = _backend()
    database.close()
    assert client.get("/incidents").status_code == 200
    database.connect()
    assert _backend() == first


def test_a_transaction_left_open_is_rolled_back_when_its_connection_returns(app, users):
    database.close()
    database.connect()
    database.execute_sql("BEGIN")
    database.execute_sql("UPDATE \"user\" SET name = 'changed' WHERE id = %s", (users["contributor"].id,))
    database.close()  # back to the pool, as a request that failed half-way would leave it
    database.connect()
    assert database.execute_sql("SELECT name FROM \"user\" WHERE id = %s",
                                (users["contributor"].id,)).fetchone()[0] == "Test contributor"
    assert not database.in_transaction()


def test_the_url_can_size_the_pool(app):
    database.close()
    pooled = init_database(TEST_DATABASE_URL + "?max_connections=3")
    assert pooled._max_connections == 3 and pooled._stale_timeout == 300
