"""Each list page against its JSON, asked alternately of one server (not a test): issue 15's "the
page within 1.5× of its JSON in the same run", without Datasette's minutes per search.

Usage:
    .venv/bin/python bench/pages_vs_json.py bench-instance [REQUESTS [TREE]]   # 20, this tree

The app of TREE (a git worktree of another commit, to compare) runs as compare_datasette.py runs
it, ``flask run --without-threads``, on the instance's SQLite database or on the PostgreSQL one
``INCIDENTS_DATABASE_URL`` names. For each question it asks the JSON and then the page, REQUESTS
times each after one request of each untimed, and prints p50 / p95 of both and their ratios.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_datasette import PERIOD, REGION, ROOT, SEARCHES, chosen, fetch, p95  # noqa: E402
from throughput import _port, _wait  # noqa: E402


def questions(source: str) -> list[tuple[str, str, str]]:
    """(name, JSON, page): compare_datasette.py's (a), (b) and (e), the page with its six facets."""
    _total, facility, abuse = chosen(source)
    q = urllib.parse.quote
    narrowed = f"region={REGION}&date_from={PERIOD[0]}&date_to={PERIOD[1]}&abuse={abuse}&per_page=50"
    listed = [("(a) one facility", f"/api/v1/incidents?facility={facility}&per_page=50&facets=",
               f"/incidents?facility={facility}&per_page=50"),
              ("(b) region + dates + abuse type", f"/api/v1/incidents?{narrowed}&facets=facility,abuse",
               f"/incidents?{narrowed}")]
    return listed + [(f"(e) {words}, with its facets", f"/api/v1/incidents?q={q(words)}&per_page=50",
                      f"/incidents?q={q(words)}&per_page=50") for _label, words in SEARCHES]


def main() -> None:
    instance = os.path.abspath(sys.argv[1])
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    tree = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else ROOT
    source = os.path.join(instance, "incidents.sqlite3")
    port = _port()
    environment = {**os.environ, "INCIDENTS_INSTANCE_PATH": instance,
                   "INCIDENTS_DATABASE_URL": os.environ.get("INCIDENTS_DATABASE_URL", f"sqlite:///{source}")}
    server = subprocess.Popen([os.path.join(tree, ".venv", "bin", "flask"), "--app", "app", "run", "--host",
                               "127.0.0.1", "--port", str(port), "--without-threads"],
                              cwd=tree, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(port, server)
        print(f"{repeat} requests of each, alternately\n")
        print("| question | JSON p50 / p95 | page p50 / p95 | page ÷ JSON, p50 / p95 |")
        print("|---|---|---|---|")
        for name, as_json, as_page in questions(source):
            fetch(port, as_json)
            fetch(port, as_page)
            times: dict[str, list[float]] = {as_json: [], as_page: []}
            for _ in range(repeat):
                for path, samples in times.items():
                    start = time.perf_counter()
                    fetch(port, path)
                    samples.append((time.perf_counter() - start) * 1000)
            json_times, page_times = times[as_json], times[as_page]
            print(f"| {name} | {statistics.median(json_times):.0f} / {p95(json_times):.0f} ms | "
                  f"{statistics.median(page_times):.0f} / {p95(page_times):.0f} ms | "
                  f"{statistics.median(page_times) / statistics.median(json_times):.2f} / "
                  f"**{p95(page_times) / p95(json_times):.2f}** |", flush=True)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
