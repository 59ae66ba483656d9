"""No cliff after a publication (issue 15, point 5): the first faceted request after a publication,
a retraction or an edit, against a normal one, in one process of a generated instance.

Usage: .venv/bin/python bench/bench_publication.py INSTANCE_FOLDER [ROUNDS]

The instance comes from ``generate.py`` (INCIDENTS_DATABASE_URL for PostgreSQL, as there). Each
round publishes a new incident through the workflow (entered, submitted, approved), then times the
next faceted search; then retracts one and edits one the same way. The arrays are built once at
the start. For comparison in the same run, the last column times the same request after the
arrays are thrown away, as every publication did before the arrays followed the log. Every worker
process pays what this one pays: each follows the log on its next faceted request.
"""
from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from generate import open_instance  # noqa: E402

from incidents.accounts import credentials  # noqa: E402
from incidents.db import database  # noqa: E402
from incidents.models import Facility, Incident, User  # noqa: E402
from incidents.publication import facet_index  # noqa: E402
from incidents.records import service as records  # noqa: E402
from incidents.revisions import snapshot  # noqa: E402
from incidents.workflow import transition  # noqa: E402

QUESTION = "/api/v1/incidents?q=пытки&region=RU-SAR&per_page=50"


def person(email: str, role: str) -> User:
    return User.get_or_none(User.email == email) or credentials.create_user(email, role, None, role.title())


def timed(client) -> float:
    start = time.perf_counter()
    response = client.get(QUESTION)
    assert response.status_code == 200, response.status_code
    return (time.perf_counter() - start) * 1000


def new_incident(author: User, reviewer: User, round_: int) -> Incident:
    facility = Facility.select().order_by(Facility.id).offset(round_ % 2000).get()
    data = {"facility": facility.id, "date_start": f"2019-0{round_ % 9 + 1}-1{round_ % 10}", "date_precision": "day",
            "original_language": "ru", "title": {"ru": f"Пытки в учреждении, случай {round_}"},
            "narrative": {"ru": "Избиение заключённого сотрудниками колонии."}, "abuse": ["030502000000"],
            "perpetrators": ["010105000000"], "victims_count": 1}
    incident = records.create_incident(data, author, max_text=20_000, confirm_new=True)
    submitted = transition(incident.id, author, "submit", version=incident.version)
    return transition(incident.id, reviewer, "approve", version=submitted.version)


def main() -> None:
    folder = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    app = open_instance(folder)
    client = app.test_client()
    author, reviewer = person("bench-author@example.org", "contributor"), person("bench-reviewer@example.org", "reviewer")
    database.close()
    started = time.perf_counter()
    timed(client)
    print(f"first build of the arrays, with the request: {(time.perf_counter() - started) * 1000:,.0f} ms")
    normal = sorted(timed(client) for _ in range(30))
    after = {"publication": [], "retraction": [], "edit": []}
    rebuilt = []
    for round_ in range(rounds):
        with app.app_context():
            database.connect(reuse_if_open=True)
            published = new_incident(author, reviewer, round_)
        after["publication"].append(timed(client))
        with app.app_context():
            transition(published.id, reviewer, "retract", comment="bench", version=published.version)
        after["retraction"].append(timed(client))
        with app.app_context():
            again = new_incident(author, reviewer, round_ + 1000)
            data = snapshot(again)
            data["abuse"] = ["031701000000"]
            edited = records.update_incident(again.id, data, author, version=again.version, max_text=20_000)
            submitted = transition(again.id, author, "submit", version=edited.version)
            transition(again.id, reviewer, "approve", version=submitted.version)
        timed(client)  # the publication of the incident edited next
        with app.app_context():
            data = snapshot(Incident.get_by_id(again.id))
            data["abuse"] = ["030101000000"]
            current = Incident.get_by_id(again.id)
            edited = records.update_incident(again.id, data, author, version=current.version, max_text=20_000)
            submitted = transition(again.id, author, "submit", version=edited.version)
            transition(again.id, reviewer, "approve", version=submitted.version)
        after["edit"].append(timed(client))
        if round_ < 3:  # as before: every publication threw the arrays away
            facet_index._built["generation"] = None
            rebuilt.append(timed(client))
    p50, p95 = statistics.median(normal), normal[int(len(normal) * 0.95) - 1]
    print(f"{QUESTION}\n  a normal request: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    for name, samples in after.items():
        print(f"  first after {'an' if name == 'edit' else 'a'} {name:<11} p50 {statistics.median(samples):6.1f} ms, max {max(samples):6.1f} ms,"
              f" {max(samples) / p50:.1f}x a normal p50")
    print(f"  after the arrays were thrown away (as before): p50 {statistics.median(rebuilt):,.0f} ms")


if __name__ == "__main__":
    main()
