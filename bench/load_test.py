"""Load test (not a test of the suite): the app under gunicorn, readers and writers at once.

Usage:
    .venv/bin/python bench/load_test.py [SECONDS] [READERS] [WRITERS] [INCIDENTS]   # 300 50 5 5000
        [--servers N] [--postgres] [--tree PATH]

Builds a temporary instance with INCIDENTS published incidents (bench/generate.py), starts
gunicorn on 127.0.0.1 only (2 workers x 8 threads each), then for SECONDS runs READERS threads that
search and browse (the public list with words and filters, incident pages, facility pages, the
JSON API) and WRITERS threads that edit incidents through the API with the version they read.
Each writer owns one incident and shares a second with every other writer, so saves also race.

--servers N starts N gunicorn servers on one database, one instance folder and one Redis queue
(as several machines would share them); readers and writers take turns among them.
--postgres uses a new database on the PostgreSQL server INCIDENTS_TEST_DATABASE_URL names (run it
under .ci/with-postgres) instead of a SQLite file, and drops it at the end.
--tree PATH runs the code of another checkout (e.g. a git worktree of an older commit) from its
own folder, so that two commits can be measured side by side in one session.

It reports every request that was not answered as expected (a 5xx, a refused connection, a
timeout: the target is zero), p50/p95/p99 latency per kind of request, and checks that no update
was lost: every accepted save of an incident is one revision, and each incident ends with the text
of its last accepted save. Bounded: loopback only, fixed thread counts, fixed duration.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
WORDS = ["пытки", "избиение", "beating", "Саратов", "colony", "ШИЗО", "torture", "medical"]


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _prepare(tree: str, folder: str, url: str, incidents: int, writers: int) -> dict:
    """Data, users and tokens, written before the server starts, by the code under test."""
    env = dict(os.environ, INCIDENTS_INSTANCE_PATH=folder, INCIDENTS_DATABASE_URL=url)
    subprocess.run([sys.executable, os.path.join(tree, "bench", "generate.py"), str(incidents), folder],
                   check=True, env=env, cwd=tree, stdout=subprocess.DEVNULL)
    sys.path[:0] = [tree, os.path.join(tree, "tests")]
    import pyotp
    from factories import make_facility, make_incident

    from incidents import create_app
    from incidents.accounts import credentials
    from incidents.db import database
    from incidents.models import PublishedIncident, User
    app = create_app({"INSTANCE_PATH": folder, "DATABASE_URL": url, "SECRET_KEY": "load"})
    with app.app_context():
        database.connect(reuse_if_open=True)
        editors = [credentials.create_user(f"writer{i}@load.example", "reviewer", None, f"Writer {i}")
                   for i in range(writers)]
        for editor in editors:  # reviewers' tokens work only once a second factor is enrolled
            editor.totp_secret = pyotp.random_base32()
            editor.save(only=[User.totp_secret])
        place = make_facility(editors[0])
        owned = [make_incident(editor, place).id for editor in editors]
        shared = make_incident(editors[0], place).id
        reader = credentials.create_user("reader@load.example", "researcher", None, "Reader")
        plan = {"tokens": [credentials.issue_api_token(e) for e in editors], "owned": owned, "shared": shared,
                "reader": credentials.issue_api_token(reader),
                "published": [p.incident_id for p in PublishedIncident.select(PublishedIncident.incident).limit(2000)],
                "facilities": [p.facility_id for p in PublishedIncident.select(PublishedIncident.facility).limit(200)]}
        database.close()
    return plan


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {}
        self.failures: list[str] = []
        self.saves: dict[int, list[str]] = {}  # incident -> texts of accepted saves, in order

    def add(self, kind: str, seconds: float, failure: str = "") -> None:
        with self.lock:
            self.times.setdefault(kind, []).append(seconds)
            if failure:
                self.failures.append(f"{kind}: {failure}")


def _timed(tally: Tally, kind: str, call, expected=(200,)):
    started = time.perf_counter()
    try:
        response = call()
    except requests.RequestException as exc:
        tally.add(kind, time.perf_counter() - started, type(exc).__name__)
        return None
    tally.add(kind, time.perf_counter() - started,
              "" if response.status_code in expected else f"HTTP {response.status_code}")
    return response


def _reader(base: str, plan: dict, tally: Tally, until: float, seed: int) -> None:
    rng, session = random.Random(seed), requests.Session()  # one connection kept, as a browser keeps one
    api = {"Authorization": f"Bearer {plan['reader']}"}
    while time.time() < until:
        choice = rng.random()
        if choice < 0.3:
            _timed(tally, "page: word search", lambda: session.get(f"{base}/incidents", params={"q": rng.choice(WORDS)},
                                                                  timeout=60))
        elif choice < 0.5:
            _timed(tally, "API: filtered list", lambda: session.get(
                f"{base}/api/v1/incidents", params={"region": "RU-SAR", "date_from": "2015-01-01"}, headers=api,
                timeout=60))
        elif choice < 0.8:
            incident = rng.choice(plan["published"])
            _timed(tally, "page: incident", lambda incident=incident: session.get(f"{base}/incidents/{incident}", timeout=60))
        else:
            facility = rng.choice(plan["facilities"])
            _timed(tally, "page: facility", lambda facility=facility: session.get(f"{base}/facilities/{facility}", timeout=60))


def _writer(base: str, plan: dict, tally: Tally, until: float, index: int) -> None:
    session, turn = requests.Session(), 0
    headers = {"Authorization": f"Bearer {plan['tokens'][index]}"}
    while time.time() < until:
        for incident in (plan["owned"][index], plan["shared"]):
            turn += 1
            read = _timed(tally, "API: read for edit", lambda incident=incident: session.get(
                f"{base}/api/v1/incidents/{incident}", headers=headers, timeout=60))
            if read is None or read.status_code != 200:
                continue
            text = f"writer {index}, save {turn}"
            body = {"version": read.json()["version"], "narrative": {"ru": text}}
            saved = _timed(tally, "API: save", lambda incident=incident, body=body: session.patch(
                f"{base}/api/v1/incidents/{incident}", json=body, headers=headers, timeout=60),
                           expected=(200, 409))  # 409: another writer saved first, as designed
            if saved is not None and saved.status_code == 200:
                with tally.lock:
                    tally.saves.setdefault(incident, []).append(text)


def _lost_updates(folder: str, plan: dict, tally: Tally) -> list[str]:
    from incidents.db import database
    from incidents.models import Incident, Revision
    problems = []
    with database.connection_context():
        for incident_id, texts in tally.saves.items():
            incident = Incident.get_by_id(incident_id)
            revisions = Revision.select().where(Revision.incident == incident_id).count()
            if revisions != 1 + len(texts):
                problems.append(f"incident {incident_id}: {len(texts)} accepted saves but {revisions - 1} revisions")
            if incident.narrative.get("ru") != texts[-1]:
                problems.append(f"incident {incident_id}: ends with {incident.narrative.get('ru')!r}, "
                                f"last accepted save was {texts[-1]!r}")
    return problems


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name, default in (("seconds", 300), ("readers", 50), ("writers", 5), ("incidents", 5000)):
        parser.add_argument(name, type=int, nargs="?", default=default)
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--tree", default=ROOT)
    return parser.parse_args()


def _postgres(create: bool, name: str) -> str:
    """CREATE (or DROP) a database of its own on the server INCIDENTS_TEST_DATABASE_URL names; its URL."""
    import psycopg2
    server = os.environ["INCIDENTS_TEST_DATABASE_URL"]
    connection = psycopg2.connect(server)
    connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}" if create else f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    connection.close()
    return server.rsplit("/", 1)[0] + "/" + name


def _start(args: argparse.Namespace, env: dict, folder: str) -> tuple[list[subprocess.Popen], list[str]]:
    """The servers (and, for several, the Redis queue they share); their processes and addresses."""
    processes, bases = [], []
    if args.servers > 1:
        redis_port = _port()
        processes.append(subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                                           "--save", "", "--appendonly", "no", "--dir", folder],
                                          stdout=subprocess.DEVNULL))
        env["INCIDENTS_JOBS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    for _ in range(args.servers):
        port = _port()
        processes.append(subprocess.Popen([os.path.join(BIN, "gunicorn"), "--workers", "2", "--threads", "8",
                                           "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "app:app"],
                                          cwd=args.tree, env=env))
        bases.append(f"http://127.0.0.1:{port}")
    for base in bases:
        for _ in range(150):
            try:
                requests.get(base + "/", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
    return processes, bases


def _report(args: argparse.Namespace, tally: Tally, lost: list[str]) -> None:
    total = sum(len(v) for v in tally.times.values())
    every = [seconds for values in tally.times.values() for seconds in values]
    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{engine}, {args.servers} server(s), {args.seconds} s, {args.readers} readers, {args.writers} writers, "
          f"{args.incidents} incidents: {total} requests ({total / args.seconds:.1f} per second, p95 "
          f"{_percentile(every, .95) * 1000:.0f} ms), {len(tally.failures)} errors, {len(lost)} lost updates")
    for kind, values in sorted(tally.times.items()):
        print(f"  {kind:22} n={len(values):6}  p50 {_percentile(values, .5) * 1000:7.0f} ms  "
              f"p95 {_percentile(values, .95) * 1000:7.0f} ms  p99 {_percentile(values, .99) * 1000:7.0f} ms")
    accepted = sum(len(texts) for texts in tally.saves.values())
    print(f"  accepted saves: {accepted}")
    for line in (tally.failures[:20] + lost):
        print("  " + line)


def main() -> int:
    args = _arguments()
    args.tree = os.path.abspath(args.tree)
    name = f"load_{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="load-") as folder:
        url = _postgres(True, name) if args.postgres else "sqlite:///" + os.path.join(folder, "incidents.sqlite3")
        try:
            plan = _prepare(args.tree, folder, url, args.incidents, args.writers)
            env = dict(os.environ, INCIDENTS_INSTANCE_PATH=folder, INCIDENTS_SECRET_KEY="load",
                       INCIDENTS_DATABASE_URL=url)
            processes, bases = _start(args, env, folder)
            try:
                tally, until = Tally(), time.time() + args.seconds
                threads = [threading.Thread(target=_reader, args=(bases[i % len(bases)], plan, tally, until, i))
                           for i in range(args.readers)]
                threads += [threading.Thread(target=_writer, args=(bases[i % len(bases)], plan, tally, until, i))
                            for i in range(args.writers)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            finally:
                for process in reversed(processes):
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=30)
            lost = _lost_updates(folder, plan, tally)
        finally:
            if args.postgres:
                from incidents.db import database
                database.close()
                _postgres(False, name)
    _report(args, tally, lost)
    return 1 if tally.failures or lost else 0


if __name__ == "__main__":
    sys.exit(main())
