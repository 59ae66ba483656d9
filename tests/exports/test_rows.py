"""The export reads the keys in order, then each chunk's rows as they lie on disk (exports/rows.py):
the rows come in the list's order; an incident retracted while the file is being written is still
in it as it was; a failure fails the export; no session is left in a transaction. PostgreSQL's
reads go through threads that share its snapshot: a download given up half-way stops them after
little more work; a thread that finds no connection leaves the work to the others; a failure
fails the export instead of leaving it waiting."""
from __future__ import annotations

import threading

import pytest

from incidents.db import database
from incidents.exports import rows
from incidents.models import PublishedIncident, PublishedRow
from incidents.search.filters import Filters
from tests.factories import make_facility, make_incident, move, publish
from tests.helpers import TEST_DATABASE_URL, finished_within

POSTGRES = TEST_DATABASE_URL.startswith("postgres")
postgres_only = pytest.mark.skipif(not POSTGRES, reason="PostgreSQL's way of reading")


@pytest.fixture
def published(users, monkeypatch):
    monkeypatch.setattr(rows, "CHUNK", 2)  # twelve rows in six chunks
    facility = make_facility(users["contributor"])
    for n in range(12):
        publish(make_incident(users["contributor"], facility, title={"en": f"Beating {n}"}, original_language="en",
                              date_start=f"20{10 + n}-0{n % 9 + 1}-1{n % 10}", date_precision="day"),
                users["contributor"], users["reviewer"])
    return [(p.incident_id, p.sort_key) for p in PublishedIncident.select().order_by(PublishedIncident.sort_key.desc())]


def threads_alive() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(("export-keys", "export-fetcher"))]


def left_in_a_transaction() -> int:
    """Sessions of this database idle inside a transaction (a thread's connection not given back clean);
    on SQLite, whether the export left this thread's connection in one."""
    if not POSTGRES:
        return int(database.in_transaction())
    return database.execute_sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                "AND state LIKE 'idle in transaction%%'").fetchone()[0]


def cells_of(incident_id: int) -> str:
    return PublishedRow.get(PublishedRow.incident == incident_id).cells


def exported_within(seconds: float):
    """The export's rows, or the exception it ended with; the test fails if it hangs."""
    return finished_within(seconds, lambda: list(rows.rows_in_order(Filters())))


def test_the_rows_come_in_the_lists_order_with_their_cells(app, published):
    exported = list(rows.rows_in_order(Filters()))
    assert [row[0] for row in exported] == [incident for incident, _key in published]
    assert all(row[4] == cells_of(row[0]).encode() and row[2] for row in exported)
    assert not threads_alive() and left_in_a_transaction() == 0


def test_an_incident_retracted_while_exporting_is_still_in_the_file_as_it_was(app, users, published, monkeypatch):
    oldest, _key = published[-1]
    before = cells_of(oldest)

    def retract():  # a reviewer's request, on a connection of its own, commits at once
        with database.connection_context():
            move(oldest, users["reviewer"], "retract", comment="The source withdrew it.")

    real, retracted = rows._with_cells, []

    def retracted_meanwhile(chunk):
        """The retraction commits after the export read its first keys, before it read any row."""
        if not retracted:
            remover = threading.Thread(target=retract)
            remover.start()
            remover.join()
            retracted.append(oldest)
        return real(chunk)
    monkeypatch.setattr(rows, "_with_cells", retracted_meanwhile)

    exported = list(rows.rows_in_order(Filters()))
    assert retracted and [row[0] for row in exported] == [incident for incident, _key in published]
    assert exported[-1][4] == before.encode()
    assert not PublishedIncident.select().where(PublishedIncident.incident == oldest).exists()  # gone, after
    assert left_in_a_transaction() == 0


def test_a_download_given_up_half_way_stops_its_reading(app, published, monkeypatch):
    monkeypatch.setattr(rows, "FETCHERS", 1)  # in hand at most: 1 written, 2 in line, 1 the leader holds
    fetched = []
    real = rows._with_cells
    monkeypatch.setattr(rows, "_with_cells", lambda chunk: fetched.append(chunk) or real(chunk))
    exported = rows.rows_in_order(Filters())
    next(exported)
    exported.close()
    assert not threads_alive() and left_in_a_transaction() == 0
    assert len(fetched) <= rows.FETCHERS + 3 < 6


@postgres_only
def test_a_fetcher_without_a_connection_leaves_the_work_to_the_others(app, published, monkeypatch):
    real = rows._Reading._in_snapshot

    def crowded(self):  # the pool had no connection left for this one
        if threading.current_thread().name == "export-fetcher-0":
            raise RuntimeError("no connection left")
        return real(self)
    monkeypatch.setattr(rows._Reading, "_in_snapshot", crowded)
    exported = exported_within(30)
    assert [row[0] for row in exported] == [incident for incident, _key in published]


@pytest.mark.parametrize("broken", ["fetching", pytest.param("every connection", marks=postgres_only), "the keys"])
def test_a_failure_fails_the_export_instead_of_leaving_it_waiting(app, published, monkeypatch, broken):
    def fail(*args, **kwargs):
        raise RuntimeError("the disk is gone")
    if broken == "fetching":
        monkeypatch.setattr(rows, "_with_cells", fail)
    elif broken == "every connection":
        real = rows._Reading._in_snapshot
        monkeypatch.setattr(rows._Reading, "_in_snapshot", lambda self: fail() if threading.current_thread().name
                            .startswith("export-fetcher") else real(self))
    else:
        monkeypatch.setattr(rows, "streamed_chunks", fail)
    outcome = exported_within(30)
    assert isinstance(outcome, RuntimeError) and "the disk is gone" in str(outcome)
    assert not threads_alive() and left_in_a_transaction() == 0
