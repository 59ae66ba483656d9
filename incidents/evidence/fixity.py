"""Fixity: every stored original hashed again and held to the hash it is stored under.

``flask --app app evidence verify`` (and ``flask --app app verify``) run it from a terminal; the
worker runs it on its own every ``STORE_CHECK_DAYS`` days (``due_store_check``), so that an original
changed or lost on disk is found without anyone remembering to look. Each check of a file is a
custody event of its items; each whole check by the worker, an audit event with its counts.
"""
from __future__ import annotations

import datetime
import logging

from flask import current_app

from incidents import audit
from incidents.custody import record_custody
from incidents.db import database
from incidents.evidence.store import EvidenceStore
from incidents.jobs.service import Outcome, submit
from incidents.models import AuditEvent, StoredFile, utcnow

log = logging.getLogger(__name__)
STORE_CHECKED = "evidence.store_check"


def verify_store(store: EvidenceStore, actor=None):
    """Re-hash every stored original; yields (sha256, 'ok' | 'changed' | 'missing', items).

    In the order of their hashes, not of their arrival: the times of the "verified" events in an
    uploader's custody log would otherwise tell which of their files the store held first.
    """
    for stored in StoredFile.select().order_by(StoredFile.sha256):
        outcome, found = store.check(stored.sha256)
        items = list(stored.items)
        with database.atomic():
            for item in items:
                record_custody(item, "verified", actor, outcome=outcome, sha256_found=found)
        yield stored.sha256, outcome, items


def due_store_check() -> None:
    """Each hour, in the worker: ask for a check of the store when the last one is
    ``STORE_CHECK_DAYS`` old (or there was none); one already asked for is not asked again (``once``)."""
    days = current_app.config["SETTINGS"].STORE_CHECK_DAYS
    if days <= 0:
        return
    last = last_store_check()
    if last is None or utcnow() - last["at"] >= datetime.timedelta(days=days):
        submit("store_check", {}, once=True)


def last_store_check() -> dict | None:
    """The worker's last check of the whole store: when (``at``) and its counts (``checked``,
    ``changed``, ``missing``); None before the first."""
    last = (AuditEvent.select(AuditEvent.created_at, AuditEvent.detail).where(AuditEvent.action == STORE_CHECKED)
            .order_by(AuditEvent.id.desc()).first())
    return None if last is None else {**last.detail, "at": last.created_at}


def check_store(job) -> Outcome:
    """The job: the whole store checked; what changed or went missing is logged as an error and
    counted in the audit event."""
    counts = {"checked": 0, "changed": 0, "missing": 0}
    store = EvidenceStore.from_settings(current_app.config["SETTINGS"])
    for sha256, outcome, items in verify_store(store):
        counts["checked"] += 1
        if outcome != "ok":
            counts[outcome] += 1
            log.error("stored original %s %s (evidence items %s)", sha256, outcome,
                      ", ".join(str(item.id) for item in items))
    return Outcome(counts, commit=lambda: audit.record(None, STORE_CHECKED, **counts))
