"""This app against Datasette on the same data, the same four questions, one run (not a test).

Usage:
    .venv/bin/python bench/generate.py 1000000 bench-instance        # once, about 15 minutes
    .venv/bin/python bench/compare_datasette.py bench-instance [REQUESTS [ONLY]]

With ``INCIDENTS_DATABASE_URL=postgresql://...`` and ``INCIDENTS_INSTANCE_PATH`` naming the instance
that ``generate.py`` filled there (the same N: it makes the same data on either engine), this app
answers from PostgreSQL; Datasette still reads the SQLite instance given, as it reads nothing else.

ONLY (say "(a)", or "(d)" for the export) keeps the questions whose name contains it.

Datasette runs from its own virtualenv (``.venv-bench``, see bench/README.md) so that its
dependencies never meet the app's. From the app's database this script builds the table a
researcher would give Datasette: one row per published incident with the facility's name, the
region, the dates, the titles and narratives in each language and the abuse types as a JSON
array; an FTS5 index over the texts; indexes on the columns the questions filter on; and the
facets configured. Suggested facets are off and the time limits raised so that every count
and facet comes back complete.

Both servers listen on 127.0.0.1 and are asked one request at a time, alternately. For each
question the script prints p50 and p95 for each system and the time of this app's own SQL for
the same answer run straight against SQLite: the floor no server can go below.
"""
from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP_PORT, DATASETTE_PORT = 8711, 8712
DATASETTE = os.path.join(ROOT, ".venv-bench", "bin", "datasette")
WORDS = {"Cyrillic": "пытки", "Latin": "beating"}
# (b)'s region and period, and (e)'s searches: the same in every script that asks these questions.
REGION, PERIOD = "RU-SAR", ("2012-01-01", "2018-12-31")
SEARCHES = (("a common word", "пытки"), ("a name in another transliteration", "Osetchkine"),
            ("two words", "пытки beating"))


def build_datasette_database(source: str, target: str) -> None:
    """The published incidents as one wide table, indexed and full-text indexed."""
    if os.path.exists(target):
        return
    started = time.monotonic()
    db = sqlite3.connect(target)
    db.execute(f"ATTACH DATABASE 'file:{source}?mode=ro' AS app")
    db.executescript("""
        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY, reference TEXT, facility_id INTEGER, facility TEXT,
            country TEXT, region TEXT, date_start TEXT, date_end TEXT, year INTEGER,
            abuse TEXT, perpetrators TEXT, victims_count INTEGER, original_language TEXT,
            title_en TEXT, title_ru TEXT, narrative_en TEXT, narrative_ru TEXT);
        INSERT INTO incidents
            SELECT p.incident_id, p.reference, p.facility_id, json_extract(f.names, '$.en'),
                   p.country, p.region, p.date_start, p.date_end, p.year,
                   json_extract(p.public_data, '$.abuse'), json_extract(p.public_data, '$.perpetrators'),
                   p.victims_count, p.original_language,
                   json_extract(p.title, '$.en'), json_extract(p.title, '$.ru'),
                   json_extract(p.narrative, '$.en'), json_extract(p.narrative, '$.ru')
            FROM app.published_incident p JOIN app.facility f ON f.id = p.facility_id;
        CREATE INDEX incidents_facility_id ON incidents (facility_id);
        CREATE INDEX incidents_region ON incidents (region);
        CREATE INDEX incidents_date_start ON incidents (date_start);
        CREATE VIRTUAL TABLE incidents_fts USING fts5(
            facility, title_en, title_ru, narrative_en, narrative_ru, content="incidents", content_rowid="id");
        INSERT INTO incidents_fts (incidents_fts) VALUES ('rebuild');
        ANALYZE main;
    """)
    db.commit()
    db.close()
    print(f"Datasette's database built in {time.monotonic() - started:.0f} s", file=sys.stderr)


METADATA = {"databases": {"bench": {"tables": {"incidents": {
    "facets": ["facility", "region", "country", "year", {"array": "abuse"}],
    "fts_table": "incidents_fts", "fts_pk": "id", "sort_desc": "date_start", "size": 50}}}}}


def start_servers(instance: str, url: str, datasette_db: str, metadata: str):
    environment = {**os.environ, "INCIDENTS_INSTANCE_PATH": instance, "INCIDENTS_DATABASE_URL": url}
    app = subprocess.Popen([os.path.join(ROOT, ".venv", "bin", "flask"), "--app", "app", "run",
                            "--host", "127.0.0.1", "--port", str(APP_PORT), "--without-threads"],
                           cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                           stderr=open(os.path.join(instance, "bench-app.log"), "w"))
    datasette = subprocess.Popen(
        [DATASETTE, "serve", datasette_db, "--host", "127.0.0.1", "--port", str(DATASETTE_PORT),
         "--metadata", metadata, "--setting", "suggest_facets", "off",
         "--setting", "sql_time_limit_ms", "60000", "--setting", "facet_time_limit_ms", "60000",
         "--setting", "default_facet_size", "100", "--setting", "allow_csv_stream", "on",
         "--setting", "num_sql_threads", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for port in (APP_PORT, DATASETTE_PORT):
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60).read()
                break
            except OSError:
                time.sleep(0.5)
    return app, datasette


def fetch(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=600) as response:
        assert response.status == 200, path
        return response.read()


def total_of(body: bytes):
    """The number of matches a JSON answer reports (either system), to check like with like."""
    data = json.loads(body)
    return data.get("total", data.get("filtered_table_rows_count"))


# A system that takes longer than this on one question is asked fewer times (at least 3).
BUDGET_SECONDS = 60


def p95(samples: list[float]) -> float:
    """The 95th percentile of ``samples``, as these benchmarks take it: the second slowest of 10 or of 20."""
    return sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]


def timed(port: int, path: str, repeat: int) -> tuple[float, float, int]:
    """(p50, p95, requests made): ``repeat`` requests, or fewer once ``BUDGET_SECONDS`` are spent."""
    fetch(port, path)  # warm: the first answer reads the pages into the cache
    samples = []
    started = time.perf_counter()
    while len(samples) < repeat and (len(samples) < 3 or time.perf_counter() - started < BUDGET_SECONDS):
        start = time.perf_counter()
        fetch(port, path)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), p95(samples), len(samples)


def sql_floor(app, statements: list[tuple[str, tuple]], repeat: int) -> float:
    """p95 of running ``statements`` (this app's SQL for one answer) straight against its database."""
    from incidents.db import database
    samples = []
    with app.app_context(), database.connection_context():
        for _ in range(repeat + 1):
            start = time.perf_counter()
            for sql, parameters in statements:
                database.execute_sql(sql, parameters).fetchall()
            samples.append((time.perf_counter() - start) * 1000)
    return p95(samples[1:])


def chosen(source: str) -> tuple[int, int, str]:
    """(published incidents, a facility of middling size, the commonest abuse type) the questions ask about."""
    db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    total = db.execute("SELECT count(*) FROM published_incident").fetchone()[0]
    facility = db.execute("SELECT facility_id FROM published_incident GROUP BY facility_id "
                          "ORDER BY count(*), facility_id LIMIT 1 OFFSET 1000").fetchone()[0]
    abuse = db.execute("SELECT code FROM published_term WHERE vocabulary = 'abuse' "
                       "GROUP BY code ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    db.close()
    return total, facility, abuse


def open_app(instance: str, url: str):
    sys.path.insert(0, ROOT)
    from incidents import create_app
    return create_app({"INSTANCE_PATH": instance, "DATABASE_URL": url})


def export_token(app) -> str:
    """An API token for a researcher: open data downloads are for signed-in readers."""
    from incidents.accounts import credentials
    from incidents.db import database
    from incidents.models import User
    with app.app_context(), database.connection_context():
        user = User.get_or_none(User.email == "bench-researcher@example.org") or \
            User.create(email="bench-researcher@example.org", role="researcher", name="Benchmark")
        return credentials.issue_api_token(user)


def captured_sql(app, path: str) -> list[tuple[str, tuple]]:
    """The SQL that answers ``path`` with every count made in SQL (read from peewee's query
    log): what SQLite alone needs on this schema, without the in-memory facet counts."""
    import logging

    from incidents.search import facets
    in_memory_from, facets.IN_MEMORY_FROM = facets.IN_MEMORY_FROM, 10**12
    statements: list[tuple[str, tuple]] = []

    class Capture(logging.Handler):
        def emit(self, record):
            if isinstance(record.msg, tuple) and len(record.msg) == 2:
                statements.append((record.msg[0], tuple(record.msg[1] or ())))

    logger = logging.getLogger("peewee")
    handler = Capture()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        assert app.test_client().get(path).status_code == 200
    finally:
        logger.removeHandler(handler)
        facets.IN_MEMORY_FROM = in_memory_from
    return [(sql, parameters) for sql, parameters in statements if sql.lstrip().upper().startswith("SELECT")]


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM) since it started or since it was reset."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def database_files(app, url: str) -> list[str]:
    """The files that hold the app's data: SQLite's, or every file of the PostgreSQL cluster."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        return [path, path + "-wal"]
    from incidents.db import database
    with app.app_context(), database.connection_context():
        folder = database.execute_sql("SHOW data_directory").fetchone()[0]
    return [os.path.join(where, name) for where, _folders, names in os.walk(folder) for name in names]


def forget_cached_pages(names: list[str]) -> None:
    """Ask the kernel to drop the files' pages from its cache, so that the next read is from disk
    (PostgreSQL's own shared buffers, 128 MB by default, keep what they hold)."""
    for name in names:
        if os.path.isfile(name):
            descriptor = os.open(name, os.O_RDONLY)
            try:
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(descriptor)


def export_rate(port: int, path: str, headers: dict) -> tuple[int, float]:
    """(rows, rows per second) of one streamed CSV download."""
    start = time.perf_counter()
    rows = 0
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=3600) as response:
        # The synthetic texts hold no line breaks, so each line is a row.
        while chunk := response.read(1 << 20):
            rows += chunk.count(b"\n")
    elapsed = time.perf_counter() - start
    return rows, rows / elapsed


def main() -> None:
    instance = os.path.abspath(sys.argv[1])
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    only = sys.argv[3] if len(sys.argv) > 3 else ""
    source = os.path.join(instance, "incidents.sqlite3")
    app_instance = os.path.abspath(os.environ.get("INCIDENTS_INSTANCE_PATH", instance))
    url = os.environ.get("INCIDENTS_DATABASE_URL", f"sqlite:///{source}")
    datasette_db = os.path.join(instance, "bench.db")
    build_datasette_database(source, datasette_db)
    metadata = os.path.join(instance, "datasette-metadata.json")
    with open(metadata, "w") as handle:
        json.dump(METADATA, handle)

    total, facility, abuse = chosen(source)
    region, period = REGION, PERIOD
    export_period = ("2013-01-01", "2014-12-31")
    q = urllib.parse.quote

    questions = [
        ("(a) one facility, newest 50, with the total", "JSON",
         f"/api/v1/incidents?facility={facility}&per_page=50&facets=",
         f"/bench/incidents.json?facility_id={facility}&_sort_desc=date_start&_size=50&_nofacet=1"),
        ("(a) one facility, newest 50, with the total", "page",
         f"/incidents?facility={facility}&per_page=50",
         f"/bench/incidents?facility_id={facility}&_sort_desc=date_start&_size=50"),
        ("(b) region + dates + abuse type, facets: facility, abuse type", "JSON",
         f"/api/v1/incidents?region={region}&date_from={period[0]}&date_to={period[1]}&abuse={abuse}"
         "&per_page=50&facets=facility,abuse",
         f"/bench/incidents.json?region={region}&date_start__gte={period[0]}&date_start__lte={period[1]}"
         f"&abuse__arraycontains={abuse}&_sort_desc=date_start&_size=50&_facet=facility&_facet_array=abuse"),
        ("(b) region + dates + abuse type, facets: facility, abuse type", "page",
         f"/incidents?region={region}&date_from={period[0]}&date_to={period[1]}&abuse={abuse}&per_page=50",
         f"/bench/incidents?region={region}&date_start__gte={period[0]}&date_start__lte={period[1]}"
         f"&abuse__arraycontains={abuse}&_sort_desc=date_start&_size=50"),
    ]
    for script, word in WORDS.items():
        questions += [
            (f"(c) words, {script} ({word}), newest 50", "JSON",
             f"/api/v1/incidents?q={q(word)}&per_page=50&facets=",
             f"/bench/incidents.json?_search={q(word)}&_sort_desc=date_start&_size=50&_nofacet=1"),
            (f"(c) words, {script} ({word}), newest 50", "page",
             f"/incidents?q={q(word)}&per_page=50",
             f"/bench/incidents?_search={q(word)}&_sort_desc=date_start&_size=50"),
        ]
    # (e) Searches as a reader gets them, every facet counted (the API's default, the list page's
    # six): Datasette with its configured facets, as its page shows them.
    for label, words in SEARCHES:
        questions += [
            (f"(e) {label} ({words}), with its facets", "JSON",
             f"/api/v1/incidents?q={q(words)}&per_page=50",
             f"/bench/incidents.json?_search={q(words)}&_sort_desc=date_start&_size=50"),
            (f"(e) {label} ({words}), with its facets", "page",
             f"/incidents?q={q(words)}&per_page=50",
             f"/bench/incidents?_search={q(words)}&_sort_desc=date_start&_size=50"),
        ]
    questions += [
        ("(e) a common word in one region, with its facets", "JSON",
         f"/api/v1/incidents?q={q('пытки')}&region={region}&per_page=50",
         f"/bench/incidents.json?_search={q('пытки')}&region={region}&_sort_desc=date_start&_size=50"),
    ]
    questions = [question for question in questions if only in question[0]]
    app = open_app(app_instance, url)
    token = export_token(app)
    # Pure SQL can take seconds a time here (facets over most of a million rows): five runs do.
    floors = {question + kind: sql_floor(app, captured_sql(app, ours), min(repeat, 5))
              for question, kind, ours, _theirs in questions}

    server, datasette = start_servers(app_instance, url, datasette_db, metadata)
    try:
        print(f"This app on {url.split(':')[0]}, Datasette on SQLite. "
              f"{total:,} published incidents; facility {facility}, abuse type {abuse}; "
              f"{repeat} requests per question and system, one at a time\n")
        for question, kind, ours, theirs in questions:
            if kind == "JSON":
                print(f"{question}: {total_of(fetch(APP_PORT, ours)):,} found here, "
                      f"{total_of(fetch(DATASETTE_PORT, theirs)):,} by Datasette")
        print("\n| question | as | this app p50 / p95 | Datasette p50 / p95 | the same answer in SQL alone, p95 |")
        print("|---|---|---|---|---|")
        for question, kind, ours, theirs in questions:
            mine = timed(APP_PORT, ours, repeat)
            other = timed(DATASETTE_PORT, theirs, repeat)
            fewer = f" ({other[2]} requests)" if other[2] < repeat else ""
            print(f"| {question} | {kind} | {mine[0]:.0f} / **{mine[1]:.0f} ms** | {other[0]:.0f} / "
                  f"{other[1]:.0f} ms{fewer} | {floors[question + kind]:.0f} ms |", flush=True)
        if only not in "(d) CSV export":
            return
        # The facet arrays a reader's search builds are in the server's memory when an export
        # comes, as they would be in a worker that has served the list: ask for one first.
        fetch(APP_PORT, f"/api/v1/incidents?q={q('пытки')}&per_page=50")
        ours = f"/api/v1/export/incidents.csv?date_from={export_period[0]}&date_to={export_period[1]}"
        theirs = (f"/bench/incidents.csv?date_start__gte={export_period[0]}&date_start__lte={export_period[1]}"
                  "&_sort_desc=date_start&_stream=on&_size=max")
        for cache in ("cold", "warm"):
            if cache == "cold":  # the databases' pages out of the system's cache (clean pages: no root needed)
                forget_cached_pages(database_files(app, url) + [datasette_db, datasette_db + "-wal"])
            # The peak while exporting, not since the server started (Linux: "5" resets VmHWM).
            lifetime = peak_memory_mb(server.pid)
            for process in (server, datasette):
                with open(f"/proc/{process.pid}/clear_refs", "w") as clear:
                    clear.write("5")
            rows, rate = export_rate(APP_PORT, ours, {"Authorization": f"Bearer {token}"})
            other_rows, other_rate = export_rate(DATASETTE_PORT, theirs, {})
            print(f"| (d) CSV export, {cache} cache | {rows - 1:,} rows | **{rate:,.0f} rows/s**, server peak while "
                  f"exporting {peak_memory_mb(server.pid):.0f} MB (its peak before, facet arrays built: "
                  f"{lifetime:.0f} MB) | {other_rows - 1:,} rows, {other_rate:,.0f} rows/s, "
                  f"peak {peak_memory_mb(datasette.pid):.0f} MB | |", flush=True)
    finally:
        for process in (server, datasette):
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
