"""Likely duplicates: precision and recall on a labelled set, and the time to find an incident's
likely duplicates among many (not a test).

Usage: .venv/bin/python bench/bench_duplicates.py [GROUPS] [N_INCIDENTS] [N_QUESTIONS]

1. Writes GROUPS labelled groups (``duplicates_set.py``) into a throwaway instance through the real
   services, asks for every incident's likely duplicates, and prints precision and recall per
   threshold (every match that is not the labelled duplicate counts as false) and the scores per kind.
2. Generates N_INCIDENTS incidents (``generate.py``: 2,000 facilities, 20 years) in another one and
   times N_QUESTIONS questions for random incidents: p50 and p95.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import duplicates_set  # noqa: E402
from generate import generate, open_instance  # noqa: E402

from incidents.db import database  # noqa: E402
from incidents.duplicates import likeness, service  # noqa: E402
from incidents.models import Incident, User  # noqa: E402


def _every_score(user, incident_id):
    """Each likely duplicate with its score, whatever the threshold (the sweep applies them)."""
    return [(m.incident.id, m.score) for m in service.similar_to(user, incident_id)]


def quality(groups: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = open_instance(folder)
        with app.test_request_context():
            user = User.create(email="bench@example.org", role="admin", name="Bench")
            pairs, ids = duplicates_set.make(user, groups)
            kept, service.THRESHOLD = service.THRESHOLD, 0.3
            try:
                results = duplicates_set.measure(user, pairs, ids, _every_score)
            finally:
                service.THRESHOLD = kept
        database.close()
    print(f"{groups} groups, {len(ids)} incidents, {results['duplicates']} labelled duplicates; "
          f"threshold in use {likeness.THRESHOLD}")
    for threshold, figures in results["thresholds"].items():
        print(f"  >= {threshold:.2f}: precision {figures['precision']:.3f}  recall {figures['recall']:.3f}  "
              f"({figures['true']} of {figures['found']} found are duplicates)")
    for kind, scores in results["by_kind"].items():
        print(f"  {kind:<15} min {min(scores):.2f}  median {statistics.median(scores):.2f}  max {max(scores):.2f}")


def speed(n_incidents: int, questions: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = open_instance(folder)
        generate(n_incidents)
        # generate.py writes the public projection's keys only; the working copies get them too,
        # so that every candidate's texts are compared as in a real instance.
        database.execute_sql("UPDATE incident SET search_keys = (SELECT p.search_keys FROM published_incident p "
                             "WHERE p.incident_id = incident.id)")
        user = User.get(User.email == "generator@example.org")
        rng = random.Random(3)
        top = Incident.select(Incident.id).order_by(Incident.id.desc()).scalar()
        samples = []
        with app.test_request_context():
            for _ in range(questions):
                start = time.perf_counter()
                service.similar_to(user, rng.randint(1, top))
                samples.append((time.perf_counter() - start) * 1000)
        database.close()
    samples.sort()
    print(f"{n_incidents} incidents, {questions} questions: p50 {statistics.median(samples):.1f} ms, "
          f"p95 {samples[int(len(samples) * 0.95) - 1]:.1f} ms")


if __name__ == "__main__":
    quality(int(sys.argv[1]) if len(sys.argv) > 1 else 280)
    speed(int(sys.argv[2]) if len(sys.argv) > 2 else 100_000, int(sys.argv[3]) if len(sys.argv) > 3 else 50)
