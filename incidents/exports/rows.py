"""A CSV export's rows, in the list's order, read the way each engine reads them fastest.

Each row is (incident id, facility id, region, codes, cells), ``codes`` and ``cells`` being the text
rendered when the incident was published (``PublishedRow``), as the UTF-8 bytes the database holds:
the export writes them as they are, and decoding then encoding some 700 characters a row took
about two fifths of its time (bench/README.md). Whatever the engine, the rows are one consistent state.

Both read the keys in the list's order (newest first) from the incidents' index, then each
``CHUNK`` of keys' rows at once, in the order they lie on disk, and give them back in key order.
SQLite keeps the rows in key order (the sort key is the rowid), so a chunk is read forwards and the
system's read-ahead serves a cold disk; read newest first, as one join would, the pages came
backwards, each a random read: at a million incidents 34,000 rows a second cold against
62,000-70,000 read forwards (bench/README.md). Its keys and rows are read in one transaction, one
snapshot. PostgreSQL keeps them in a heap in the order they were published, where even a chunk
costs a random read per row: 11,000 rows a second from a cold
disk, 30,000 from memory. There a thread streams the keys and hands them out a chunk at a time to
``FETCHERS`` threads, which fetch each chunk's rows in the heap's own order (a bitmap scan,
prefetched ``PREFETCH`` pages ahead, so the disk serves many reads at once); the export takes the
chunks back in key order. Every thread reads in a transaction that took the export's snapshot
(``pg_export_snapshot``), so the file is one state however long it takes.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
from concurrent.futures import Future
from contextlib import contextmanager

from peewee import SQL, Cast, SqliteDatabase, Value, fn
from psycopg2.extensions import BYTES, register_type

from incidents.db import database, streamed_chunks
from incidents.models import PublishedIncident, PublishedRow
from incidents.search.queries import ordered

log = logging.getLogger(__name__)

CHUNK, PREFETCH, FETCHERS = 1000, 64, 4


def rows_in_order(filters):
    """(incident id, facility id, region, codes, cells) of each published incident under ``filters``."""
    if isinstance(database.obj, SqliteDatabase):
        return _in_one_snapshot(filters)
    return _by_chunks(filters)


def _keys(filters):
    # Nothing from the incident's own (wide) row: under most filters its index answers.
    return ordered(filters).select(PublishedIncident.sort_key, PublishedIncident.facility, PublishedIncident.region)


def _in_one_snapshot(filters):
    # Deferred: a reader's transaction, which takes no lock a writer waits for (the pool's are IMMEDIATE).
    with database.atomic(lock_type="DEFERRED"):
        for chunk in streamed_chunks(_keys(filters), CHUNK):
            yield from _with_cells(chunk)


def _by_chunks(filters):
    keys = _keys(filters)
    with database.atomic(isolation_level="REPEATABLE READ"):
        snapshot = database.execute_sql("SELECT pg_export_snapshot()").fetchone()[0]
        # 0 where the server cannot prefetch (no posix_fadvise), and may then be set to nothing else.
        prefetch = int(database.execute_sql("SHOW effective_io_concurrency").fetchone()[0]) > 0
        with _Reading(snapshot, keys, prefetch) as reading:
            yield from reading


class _Reading:
    """The export's rows, read by threads while it writes: a leader streams the keys and hands them
    out a chunk at a time, fetchers fetch each chunk's cells, and the export takes the chunks back
    in order (iterating over this). Each thread has a connection of its own, in a transaction that
    took the export's snapshot. At most ``FETCHERS + 3`` chunks are in hand at once: the one being
    written, ``FETCHERS + 1`` in line, one the leader waits to put in line."""

    def __init__(self, snapshot: str, keys, prefetch: bool) -> None:
        self.snapshot, self.keys, self.prefetch, self.ended = snapshot, keys, prefetch, False
        self.tasks: queue.Queue = queue.Queue()  # (chunk, its future) for the fetchers
        self.ready: queue.Queue = queue.Queue(maxsize=FETCHERS + 1)  # the futures in order; None after the last
        self.leader = threading.Thread(target=self._lead, name="export-keys", daemon=True)
        self.fetchers = [threading.Thread(target=self._fetch, name=f"export-fetcher-{n}", daemon=True)
                         for n in range(FETCHERS)]
        self.fetching, self.lock = FETCHERS, threading.Lock()

    def __enter__(self):
        try:
            for thread in (self.leader, *self.fetchers):
                thread.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __iter__(self):
        while (future := self.ready.get()) is not None:
            yield from future.result()

    def __exit__(self, *exc) -> None:
        self.ended = True  # a download given up half-way: the threads stop taking work
        while self.leader.is_alive():
            try:
                self.ready.get(timeout=0.01)
            except queue.Empty:
                pass
        for _fetcher in self.fetchers:
            self.tasks.put(None)
        for thread in (self.leader, *self.fetchers):
            if thread.ident is not None:  # started
                thread.join()

    @contextmanager
    def _in_snapshot(self):
        with database.connection_context(), database.atomic(isolation_level="REPEATABLE READ"):
            database.execute_sql("SET TRANSACTION SNAPSHOT %s", (self.snapshot,))
            # An export reads every row: compiling its plans (JIT) costs more than it saves. A lock
            # it waits for (a migration's) fails it rather than leave a wait no deadlock check sees
            # (another of its threads holds what the migration waits for).
            database.execute_sql("SET LOCAL jit = off")
            database.execute_sql("SET LOCAL lock_timeout = '5s'")
            if self.prefetch:
                database.execute_sql("SET LOCAL effective_io_concurrency = %s", (PREFETCH,))
            yield

    def _hand(self, future: Future | None) -> bool:
        """Put ``future`` in line for the export, unless the export ended first."""
        while not self.ended:
            try:
                self.ready.put(future, timeout=0.01)
                return True
            except queue.Full:
                pass
        return False

    def _lead(self) -> None:
        try:
            with self._in_snapshot():
                for chunk in streamed_chunks(self.keys, CHUNK):
                    future: Future = Future()
                    self.tasks.put((chunk, future))
                    if not self._hand(future):
                        return
        except Exception as error:  # the export fails with it, not waits for it
            log.warning("reading an export's keys failed", exc_info=True)
            failed: Future = Future()
            failed.set_exception(error)
            self._hand(failed)
        self._hand(None)

    def _fetch(self) -> None:
        working, stopped = None, False
        try:
            with self._in_snapshot():
                while (task := self.tasks.get()) is not None:
                    if self.ended:
                        continue  # given up: nobody waits for it
                    chunk, working = task
                    working.set_result(_with_cells(chunk))
                    working = None
                stopped = True
        except Exception as error:
            log.warning("fetching an export's rows failed", exc_info=True)
            if working is not None:  # the rows it was fetching: the export fails with it
                working.set_exception(error)
            with self.lock:
                self.fetching -= 1
                last = self.fetching == 0
            # A fetcher that found no connection leaves the work to the others; the last one fails
            # what is left, so that the export fails rather than waits.
            while last and not stopped and (task := self.tasks.get()) is not None:
                task[1].set_exception(error)


def _with_cells(chunk: list[tuple]) -> list[tuple]:
    """The rows of ``chunk`` (sort key, facility id, region), in its order, fetched in the order they lie."""
    keys = [key for key, _facility, _region in chunk]
    if isinstance(database.obj, SqliteDatabase):
        # A key set as one parameter (a list of thousands costs more to render as SQL than to fetch),
        # sought in ascending order: forwards through the file.
        cursor = database.execute(PublishedRow.select(
            PublishedRow.sort_key, PublishedRow.incident, Cast(PublishedRow.codes, "BLOB"), Cast(PublishedRow.cells, "BLOB"))
            .where(PublishedRow.sort_key.in_(SQL("(SELECT value FROM json_each(?))", [json.dumps(keys)]))))
    else:
        sql, params = (PublishedRow.select(PublishedRow.sort_key, PublishedRow.incident, PublishedRow.codes,
                                           PublishedRow.cells)
                       .where(PublishedRow.sort_key == fn.ANY(Value(keys, unpack=False))).sql())
        cursor = database.cursor()
        register_type(BYTES, cursor)  # text as the bytes the server sent (UTF-8, the connection's encoding)
        cursor.execute(sql, params)
    found = {key: (incident, codes, cells) for key, incident, codes, cells in cursor}
    rows = []
    for key, facility, region in chunk:
        incident, codes, cells = found[key]
        rows.append((incident, facility, region, codes, cells))
    return rows
