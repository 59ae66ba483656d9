"""Baseline timings of the public list and the API list with facets (not a test).

Usage: .venv/bin/python bench/bench_public_list.py [N_INCIDENTS] [N_REQUESTS]

Builds a throwaway SQLite database in a temporary folder with N published incidents over
about N/50 facilities, then times requests through the WSGI app (no network) and prints
p50/p95 per question.
"""
from __future__ import annotations

import datetime
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from incidents import create_app  # noqa: E402
from incidents.db import database, migrate  # noqa: E402
from incidents.models import Facility, PublishedIncident, PublishedTerm, User  # noqa: E402

ABUSE = ["030101000000", "030102000000", "030502000000", "031503000000", "031701000000", "031800000000"]
REGIONS = ["RU-SAR", "RU-MOW", "RU-SVE", "RU-KEM", "RU-IRK", "RU-KDA", "RU-TA", "RU-YAR"]


def build(n_incidents: int) -> None:
    """Published rows written straight into the public projection: the shape the list reads."""
    user = User.create(email="bench@example.org", role="admin")
    facilities = [Facility.create(names={"en": f"Colony {i}", "ru": f"Колония {i}"}, aliases=[],
                                  type="penal_colony", country="RU", region=REGIONS[i % len(REGIONS)],
                                  created_by=user)
                  for i in range(max(1, n_incidents // 50))]
    rng = random.Random(7)
    from incidents.models import Incident
    with database.atomic():
        for i in range(n_incidents):
            facility = facilities[i % len(facilities)]
            day = datetime.date(2010, 1, 1) + datetime.timedelta(days=rng.randrange(5000))
            title = {"en": f"Beating in colony {i}", "ru": f"Избиение в колонии {i}"}
            incident = Incident.create(facility=facility, date_start=day, title=title, narrative=title,
                                       created_by=user, updated_by=user, status="published",
                                       reference=f"INC-{i + 1:06d}", published_revision=1)
            codes = rng.sample(ABUSE, 2)
            row = PublishedIncident.create(
                incident=incident, reference=incident.reference, facility=facility, country="RU",
                region=facility.region, date_start=day, date_end=day, date_precision="day",
                original_language="ru", title=title, narrative=title,
                public_data={"facility": facility.id, "reference": incident.reference, "title": title,
                             "narrative": title, "abuse": codes, "perpetrators": [], "persons": [],
                             "evidence": [], "date_start": day.isoformat(), "date_end": day.isoformat(),
                             "date_precision": "day", "original_language": "ru", "victims_count": 1,
                             "violation_status": None, "graphic": False},
                search_text="\n".join(title.values()).casefold())
            PublishedTerm.insert_many([{"incident": row, "vocabulary": "abuse", "code": c} for c in codes]).execute()


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
        app = create_app({"INSTANCE_PATH": folder, "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                          "SECRET_KEY": "bench", "DATA_KEY": "bench"})
        migrate()
        with database.connection_context():
            build(n_incidents)
        client = app.test_client()
        questions = {
            "page: newest 25": "/incidents?lang=en",
            "page: one facility": "/incidents?facility=1&lang=en",
            "api: region+dates+abuse, facets": "/api/v1/incidents?region=RU-SAR&date_from=2012-01-01"
                                               "&date_to=2018-12-31&abuse=030502000000&per_page=50",
            "api: words": "/api/v1/incidents?q=колонии&per_page=50",
        }
        print(f"{n_incidents} published incidents, {repeat} requests each")
        for name, path in questions.items():
            p50, p95 = timed(client, path, repeat)
            print(f"  {name:<36} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
