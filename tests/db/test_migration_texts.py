"""Migration 0033: a facility's present locality and authority become their versions in its original
language, in batches."""
from __future__ import annotations

import datetime
import importlib
import json

from playhouse.migrations import Runner

from incidents.db import MIGRATIONS_DIR, database, migrate
from tests.db.test_migrations import _empty_database, _insert


def test_existing_texts_become_the_originals(app, tmp_path, monkeypatch):
    """Do facilities read back after 0033 (two at a time, so the step takes several batches) with
    their texts as the original versions: in English when they have an English name, else in the
    language of their name?"""
    step = importlib.import_module("incidents.migrations.0033_texts_per_language")
    monkeypatch.setattr(step, "BATCH", 2)
    db = _empty_database(tmp_path, "texts")
    with database.connection_context():
        assert Runner(db, MIGRATIONS_DIR).up(target="0031_audit_stamps")[-1] == "0031_audit_stamps"
    database.connect(reuse_if_open=True)
    now = datetime.datetime(2021, 3, 4, 5, 6, 7)
    facilities = {1: ({"ru": "СИЗО-1"}, "Саратов", "ФСИН"), 2: ({"en": "Colony 2", "ru": "Колония 2"}, "Engels", ""),
                  3: ({"uk": "Колонія 3"}, "", "Мін'юст"), 4: ({"ru": "СИЗО-4", "uk": "СІЗО-4"}, "Київ", ""),
                  5: ({"en": "Camp 5"}, "", "")}
    with database.atomic():
        for key, (names, locality, authority) in facilities.items():
            _insert(db, "facility", id=key, names=json.dumps(names), aliases="[]", type="pretrial", country="RU",
                    region=None, locality=locality, authority=authority, notes="", search_text="",
                    created_by_id=None, created_at=now, updated_at=now)
    from incidents import models
    assert "0033_texts_per_language" in migrate()

    read = {f.id: (f.original_language, f.localities, f.authorities, f.locality, f.authority)
            for f in models.Facility.select()}
    assert read == {1: ("ru", {"ru": "Саратов"}, {"ru": "ФСИН"}, "Саратов", "ФСИН"),
                    2: ("en", {"en": "Engels"}, {}, "Engels", ""),
                    3: ("uk", {}, {"uk": "Мін'юст"}, "", "Мін'юст"),
                    4: ("ru", {"ru": "Київ"}, {}, "Київ", ""),
                    5: ("en", {}, {}, "", "")}
    assert models.Facility.get_by_id(1).name_in("en") == "СИЗО-1"  # no English name: the original
