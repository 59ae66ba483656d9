"""Reading ahead of a CSV export (exports/readahead.py): other connections fetch the rows the export is
about to write, in its order and never far ahead; the file is the same; a download given up half-way
stops them. SQLite's way of reading (PostgreSQL's is in test_rows.py)."""
from __future__ import annotations

import csv
import io
import threading
import time

import pytest

from incidents.exports import open_data, readahead, rows
from incidents.models import PublishedIncident
from tests.factories import make_facility, make_incident, publish
from tests.helpers import TEST_DATABASE_URL, finished_within

pytestmark = pytest.mark.skipif(TEST_DATABASE_URL.startswith("postgres"), reason="SQLite's way of reading")


@pytest.fixture
def published(users):
    facility = make_facility(users["contributor"])
    return [publish(make_incident(users["contributor"], facility, title={"en": f"Beating {n}"}, original_language="en",
                                  date_start=f"201{n % 10}-0{n % 9 + 1}-1{n % 10}", date_precision="day"),
                    users["contributor"], users["reviewer"]) for n in range(12)]


@pytest.fixture
def fetched(monkeypatch):
    """The keys the readers fetched, chunk by chunk, two rows a chunk, at most four rows ahead."""
    chunks = []
    real = readahead._fetch

    def spying(keys):
        chunks.append(list(keys))
        real(keys)
    monkeypatch.setattr(readahead, "_fetch", spying)
    monkeypatch.setattr(readahead, "CHUNK", 2)
    monkeypatch.setattr(readahead, "AHEAD", 4)
    monkeypatch.setattr(readahead, "Progress", SlowExport)
    return chunks


class SlowExport(readahead.Progress):
    """An export that takes its time over each row, as a large one does: the readers get going
    (twelve rows otherwise take less time than starting a thread)."""

    @property
    def rows(self):
        return self.__dict__.get("_rows", 0)

    @rows.setter
    def rows(self, value):
        time.sleep(0.02)
        self.__dict__["_rows"] = value


def readers_alive() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("export-read")]


def test_the_readers_fetch_the_exports_rows_in_its_order_and_the_file_is_the_same(client, bearer, published,
                                                                                   fetched, monkeypatch):
    headers = bearer("researcher")
    path = "/api/v1/export/incidents.csv?date_from=2012-01-01"
    text = client.get(path, headers=headers).get_data(as_text=True)
    lines = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    keys = {p.incident_id: p.sort_key for p in PublishedIncident.select()}
    ahead, order = [key for chunk in fetched for key in chunk], [keys[int(row["id"])] for row in lines]
    # In the export's order; the last chunk may be called off when the export got there first.
    assert len(ahead) >= 4 and ahead == order[:len(ahead)]
    assert len(lines) == 8 and not readers_alive()  # 2 of the 12 ended before 2012

    monkeypatch.setattr(readahead, "READERS", 0)  # an export without them: the same file
    monkeypatch.setattr(readahead, "reading_ahead", lambda _query: _Without())
    monkeypatch.setattr(rows, "reading_ahead", lambda _query: _Without())
    assert client.get(path, headers=headers).get_data(as_text=True) == text


class _Without:
    def __enter__(self):
        return readahead.Progress()

    def __exit__(self, *exc):
        return False


def test_a_download_given_up_half_way_stops_the_readers(client, bearer, published, fetched, monkeypatch):
    monkeypatch.setattr(open_data, "CHUNK", 1)  # a piece of the file per row
    response = client.get("/api/v1/export/incidents.csv", headers=bearer("researcher"), buffered=False)
    pieces = response.response
    next(pieces), next(pieces)  # the header and the first row, then the reader goes away
    response.close()
    assert not readers_alive()
    assert sum(len(chunk) for chunk in fetched) <= 2 + readahead.AHEAD + readahead.CHUNK < 12


def test_readers_that_cannot_connect_leave_the_export_whole(client, bearer, published, fetched, monkeypatch):
    """Readers are a help only: when none of them gets a connection, is the export still whole, and
    does it end (the leader never waits on a reader that died)?"""
    path = "/api/v1/export/incidents.csv?date_from=2012-01-01"
    expected = client.get(path, headers=bearer("researcher")).get_data(as_text=True)

    real = readahead._small_cache

    def no_connection():
        if threading.current_thread().name.startswith("export-reader"):
            raise RuntimeError("no connection left")
        real()
    monkeypatch.setattr(readahead, "_small_cache", no_connection)
    monkeypatch.setattr(readahead, "CHUNK", 1)  # more chunks than the queue to the readers holds
    outcome = finished_within(30, lambda: client.get(path, headers=bearer("researcher")).get_data(as_text=True))
    assert outcome == expected and not readers_alive()



def test_an_export_that_goes_fast_alone_is_not_read_ahead(client, bearer, published, fetched, monkeypatch):
    """From a warm cache the export goes faster than the readers could help it: while it is seen to go
    fast, are no rows handed to the readers (they would only take its CPU), and is the file the same?"""
    path = "/api/v1/export/incidents.csv?date_from=2012-01-01"
    expected = client.get(path, headers=bearer("researcher")).get_data(as_text=True)
    assert len(fetched) >= 3  # a slow export: read ahead throughout
    fetched.clear()
    monkeypatch.setattr(readahead._Pace, "slow", lambda pace: False)
    assert client.get(path, headers=bearer("researcher")).get_data(as_text=True) == expected
    assert fetched == [] and not readers_alive()


def test_the_pace_is_slow_until_seen_and_then_as_the_export_goes(monkeypatch):
    """Is the export taken to be slow (read ahead) from its start, fast once it went faster than
    BUSY_RATE over a sample, and slow again when it falls under it?"""
    clock = [0.0]
    monkeypatch.setattr(readahead.time, "monotonic", lambda: clock[0])
    progress = readahead.Progress()
    pace = readahead._Pace(progress)
    assert pace.slow()
    clock[0] += readahead.SAMPLE * 1.1
    progress.rows = int(readahead.BUSY_RATE * readahead.SAMPLE * 2)  # faster than BUSY_RATE
    assert not pace.slow()
    clock[0] += readahead.SAMPLE / 2
    progress.rows += 1  # within the sample: still fast
    assert not pace.slow()
    clock[0] += readahead.SAMPLE * 1.1
    progress.rows += int(readahead.BUSY_RATE * readahead.SAMPLE) // 4  # waiting for the disk again
    assert pace.slow()
