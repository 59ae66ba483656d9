"""Audit trail benchmark (not a test): how long checking the hash chain takes, whole and incremental.

Usage:
    .venv/bin/python bench/bench_audit.py [EVENTS]     # default 100000

Appends EVENTS audit events (as views of confidential data do, one per request) to a fresh SQLite
instance, then times `audit.check()` walking the whole chain (what `flask audit verify` does, and
the admin page every ten minutes) and `audit.check(since=...)` after 100 more events (what the
admin page does at every other view).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main(events: int) -> None:
    from incidents import audit, create_app
    from incidents.db import database, migrate
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as folder:
        app = create_app({"INSTANCE_PATH": folder, "SECRET_KEY": "bench", "TESTING": True})
        with app.app_context():
            migrate()
            database.connect(reuse_if_open=True)
            started = time.monotonic()
            with database.atomic():
                for number in range(events):
                    audit.record(None, "incident.view_confidential", None, via="bench", n=number)
            appended = time.monotonic() - started
            started = time.monotonic()
            whole = audit.check()
            walked = time.monotonic() - started
            with database.atomic():
                for number in range(100):
                    audit.record(None, "incident.view_confidential", None, via="bench", n=number)
            started = time.monotonic()
            newer = audit.check(since=whole)
            incremental = time.monotonic() - started
            database.close()
    assert whole.broken is None and newer.count == events + 100
    print(f"appended {events} events in {appended:.1f} s ({appended / events * 1e6:.0f} µs each)")
    print(f"whole chain checked in {walked:.2f} s ({events / walked:,.0f} events/s)")
    print(f"100 newer events checked in {incremental * 1000:.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
