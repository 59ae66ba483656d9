"""A synthetic data set for benchmarks: N published incidents over ~2,000 facilities in ~85 regions.

Usage: .venv/bin/python bench/generate.py N [INSTANCE_FOLDER]

Narratives mix Russian and English and name people and places in several spellings, so that
search has real work to do. Rows are written straight into the public projection and its
search index in large batches (a benchmark needs volume, not review history); nothing here is
used by the application itself.
"""
from __future__ import annotations

import datetime
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pycountry  # noqa: E402
from peewee import SqliteDatabase, fn  # noqa: E402

from incidents import create_app  # noqa: E402
from incidents.db import (
    database,  # noqa: E402
    migrate,  # noqa: E402
)
from incidents.models import (
    Facility,  # noqa: E402
    Incident,  # noqa: E402
    PublishedIncident,  # noqa: E402
    PublishedRow,  # noqa: E402
    PublishedTerm,  # noqa: E402
    User,  # noqa: E402
    folded,  # noqa: E402
)
from incidents.publication import (
    facet_counts,  # noqa: E402
    fulltext,  # noqa: E402
    open_data_row,  # noqa: E402
)
from incidents.publication.search_keys import text_keys  # noqa: E402

ABUSE = ["030101000000", "030102000000", "030502000000", "031503000000", "031701000000", "031800000000",
         "030800000000", "032102000000", "031904000000", "x-reception-beating", "x-punishment-cell"]
PERPETRATORS = ["010105000000", "010104000000", "x-prison-special-forces", "x-prisoner-activists"]
TYPES = ["penal_colony", "pretrial_detention", "prison_hospital", "police_station", "temporary_detention"]
RU_WORDS = ["избиение", "пытки", "заключённого", "сотрудники", "колонии", "ШИЗО", "Осечкин", "Песков",
            "Саратов", "адвокат", "жалоба", "прокуратура", "видеозапись", "больница", "туберкулёз", "этап",
            "дубинками", "связали", "угрожали", "семье", "отказали", "в", "медицинской", "помощи", "после"]
EN_WORDS = ["beating", "tortured", "prisoner", "guards", "colony", "punishment", "cell", "Osechkin",
            "Peskov", "Saratov", "lawyer", "complaint", "prosecutor", "video", "hospital", "tuberculosis",
            "transfer", "batons", "tied", "threatened", "family", "denied", "medical", "care", "after"]
BATCH = 2000


def _sentence(rng: random.Random, words: list[str], length: int) -> str:
    return " ".join(rng.choice(words) for _ in range(length)).capitalize() + "."


def generate(n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    user = User.get_or_none(User.email == "generator@example.org") or \
        User.create(email="generator@example.org", role="admin", name="Generator")
    # Sorted: pycountry gives a set, whose order changes from one run to the next, and with it which
    # region each facility is in (two instances made with one seed must hold the same data).
    regions = sorted(r.code for r in pycountry.subdivisions.get(country_code="RU")) + ["UA-65", "UA-14"]
    with database.atomic():
        facilities = []
        for index in range(2000):
            region = regions[index % len(regions)]
            kind = TYPES[index % len(TYPES)]
            facilities.append(Facility.create(
                names={"en": f"{kind.replace('_', ' ').title()} No. {index}", "ru": f"Учреждение № {index}"},
                aliases=[f"IK-{index}", f"ИК-{index}"], type=kind, country=region[:2], region=region,
                locality="", created_by=user))
    by_id = {facility.id: facility for facility in facilities}
    start = time.monotonic()
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    first_day = datetime.date(2005, 1, 1)
    for offset in range(0, n, BATCH):
        with database.atomic():
            size = min(BATCH, n - offset)
            incidents, projections, terms = [], [], []
            for _ in range(size):
                facility = rng.choice(facilities)
                day = first_day + datetime.timedelta(days=rng.randrange(7300))
                title = {"ru": _sentence(rng, RU_WORDS, 5), "en": _sentence(rng, EN_WORDS, 5)}
                narrative = {"ru": " ".join(_sentence(rng, RU_WORDS, 12) for _ in range(3)),
                             "en": " ".join(_sentence(rng, EN_WORDS, 12) for _ in range(2))}
                incidents.append({"facility": facility.id, "date_start": day, "date_end": day,
                                  "date_precision": "day", "original_language": rng.choice(["ru", "en"]),
                                  "title": title, "narrative": narrative, "status": "published",
                                  "created_by": user.id, "updated_by": user.id, "published_revision": 1})
            # The only writer, so the new rows take the next ids in order.
            last = Incident.select(fn.MAX(Incident.id)).scalar() or 0
            Incident.insert_many(incidents).execute()
            for incident_id, data in zip(range(last + 1, last + size + 1), incidents, strict=True):
                facility = by_id[data["facility"]]
                codes = rng.sample(ABUSE, rng.randint(1, 3))
                perpetrators = rng.sample(PERPETRATORS, 1)
                keys = " " + text_keys(*data["title"].values(), *data["narrative"].values(),
                                       *facility.names.values(), *facility.aliases) + " "
                projections.append({
                    "incident": incident_id, "reference": f"INC-{incident_id:06d}", "facility": facility.id,
                    "sort_key": PublishedIncident.key_of(data["date_start"], incident_id),
                    "country": facility.country, "region": facility.region, "date_start": data["date_start"],
                    "year": data["date_start"].year,
                    "date_end": data["date_end"], "date_precision": "day",
                    "original_language": data["original_language"], "title": data["title"],
                    "narrative": data["narrative"], "victims_count": rng.randint(1, 20),
                    "violation_status": "040000000000", "graphic": False,
                    "public_data": {"facility": facility.id, "reference": f"INC-{incident_id:06d}",
                                    "title": data["title"], "narrative": data["narrative"], "abuse": codes,
                                    "perpetrators": perpetrators, "persons": [], "evidence": [],
                                    "date_start": data["date_start"].isoformat(),
                                    "date_end": data["date_end"].isoformat(), "date_precision": "day",
                                    "original_language": data["original_language"], "victims_count": 1,
                                    "violation_status": "040000000000", "graphic": False},
                    "search_text": folded(*data["title"].values(), *data["narrative"].values()),
                    "search_keys": keys})
                terms += [{"incident": incident_id, "vocabulary": "abuse", "code": c} for c in codes]
                terms += [{"incident": incident_id, "vocabulary": "perpetrators", "code": c} for c in perpetrators]
            for row in projections:
                row["published_at"] = now
            PublishedIncident.insert_many(projections).execute()
            rows = []
            for row in projections:
                codes, cells = open_data_row.csv_cells({**{name: row.get(name) for name in open_data_row.VALUES},
                                                        "facility_id": row["facility"]}, row["public_data"])
                rows.append({"sort_key": row["sort_key"], "incident": row["incident"], "codes": codes, "cells": cells})
            PublishedRow.insert_many(rows).execute()
            PublishedTerm.insert_many(terms).execute()
            for row in projections:
                fulltext.add(row["sort_key"], row["search_keys"])
        done = offset + size
        rate = done / (time.monotonic() - start)
        print(f"\r{done:,} / {n:,} incidents ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with database.atomic():
        facet_counts.rebuild()
    # On PostgreSQL, VACUUM as autovacuum would soon: it marks the pages all-visible, without which
    # an index-only scan (the list's, the export's keys) visits each row's wide heap page as well.
    database.execute_sql("ANALYZE" if isinstance(database.obj, SqliteDatabase) else "VACUUM ANALYZE")


def open_instance(folder: str):
    """The instance in ``folder``: its SQLite file, or the PostgreSQL database INCIDENTS_DATABASE_URL names."""
    url = os.environ.get("INCIDENTS_DATABASE_URL") or f"sqlite:///{folder}/incidents.sqlite3"
    app = create_app({"INSTANCE_PATH": folder, "DATABASE_URL": url})
    migrate()
    database.connect(reuse_if_open=True)
    return app


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    folder = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.path.join(os.getcwd(), "bench-instance")
    open_instance(folder)
    generate(count)
    print(f"{count:,} incidents in {folder}")
