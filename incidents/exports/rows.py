"""A CSV export's rows, in the list's order, read the way each engine reads them fastest.

Each row is (incident id, facility id, region, cells), ``cells`` being the text rendered when the
incident was published (``PublishedRow``). Whatever the engine, the rows are one consistent state.

SQLite keeps the narrow rows in key order (the sort key is the rowid), so one join in that order
reads them nearly as they lie in the file, and readers ahead (readahead.py) overlap the disk's
reads when it is cold. PostgreSQL keeps them in a heap in the order they were published, where
the same join costs a random read per row, one after another: 11,000 rows a second from a cold
disk, 30,000 from memory (bench/README.md). There the keys come first, in order, from the
incidents' index; then each chunk of ``CHUNK`` keys has its rows fetched in the heap's own order
(a bitmap scan, which PostgreSQL prefetches ``PREFETCH`` pages ahead, so the disk serves many
reads at once) and put back in key order here. Keys and rows are read in one repeatable-read
transaction: every statement in it sees the same snapshot.
"""
from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from concurrent.futures import Future

from peewee import SqliteDatabase, Value, fn

from incidents.db import database, streamed
from incidents.exports.readahead import reading_ahead
from incidents.models import PublishedIncident, PublishedRow
from incidents.search.queries import ordered

log = logging.getLogger(__name__)

CHUNK, PREFETCH, FETCHERS = 2000, 64, 2


def rows_in_order(filters):
    """(incident id, facility id, region, cells) of each published incident under ``filters``."""
    if isinstance(database.obj, SqliteDatabase):
        return _joined(filters)
    return _by_chunks(filters)


def _joined(filters):
    # Nothing from the incident's own (wide) row: under most filters its index answers.
    query = (ordered(filters).join_from(PublishedIncident, PublishedRow, on=(
        PublishedRow.sort_key == PublishedIncident.sort_key)).select(
        PublishedRow.incident, PublishedIncident.facility, PublishedIncident.region, PublishedRow.cells))
    with reading_ahead(ordered(filters).select(PublishedIncident.sort_key)) as progress:
        for row in streamed(query):
            yield row
            progress.rows += 1


def _by_chunks(filters):
    keys = ordered(filters).select(PublishedIncident.sort_key, PublishedIncident.facility, PublishedIncident.region)
    with database.atomic(isolation_level="REPEATABLE READ"):
        _tune()
        snapshot = database.execute_sql("SELECT pg_export_snapshot()").fetchone()[0]
        with _Fetchers(snapshot) as fetchers:
            pending: deque[Future] = deque()
            for chunk in _chunks(streamed(keys, batch=CHUNK)):
                pending.append(fetchers.submit(chunk))
                if len(pending) > FETCHERS:  # as many chunks in hand as there are fetchers
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()


def _tune() -> None:
    # An export reads every row: compiling its plans (JIT) costs more than it saves.
    database.execute_sql("SET LOCAL jit = off")
    database.execute_sql(f"SET LOCAL effective_io_concurrency = {PREFETCH}")


def _chunks(rows):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Fetchers:
    """Threads that fetch the cells of the chunks they are given while the export writes the chunk
    before: each has a connection of its own, in a transaction that took the export's snapshot."""

    def __init__(self, snapshot: str) -> None:
        self.snapshot, self.tasks = snapshot, queue.Queue()
        self.threads = [threading.Thread(target=self._run, name=f"export-fetcher-{n}", daemon=True)
                        for n in range(FETCHERS)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        for _thread in self.threads:
            self.tasks.put(None)
        for thread in self.threads:
            thread.join()

    def submit(self, chunk: list[tuple]) -> Future:
        future: Future = Future()
        self.tasks.put((chunk, future))
        return future

    def _run(self) -> None:
        working, stopped = None, False
        try:
            with database.connection_context(), database.atomic(isolation_level="REPEATABLE READ"):
                database.execute_sql("SET TRANSACTION SNAPSHOT %s", (self.snapshot,))
                _tune()
                while (task := self.tasks.get()) is not None:
                    chunk, working = task
                    working.set_result(_with_cells(chunk))
                    working = None
                stopped = True
        except Exception as error:  # the export fails with it, not waits for it
            log.warning("fetching an export's rows failed", exc_info=True)
            if working is not None:
                working.set_exception(error)
            while not stopped and (task := self.tasks.get()) is not None:
                task[1].set_exception(error)


def _with_cells(chunk: list[tuple]) -> list[tuple]:
    found = {key: (incident, cells) for key, incident, cells in database.execute(
        PublishedRow.select(PublishedRow.sort_key, PublishedRow.incident, PublishedRow.cells)
        # One parameter, an array: a list of thousands costs more to render as SQL than to fetch.
        .where(PublishedRow.sort_key == fn.ANY(Value([key for key, _facility, _region in chunk], unpack=False))))}
    rows = []
    for key, facility, region in chunk:
        incident, cells = found[key]
        rows.append((incident, facility, region, cells))
    return rows
