"""Baseline timings of the public list and the API list with facets (not a test).

Usage: .venv/bin/python bench/bench_public_list.py [N_INCIDENTS] [N_REQUESTS]

Builds a throwaway SQLite database in a temporary folder with N published incidents
(``generate.py``: 2,000 facilities in 85 regions), then times requests through the WSGI app
(no network) and prints p50/p95 per question.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from generate import (
    generate,  # noqa: E402
    open_instance,  # noqa: E402
)

from incidents.db import database  # noqa: E402


def timed(client, path: str, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    n_incidents = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    with tempfile.TemporaryDirectory() as folder:
        app = open_instance(folder)
        generate(n_incidents)
        database.close()
        client = app.test_client()
        questions = {
            "page: newest 25": "/incidents?lang=en",
            "page: one facility": "/incidents?facility=7&lang=en",
            "api: region+dates+abuse, facets": "/api/v1/incidents?region=RU-SAR&date_from=2012-01-01"
                                               "&date_to=2018-12-31&abuse=030502000000&per_page=50",
            "api: words, Cyrillic": "/api/v1/incidents?q=пытки&per_page=50",
            "api: words, Latin spelling variant": "/api/v1/incidents?q=Osetchkine&per_page=50",
        }
        print(f"{n_incidents} published incidents, {repeat} requests each")
        for name, path in questions.items():
            p50, p95 = timed(client, path, repeat)
            print(f"  {name:<36} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
