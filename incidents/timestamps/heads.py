"""The audit chain's head, stamped by the timestamp authority once a day.

A hash chain shows an edit, but whoever holds the database could rewrite the whole chain after
the event they want gone. A timestamp of the head by an outside authority fixes the chain up to
that event at the authority's time: rewriting anything before it now means forging the
authority's signature. The token stamps the head event's hash itself, which is the SHA-256 of
that event (audit.py), so ``openssl ts -verify -digest HEAD`` checks it too.

The worker asks for a stamp each hour it finds the last one a day old (``due_head_stamp``); an
operator may stamp at once (``flask --app app audit stamp``). ``checked_stamps`` holds every kept
token to its head, for ``audit verify`` and ``verify``.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from incidents import audit
from incidents.db import database
from incidents.dossiers import verify_timestamp
from incidents.jobs.service import Outcome, submit
from incidents.models import AuditEvent, AuditStamp, Job, utcnow
from incidents.timestamps.authority import Authority, Stamped

STAMPED = "audit.stamp"
EVERY = datetime.timedelta(days=1)


def due_head_stamp() -> None:
    """Each hour, in the worker: ask for a stamp of the head when the last one is a day old (or
    there was none) and an authority is configured; one already asked for is not asked again."""
    if not current_app.config["SETTINGS"].TSA_URL:
        return
    last = AuditStamp.select(AuditStamp.created_at).order_by(AuditStamp.id.desc()).first()
    if last is None or utcnow() - last.created_at >= EVERY:
        submit("audit_stamp", {}, once=True)


def _ask(authority: Authority) -> tuple[AuditEvent, Stamped] | None:
    """The head event and the authority's checked timestamp of it; None when the trail is empty.

    :raise Unavailable: as ``Authority.stamp``.
    """
    head = AuditEvent.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).first()
    return None if head is None else (head, authority.stamp(bytes.fromhex(head.hash)))


def _keep(head: AuditEvent, stamped: Stamped, authority: Authority, actor=None) -> AuditStamp:
    """Keep the token, and say so in the trail (that event becomes the head the next stamp covers)."""
    row = AuditStamp.create(event_id=head.id, head=head.hash, token=stamped.token, authority=authority.url,
                            stamped_at=stamped.stamp.time.replace(tzinfo=None))
    audit.record(actor, STAMPED, row, event=head.id, head=head.hash, stamped_at=row.stamped_at.isoformat(),
                 authority=authority.url, subject=stamped.stamp.subject)
    return row


def stamp_job(job: Job) -> Outcome:
    """The job: the head stamped, kept with the job's completion. An authority that does not
    answer fails the attempt, and the queue tries again later; nothing is kept before a valid token."""
    authority = Authority.configured(current_app.config["SETTINGS"])
    asked = _ask(authority) if authority is not None else None
    if asked is None:
        return Outcome({"stamped": False})
    head, stamped = asked
    return Outcome({"stamped": True, "event": head.id}, commit=lambda: _keep(head, stamped, authority))


@dataclass
class CheckedStamp:
    """A kept stamp and what its check found: the token's word (``stamp``) when it holds, what is
    wrong otherwise (``problem``, empty when nothing is)."""

    row: AuditStamp
    stamp: verify_timestamp.Stamp | None
    problem: object = ""  # English from the token's check, or lazily translated


def stamp_now(authority: Authority, actor=None) -> CheckedStamp | None:
    """Stamp the head at once (the command); None when the trail is empty.

    :raise Unavailable: as ``Authority.stamp``; nothing is kept.
    """
    asked = _ask(authority)
    if asked is None:
        return None
    with database.atomic():
        return CheckedStamp(_keep(*asked, authority, actor), asked[1].stamp)


def checked_stamps(anchors: list | None = None) -> list[CheckedStamp]:
    """Every kept stamp, oldest first, each token checked against its head's hash (and ``anchors``,
    the authority's CA certificates, when given), its head against the trail, its time against the
    token's; then each stamp the trail records that is no longer kept (its row was deleted)."""
    checked = []
    rows = list(AuditStamp.select().order_by(AuditStamp.id))
    for row in rows:
        try:
            stamp = verify_timestamp.check(bytes(row.token), bytes.fromhex(row.head), anchors)
        except (verify_timestamp.Invalid, ValueError) as exc:
            checked.append(CheckedStamp(row, None, str(exc)))
            continue
        event = AuditEvent.get_or_none(AuditEvent.id == row.event_id)
        problem = ""
        if event is None or event.hash != row.head:
            problem = _l("the stamped head is no longer that event in the trail: the trail was rewritten")
        elif stamp.time.replace(tzinfo=None) != row.stamped_at:
            problem = _l("the time kept beside the token is not the time in the token")
        checked.append(CheckedStamp(row, stamp, problem))
    kept = {row.id for row in rows}
    for entry in AuditEvent.select().where(AuditEvent.action == STAMPED).order_by(AuditEvent.id):
        if entry.object_id.isdigit() and int(entry.object_id) not in kept:
            lost = AuditStamp(id=int(entry.object_id), event_id=entry.detail.get("event"), head=entry.detail.get("head"))
            checked.append(CheckedStamp(lost, None, _l("deleted, though audit event #%(id)s records it", id=entry.id)))
    return checked

