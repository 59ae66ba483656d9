"""PostgreSQL's export reads the keys in order, then each chunk's rows in the heap's order, through
threads that share its snapshot (exports/rows.py): the rows come in the list's order, a row
removed while the file is being written is still in it as it was, a download given up half-way
stops the fetchers, and a fetcher's failure fails the export instead of leaving it waiting."""
from __future__ import annotations

import threading

import pytest

from incidents.db import database
from incidents.exports import rows
from incidents.models import PublishedIncident, PublishedRow
from incidents.search.filters import Filters
from tests.factories import make_facility, make_incident, publish
from tests.helpers import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgres"), reason="PostgreSQL's way of reading")


@pytest.fixture
def published(users, monkeypatch):
    monkeypatch.setattr(rows, "CHUNK", 2)  # twelve rows in six chunks
    facility = make_facility(users["contributor"])
    for n in range(12):
        publish(make_incident(users["contributor"], facility, title={"en": f"Beating {n}"}, original_language="en",
                              date_start=f"20{10 + n}-0{n % 9 + 1}-1{n % 10}", date_precision="day"),
                users["contributor"], users["reviewer"])
    return [(p.incident_id, p.sort_key) for p in PublishedIncident.select().order_by(PublishedIncident.sort_key.desc())]


def fetchers_alive() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(("export-keys", "export-fetcher"))]


def cells_of(incident_id: int) -> str:
    return PublishedRow.get(PublishedRow.incident == incident_id).cells


def test_the_rows_come_in_the_lists_order_with_their_cells(app, published):
    exported = list(rows.rows_in_order(Filters()))
    assert [row[0] for row in exported] == [incident for incident, _key in published]
    assert all(row[3] == cells_of(row[0]) and row[2] for row in exported)
    assert not fetchers_alive() and not database.in_transaction()


def test_a_row_removed_while_exporting_is_still_in_the_file_as_it_was(app, published, monkeypatch):
    oldest, oldest_key = published[-1]
    before = cells_of(oldest)

    def retract():  # another request, on a connection of its own, commits at once
        with database.connection_context():
            PublishedRow.delete().where(PublishedRow.sort_key == oldest_key).execute()

    class RetractedMeanwhile(rows._Reading):
        """The retraction commits after the export took its snapshot, before its threads read anything."""

        def __enter__(self):
            remover = threading.Thread(target=retract)
            remover.start()
            remover.join()
            return super().__enter__()
    monkeypatch.setattr(rows, "_Reading", RetractedMeanwhile)

    exported = list(rows.rows_in_order(Filters()))
    assert [row[0] for row in exported] == [incident for incident, _key in published]
    assert exported[-1][3] == before
    assert not PublishedRow.select().where(PublishedRow.sort_key == oldest_key).exists()  # gone, after the file


def test_a_download_given_up_half_way_stops_the_fetchers(app, published):
    exported = rows.rows_in_order(Filters())
    next(exported)
    assert fetchers_alive()
    exported.close()
    assert not fetchers_alive() and not database.in_transaction()


def test_a_fetchers_failure_fails_the_export(app, published, monkeypatch):
    def broken(chunk):
        raise RuntimeError("the disk is gone")
    monkeypatch.setattr(rows, "_with_cells", broken)
    with pytest.raises(RuntimeError, match="the disk is gone"):
        list(rows.rows_in_order(Filters()))
    assert not fetchers_alive() and not database.in_transaction()
