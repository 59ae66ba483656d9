"""Memory of one app process at a million incidents, after warm-up and after publications (issue 15).

Usage: .venv/bin/python bench/bench_worker_memory.py INSTANCE_FOLDER

One process, as one gunicorn worker: the resident memory (VmRSS) and its peak (VmHWM) after the app
starts, after a round of searches with every facet (which builds the facet arrays and keeps the
common tokens' sets), and after ten publications that the arrays follow. Every worker holds the same.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench_publication import new_incident, person  # noqa: E402
from generate import open_instance  # noqa: E402

from incidents.db import database  # noqa: E402

SEARCHES = ["q=пытки", "q=beating", "q=Osetchkine", "q=пытки+beating", "region=RU-SAR&date_from=2012-01-01",
            "q=пытки&region=RU-MOW", "abuse=030502000000", "facility=7", ""]


def memory() -> str:
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status if line.startswith(("VmRSS", "VmHWM")))
    return ", ".join(f"{name} {int(value.split()[0]) / 1024:.0f} MB" for name, value in sorted(fields.items()))


def main() -> None:
    app = open_instance(os.path.abspath(sys.argv[1]))
    client = app.test_client()
    database.close()
    print(f"started:                       {memory()}")
    for search in SEARCHES:
        assert client.get(f"/api/v1/incidents?{search}&per_page=50").status_code == 200
        assert client.get(f"/incidents?{search}").status_code == 200
    print(f"after searches with facets:    {memory()}")
    author, reviewer = person("bench-author@example.org", "contributor"), person("bench-reviewer@example.org", "reviewer")
    for round_ in range(10):
        with app.app_context():
            database.connect(reuse_if_open=True)
            new_incident(author, reviewer, 2000 + round_)
        for search in SEARCHES:
            client.get(f"/api/v1/incidents?{search}&per_page=50")
    print(f"after 10 publications:        {memory()}")


if __name__ == "__main__":
    main()
