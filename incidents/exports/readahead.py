"""Reading ahead of a long export from SQLite, so that a cold disk serves several reads at once
(PostgreSQL's export has its own way, rows.py).

A CSV export reads its rows in key order, each one where it was written, so with nothing in the
system's cache every few rows cost a random read, and one connection waits for each in turn:
about 40,000 rows a second from this machine's disk, where four readers at once get twice that
(bench/README.md). Here a few other connections fetch the rows the export is about to read and
throw them away: they only bring the pages into the cache. The export still reads every row itself,
through its own connection, so what it writes is one consistent state whatever they do. They stay
at most ``AHEAD`` rows ahead of it, so that a slow download does not fill the cache for nothing,
and stop when it ends, however it ends.

They read only while the export goes slower than ``BUSY_RATE``, as it does when it waits for the
disk: from a warm cache it goes faster alone, the readers taking CPU it needs (in one process,
92,000-125,000 rows a second alone against 40,000-48,000 with them; bench/README.md). The leader
looks at its pace every ``SAMPLE`` seconds and, while it is fast, hands out nothing, passing over
the keys the export has read meanwhile.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from contextlib import contextmanager

from peewee import fn

from incidents.db import database, streamed_chunks
from incidents.models import PublishedRow

log = logging.getLogger(__name__)

READERS, CHUNK, AHEAD = 4, 512, 20_000
BUSY_RATE, SAMPLE = 60_000, 0.05  # rows a second, seconds


class Progress:
    """How far the export got (``rows``, which it advances), and whether it ended."""

    def __init__(self) -> None:
        self.rows = 0
        self.ended = False


class _Pace:
    """Whether the export is slow (waiting for the disk), as seen over the last ``SAMPLE`` seconds;
    slow until first seen, as a cold export is from its first row."""

    def __init__(self, progress: Progress) -> None:
        self.progress, self.at, self.rows, self.fast = progress, time.monotonic(), 0, False

    def slow(self) -> bool:
        now = time.monotonic()
        if now - self.at >= SAMPLE:
            self.fast = (self.progress.rows - self.rows) / (now - self.at) > BUSY_RATE
            self.at, self.rows = now, self.progress.rows
        return not self.fast


@contextmanager
def reading_ahead(keys_query):
    """Read ahead of an export whose rows' sort keys ``keys_query`` selects, in the export's order;
    yields the ``Progress`` the export advances."""
    progress = Progress()
    leader = threading.Thread(target=_lead, args=(keys_query, progress), name="export-read-ahead", daemon=True)
    leader.start()
    try:
        yield progress
    finally:
        progress.ended = True
        leader.join()


def _lead(keys_query, progress: Progress) -> None:
    """Hand the export's keys, a chunk at a time, to the readers, keeping within ``AHEAD`` of it."""
    chunks: queue.Queue = queue.Queue(maxsize=READERS)
    readers = [threading.Thread(target=_read, args=(chunks, progress), name=f"export-reader-{n}", daemon=True)
               for n in range(READERS)]
    for reader in readers:
        reader.start()
    try:
        with database.connection_context():
            _small_cache()
            sent, pace = 0, _Pace(progress)
            for rows in streamed_chunks(keys_query, CHUNK):
                while (sent - progress.rows > AHEAD or not pace.slow()) and not progress.ended:
                    time.sleep(0.002)
                if progress.ended:
                    return
                sent += len(rows)
                if sent > progress.rows:  # not yet read by the export itself
                    chunks.put([key for (key,) in rows])
    except Exception:  # only a help: the export reads everything itself anyway
        log.warning("reading ahead of an export stopped", exc_info=True)
    finally:
        for _reader in readers:
            chunks.put(None)
        for reader in readers:
            reader.join()


def _read(chunks: queue.Queue, progress: Progress) -> None:
    """One reader: its own connection, for every chunk it takes until the export ends. One that
    fails goes on taking chunks off the queue, so that the leader never waits on it."""
    stopped = False
    try:
        with database.connection_context():
            _small_cache()
            while (keys := chunks.get()) is not None:
                if not progress.ended:
                    _fetch(keys)
            stopped = True
    except Exception:  # only a help: the export reads everything itself anyway
        log.warning("reading ahead of an export stopped", exc_info=True)
        progress.ended = True
        while not stopped and chunks.get() is not None:
            pass


def _small_cache() -> None:
    """The pages read ahead are for the system's cache, not for this process's memory."""
    database.execute_sql("PRAGMA cache_size = -256")


def _fetch(keys: list[int]) -> None:
    # A sum, so that the rows are read where they lie but never become Python strings.
    database.execute(PublishedRow.select(fn.SUM(fn.LENGTH(PublishedRow.cells)))
                     .where(PublishedRow.sort_key.in_(keys))).fetchall()
