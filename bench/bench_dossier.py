"""Dossier benchmarks (not tests): build time for 100 incidents, and bundle memory with 1 GB of files.

Usage:
    .venv/bin/python bench/bench_dossier.py build [INCIDENTS]     # default 100; target under 5 s
    .venv/bin/python bench/bench_dossier.py bundle [GIGABYTES]    # default 1.0; memory stays bounded

build: enters INCIDENTS incidents through the real services (each with a narrative of about
2,500 characters in Russian and English, two people, two evidence links, a preserved photo and two
responses), publishes them, then times POST /api/v1/dossiers in-process for each layout and format
(PDF, DOCX, and the signed ZIP without originals), three times each, reporting the best and worst.

bundle: preserves originals of GIGABYTES in total (four files) on one published incident, then
streams the confidential bundle with the originals to /dev/null and reports the process's peak resident memory
growth while streaming (VmHWM reset just before), the bytes streamed and the rate.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

MB = 1024 * 1024
NARRATIVE_RU = ("Заключённого, по словам свидетелей, вывели из камеры и избили в помещении без камер. "
                "Сотрудники учреждения требовали подписать признательные показания. ") * 16
NARRATIVE_EN = ("According to witnesses, the prisoner was taken from the cell and beaten in a room "
                "without cameras. Staff demanded that he sign a confession. ") * 16


def _app(folder: str):
    from incidents import create_app
    from incidents.db import database, migrate
    app = create_app({"INSTANCE_PATH": os.path.join(folder, "instance"),
                      "DATABASE_URL": "sqlite:///" + os.path.join(folder, "bench.sqlite3"),
                      "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        migrate()
    database.connect(reuse_if_open=True)
    return app


def _people():
    import pyotp

    from incidents.accounts import credentials, two_factor
    from incidents.models import User
    made = {}
    for role in ("contributor", "reviewer", "lawyer"):
        user = credentials.create_user(f"{role}@bench.example", role, None, f"Bench {role}")
        credentials.set_password(user, "a long enough bench password", testing=True)
        if two_factor.is_required(user):  # its token works only once a second factor is enrolled
            user.totp_secret = pyotp.random_base32()
            user.save(only=[User.totp_secret])
        made[role] = user
    made["token"] = credentials.issue_api_token(made["lawyer"])
    return made


def _incidents(app, people, count: int) -> list[int]:
    from factories import attach_file, make_facility, make_incident, publish
    facility = make_facility(people["contributor"])
    ids = []
    for index in range(count):
        incident = make_incident(
            people["contributor"], facility, date_start=f"{2015 + index % 10}-0{1 + index % 9}-1{index % 9}",
            date_precision="day",
            title={"ru": f"Избиение заключённого № {index}", "en": f"Beating of prisoner No. {index}"},
            narrative={"ru": NARRATIVE_RU, "en": NARRATIVE_EN},
            persons=[{"role": "victim", "pseudonym": f"Prisoner {index}", "legal_name": "Иванов И. И.",
                      "consent": "anonymised", "sex": "male", "age": 30 + index % 20},
                     {"role": "witness", "pseudonym": f"Witness {index}", "consent": "named"}],
            evidence=[{"kind": "220904051501", "url": f"https://example.org/video/{index}", "description": "Video"},
                      {"kind": "220904051501", "url": f"https://example.org/report/{index}", "description": "Report"}],
            responses=[{"kind": "complaint", "date": "2021-01-05", "body": "Prosecutor's office",
                        "description": "A complaint was filed by the lawyer."},
                       {"kind": "case_refused", "date": "2021-03-01", "body": "Investigative Committee",
                        "description": "A criminal case was refused."}])
        attach_file(app, incident, people["contributor"], content=os.urandom(2048) + index.to_bytes(4, "big"),
                    filename=f"photo-{index}.jpg")
        publish(incident, people["contributor"], people["reviewer"])
        ids.append(incident.id)
    return ids


def build(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-dossier-") as folder:
        app = _app(folder)
        people = _people()
        started = time.perf_counter()
        ids = _incidents(app, people, count)
        print(f"{count} incidents entered and published in {time.perf_counter() - started:.1f} s")
        client = app.test_client()
        headers = {"Authorization": f"Bearer {people['token']}"}
        for layout in ("dossier", "un_srt", "echr", "cpt"):
            for fmt in ("pdf", "docx", "zip"):
                timings, size = [], 0
                for _ in range(3):
                    started = time.perf_counter()
                    response = client.post("/api/v1/dossiers", headers=headers, json={
                        "incident_ids": ids, "redaction": "confidential", "lang": "ru",
                        "layout": layout, "format": fmt})
                    size = len(response.get_data())
                    timings.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.get_data(as_text=True)[:300]
                print(f"{layout:8} {fmt:5} best {min(timings):5.2f} s  worst {max(timings):5.2f} s  "
                      f"{size / MB:5.1f} MB")


def _peak_kb() -> int:
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:"))


def bundle(gigabytes: float) -> None:
    from factories import make_facility, make_incident, publish

    from incidents.evidence import service as evidence
    from incidents.evidence.store import EvidenceStore
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as folder:
        app = _app(folder)
        people = _people()
        incident = make_incident(people["contributor"], make_facility(people["contributor"]))
        store = EvidenceStore.from_settings(app.config["SETTINGS"])
        per_file = int(gigabytes * 1024 * MB) // 4
        block = os.urandom(4 * MB)
        for index in range(4):
            spool = store.spool()
            written = 0
            while written < per_file:
                piece = block[: min(len(block), per_file - written)]
                spool.write(bytes([index]) + piece[1:])
                written += len(piece)
            evidence.attach_file(incident.id, people["contributor"], store, spool, f"video-{index}.mp4",
                                 {"kind": "220904051501"})
            spool.close()
        publish(incident, people["contributor"], people["reviewer"])
        client = app.test_client()
        headers = {"Authorization": f"Bearer {people['token']}"}
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # reset VmHWM to the current resident size
        before = _peak_kb()
        started = time.perf_counter()
        response = client.post("/api/v1/dossiers", headers=headers, buffered=False, json={
            "incident_ids": [incident.id], "include_files": True, "lang": "ru", "redaction": "confidential"})
        streamed = 0
        with open(os.devnull, "wb") as sink:
            for chunk in response.response:
                sink.write(chunk)
                streamed += len(chunk)
        seconds = time.perf_counter() - started
        growth = (_peak_kb() - before) / 1024
        print(f"bundle of {streamed / MB:,.0f} MB streamed in {seconds:.1f} s ({streamed / MB / seconds:,.0f} MB/s); "
              f"peak resident memory grew by {growth:.1f} MB while streaming")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "build"
    if what == "build":
        build(int(sys.argv[2]) if len(sys.argv) > 2 else 100)
    elif what == "bundle":
        bundle(float(sys.argv[2]) if len(sys.argv) > 2 else 1.0)
    else:
        sys.exit(__doc__)
