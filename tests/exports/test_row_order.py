"""Migration 0034 lays the export's rows on disk in the order an export reads them (by date), so
that an export from a cold disk reads the file in sequence, not a page here and there
(bench/README.md). Published in another order, they lie scattered until then."""
from __future__ import annotations

import importlib
import random

import pytest
from playhouse.migrate import SchemaMigrator

from incidents.db import database
from incidents.models import PublishedRow
from tests.factories import make_facility, make_incident, publish
from tests.helpers import TEST_DATABASE_URL

ON_POSTGRES = TEST_DATABASE_URL.startswith("postgres")


def pages_in_key_order() -> list[int]:
    """The file's page (SQLite) or the heap's block (PostgreSQL) of each row, in key order."""
    if ON_POSTGRES:
        return [int(ctid.strip("()").split(",")[0]) for (ctid,) in database.execute_sql(
            "SELECT ctid::text FROM published_row ORDER BY sort_key")]
    try:
        return [page for (page,) in database.execute_sql(
            "SELECT pageno FROM dbstat WHERE name = 'published_row' AND pagetype = 'leaf' ORDER BY path")]
    except Exception:  # noqa: BLE001 (an SQLite built without the dbstat table)
        pytest.skip("this SQLite has no dbstat table")


def test_the_rows_lie_in_the_order_an_export_reads_them(app, users):
    facility = make_facility(users["contributor"])
    years = list(range(1986, 2026))
    random.Random(17).shuffle(years)  # published in an order other than their dates'
    for year in years:
        publish(make_incident(users["contributor"], facility, date_start=str(year), title={"ru": f"Пытки {year}"},
                              narrative={"ru": f"Заключённого {year} избили. " * 60}),
                users["contributor"], users["reviewer"])
    before = pages_in_key_order()
    assert before != sorted(before)
    rows = {row.sort_key: (row.codes, row.cells) for row in PublishedRow.select()}

    importlib.import_module("incidents.migrations.0034_open_data_labels").up(
        SchemaMigrator.from_database(database.obj), database.obj)

    after = pages_in_key_order()
    assert len(after) > 10 and after == sorted(after)
    assert {row.sort_key: (row.codes, row.cells) for row in PublishedRow.select()} == rows
