"""A long query (an export) is read from PostgreSQL a batch at a time, not all into the server process
first: a national data set is a million rows (issue 15: the export under 200 MB)."""
from __future__ import annotations

import pytest

from incidents.db import database, streamed
from incidents.models import User
from tests.helpers import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgres"), reason="PostgreSQL's cursors")


def waiting_cursors() -> int:
    return database.execute_sql("SELECT count(*) FROM pg_cursors WHERE name LIKE 'streamed%%'").fetchone()[0]


def test_the_rows_wait_on_the_server_until_fetched_and_nothing_is_left_open(app, users):
    everyone = [user.id for user in User.select(User.id).order_by(User.id)]
    rows = streamed(User.select(User.id).order_by(User.id), batch=2)
    assert next(rows) == (everyone[0],)
    assert waiting_cursors() == 1  # the rest still on the server
    assert [row[0] for row in rows] == everyone[1:]
    assert waiting_cursors() == 0


def test_a_reading_given_up_half_way_leaves_no_cursor_behind(app, users):
    rows = streamed(User.select(User.id), batch=2)
    next(rows)
    rows.close()  # a download the reader gave up on
    assert waiting_cursors() == 0
    assert not database.in_transaction()
