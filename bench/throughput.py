"""Requests per second under concurrent clients: this app under gunicorn against Datasette, on the
same data (not a test).

Usage:
    .venv/bin/python bench/compare_datasette.py bench-instance 5 "(a)"   # once: builds Datasette's copy
    .venv/bin/python bench/throughput.py bench-instance [SECONDS [CLIENTS]]   # 20 8

The app runs as it is deployed, gunicorn with 2 workers of 8 threads; Datasette with its default
SQL threads. For each question, CLIENTS threads ask it over and over, first for a few seconds
untimed (so that every worker holds its facet arrays, as after any first search), then for SECONDS;
the script prints the requests answered per second by each system and the p95 of their times, then
the resident memory of each of this app's workers and its peak.
Questions: (a) one facility's newest 50; (b) a region, a period and an abuse type, with the
facility and abuse facets; (c) a common word with every facet a reader gets.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_datasette import DATASETTE, PERIOD, REGION, ROOT, chosen, fetch  # noqa: E402

WARM_SECONDS = 5


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(port: int, process: subprocess.Popen) -> None:
    for _ in range(600):
        assert process.poll() is None, f"the server on {port} stopped"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60).read()
            return
        except OSError:
            time.sleep(0.5)


def _load(port: int, path: str, clients: int, seconds: float) -> tuple[float, float]:
    """(requests answered per second, p95 in ms) of ``clients`` threads asking ``path`` for ``seconds``."""
    times, lock, until = [], threading.Lock(), time.monotonic() + seconds

    def client():
        while time.monotonic() < until:
            started = time.perf_counter()
            fetch(port, path)
            with lock:
                times.append(time.perf_counter() - started)
    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    times.sort()
    return len(times) / elapsed, times[int(len(times) * 0.95) - 1] * 1000 if times else 0.0


def _worker_memory(master: int) -> list[str]:
    """Each gunicorn worker's resident memory and its peak, as every thread's connection is pooled."""
    found = []
    for pid in sorted(int(name) for name in os.listdir("/proc") if name.isdigit()):
        try:
            with open(f"/proc/{pid}/status") as status:
                fields = dict(line.split(":", 1) for line in status)
        except OSError:
            continue
        if int(fields["PPid"]) == master:
            found.append(f"VmRSS {int(fields['VmRSS'].split()[0]) / 1024:.0f} MB, "
                         f"VmHWM {int(fields['VmHWM'].split()[0]) / 1024:.0f} MB")
    return found


def main() -> None:
    instance = os.path.abspath(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20
    clients = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    source, copy = os.path.join(instance, "incidents.sqlite3"), os.path.join(instance, "bench.db")
    metadata = os.path.join(instance, "datasette-metadata.json")
    assert os.path.exists(copy) and os.path.exists(metadata), "run compare_datasette.py once first"
    _total, facility, abuse = chosen(source)  # the same facility and abuse type as compare_datasette.py
    word, region, period = urllib.parse.quote("пытки"), REGION, PERIOD
    questions = [
        ("(a) one facility, newest 50", f"/api/v1/incidents?facility={facility}&per_page=50&facets=",
         f"/bench/incidents.json?facility_id={facility}&_sort_desc=date_start&_size=50&_nofacet=1"),
        ("(b) region + dates + abuse type, two facets",
         f"/api/v1/incidents?region={region}&date_from={period[0]}&date_to={period[1]}&abuse={abuse}"
         "&per_page=50&facets=facility,abuse",
         f"/bench/incidents.json?region={region}&date_start__gte={period[0]}&date_start__lte={period[1]}"
         f"&abuse__arraycontains={abuse}&_sort_desc=date_start&_size=50&_facet=facility&_facet_array=abuse"),
        ("(c) a common word, every facet", f"/api/v1/incidents?q={word}&per_page=50",
         f"/bench/incidents.json?_search={word}&_sort_desc=date_start&_size=50"),
    ]
    ours, theirs = _port(), _port()
    environment = {**os.environ, "INCIDENTS_INSTANCE_PATH": instance, "INCIDENTS_DATABASE_URL": f"sqlite:///{source}"}
    app = subprocess.Popen([os.path.join(ROOT, ".venv", "bin", "gunicorn"), "--workers", "2", "--threads", "8",
                            "--bind", f"127.0.0.1:{ours}", "--log-level", "warning", "app:app"],
                           cwd=ROOT, env=environment, stdout=subprocess.DEVNULL)
    datasette = subprocess.Popen(
        [DATASETTE, "serve", copy, "--host", "127.0.0.1", "--port", str(theirs), "--metadata", metadata,
         "--setting", "suggest_facets", "off", "--setting", "sql_time_limit_ms", "60000",
         "--setting", "facet_time_limit_ms", "60000", "--setting", "default_facet_size", "100"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(ours, app)
        _wait(theirs, datasette)
        print(f"{clients} clients, {seconds:.0f} s per question and system\n")
        print("| question | this app, requests/s | p95 | Datasette, requests/s | p95 |")
        print("|---|---|---|---|---|")
        for name, mine, other in questions:
            _load(ours, mine, clients, WARM_SECONDS)
            app_rate, app_p95 = _load(ours, mine, clients, seconds)
            _load(theirs, other, clients, WARM_SECONDS)
            other_rate, other_p95 = _load(theirs, other, clients, seconds)
            print(f"| {name} | **{app_rate:.1f}** | {app_p95:.0f} ms | {other_rate:.1f} | {other_p95:.0f} ms |",
                  flush=True)
        print(f"\nThis app's workers afterwards: {'; '.join(_worker_memory(app.pid))}")
    finally:
        for process in (app, datasette):
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
