"""Precision and recall on a small labelled set of near-duplicates and non-duplicates (the set of
bench/duplicates_set.py; bench/bench_duplicates.py measures the large one and the speed)."""
from __future__ import annotations

import os
import sys

from incidents.duplicates import likeness, service
from tests.helpers import ROOT

sys.path.insert(0, os.path.join(ROOT, "bench"))
import duplicates_set  # noqa: E402


def test_a_small_labelled_set_keeps_its_floor(app, users):
    """On 28 labelled groups (re-worded, re-transliterated, Russian and English, shifted dates, an
    aliased facility; and the same facility or the same days for other events), are at least 9 in
    10 near-duplicates found, and at least 8 in 10 of what is found a labelled duplicate?"""
    with app.test_request_context():
        pairs, ids = duplicates_set.make(users["admin"], 28)
        results = duplicates_set.measure(users["admin"], pairs, ids, lambda user, incident_id: [
            (m.incident.id, m.score) for m in service.similar_to(user, incident_id)])
    figures = results["thresholds"][likeness.THRESHOLD]
    assert figures["recall"] >= 0.9 and figures["precision"] >= 0.8, figures
