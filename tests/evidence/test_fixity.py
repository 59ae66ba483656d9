"""The worker's own check of the store (issue 15, point 3: re-hashing as a job): due every
``STORE_CHECK_DAYS``, asked for once however many workers look, and a changed original named."""
from __future__ import annotations

import dataclasses
import datetime
import logging
import re

from flask_babel import force_locale, get_translations

from incidents.evidence import fixity
from incidents.evidence.store import EvidenceStore
from incidents.jobs.service import submit
from incidents.models import AuditEvent, CustodyEvent, Job, utcnow
from tests.factories import attach_file
from tests.helpers import hold_jobs, translated


def checks() -> list[dict]:
    return [e.detail for e in AuditEvent.select().where(AuditEvent.action == fixity.STORE_CHECKED).order_by(AuditEvent.id)]


def asked() -> int:
    return Job.select().where(Job.kind == "store_check").count()


def test_a_check_is_asked_for_when_due_once_and_a_changed_original_is_named(app, users, incident, monkeypatch,
                                                                          caplog):
    item = attach_file(app, incident, users["contributor"], b"%PDF-1.4 a medical report\n", "report.pdf")
    drain = hold_jobs(app)
    with app.app_context():
        fixity.due_store_check()
        fixity.due_store_check()  # a second worker's hour: the first's job still waits
    assert asked() == 1
    assert drain() == 1
    assert checks() == [{"checked": 1, "changed": 0, "missing": 0}]
    with app.app_context():
        fixity.due_store_check()  # checked just now: not due
    assert asked() == 1

    path = EvidenceStore.from_settings(app.config["SETTINGS"]).path_for(item.stored_file_id)
    with open(path, "r+b") as original:  # one byte rots on disk
        original.write(b"%")
        original.seek(0)
        original.write(b"X")
    later = utcnow() + datetime.timedelta(days=7, minutes=1)
    monkeypatch.setattr(fixity, "utcnow", lambda: later)
    with app.app_context(), caplog.at_level(logging.ERROR, logger=fixity.__name__):
        fixity.due_store_check()
        assert drain() == 1
    assert checks()[-1] == {"checked": 1, "changed": 1, "missing": 0}
    assert f"stored original {item.stored_file_id} changed (evidence items {item.id})" in caplog.text
    outcomes = [e.detail["outcome"] for e in CustodyEvent.select().where(
        (CustodyEvent.item == item.id) & (CustodyEvent.action == "verified")).order_by(CustodyEvent.id)]
    assert outcomes == ["ok", "changed"]


NOT_YET = ("The stored originals have not been checked yet: the job worker checks them every %(num)s day.",
           "The stored originals have not been checked yet: the job worker checks them every %(num)s days.")
ALL_WELL = ("Stored originals checked on %(date)s: %(num)s file, unchanged.",
            "Stored originals checked on %(date)s: %(num)s files, all unchanged.")
DAMAGED = ("Stored originals checked on %(date)s: of %(checked)s, %(changed)s changed and %(missing)s missing. "
           "The job worker's log names their evidence items; restore those originals from a backup, then run "
           "“flask --app app evidence verify”.")


def words(app, message, language: str, num: int = 1) -> list[str]:
    """The translated message's words around its placeholders, which the page fills in; a pair of
    messages is a singular and a plural, translated for ``num``."""
    if isinstance(message, tuple):
        with app.test_request_context(), force_locale(language):
            text = get_translations().ngettext(*message, num)
    else:
        text = translated(app, message, language)
    return [part.strip(" ,.:") for part in re.split(r"%\(\w+\)s", text) if part.strip(" ,.:")]


def test_the_archive_page_tells_staff_what_the_last_check_found(app, users, incident, as_role):
    item = attach_file(app, incident, users["contributor"], b"%PDF-1.4 a medical report\n", "report.pdf")
    reviewer = as_role("reviewer")
    for language in ("ru", "uk"):
        page = reviewer.get(f"/archive?lang={language}").get_data(as_text=True)
        assert all(part in page for part in words(app, NOT_YET, language, 7)) and "7" in page

    drain = hold_jobs(app)
    with app.app_context():
        fixity.due_store_check()
    drain()
    page = reviewer.get("/archive?lang=ru").get_data(as_text=True)
    assert all(part in page for part in words(app, ALL_WELL, "ru")) and 'role="alert"' not in page

    path = EvidenceStore.from_settings(app.config["SETTINGS"]).path_for(item.stored_file_id)
    with open(path, "r+b") as original:
        original.write(b"X")
    with app.app_context():
        submit("store_check", {})  # a check asked for again, as the worker will in a week
    drain()
    for language in ("ru", "uk"):
        page = reviewer.get(f"/archive?lang={language}").get_data(as_text=True)
        assert 'role="alert"' in page and all(part in page for part in words(app, DAMAGED, language))


def test_an_installation_may_leave_the_check_to_its_own_scheduler(app, users, incident):
    attach_file(app, incident, users["contributor"], b"%PDF-1.4 a medical report\n", "report.pdf")
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], STORE_CHECK_DAYS=0)
    hold_jobs(app)
    with app.app_context():
        fixity.due_store_check()
    assert asked() == 0
