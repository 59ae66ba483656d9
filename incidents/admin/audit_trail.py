"""Reading the audit trail: filtered, newest first, with the state of its hash chain."""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from incidents import audit
from incidents.models import AuditEvent, utcnow
from incidents.text import without_control
from incidents.validation import read_partial_date

PER_PAGE = 100
# A whole walk of the chain takes about 5 s per 100,000 events, too long for every view: the page
# walks what was added since its last walk, and the whole chain again after this many seconds, when
# an older event edited in between shows. `flask --app app audit verify` always walks it all.
WHOLE_WALK_EVERY = 600


@dataclass
class TrailPage:
    events: list
    page: int
    more: bool
    check: audit.ChainCheck
    walked_at: datetime.datetime  # when the whole chain was last walked
    problems: list  # filters that were not understood, and so not applied


def read(args) -> TrailPage:
    """Events matching ``args`` (action prefix, actor e-mail, object type and id, from/to dates as
    people write them: "from 2020" starts on 1 January, "to 03.2020" ends on 31 March); a date that is
    not understood is named in ``problems`` and left out, the other filters still applied."""
    query = AuditEvent.select()

    def given(name: str, longest: int) -> str:
        # No stored value holds control characters, and PostgreSQL refuses a NUL in a query.
        return without_control(args.get(name) or "").strip()[:longest]

    action = given("action", 100)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    actor = given("actor", 254)
    if actor:
        query = query.where(AuditEvent.actor_email.contains(actor))
    for name in ("object_type", "object_id"):
        value = given(name, 100)
        if value:
            query = query.where(getattr(AuditEvent, name) == value)
    problems = []
    for name, label, side in (("date_from", _l("From"), 0), ("date_to", _l("To"), 1)):
        if not (args.get(name) or "").strip():
            continue
        period = read_partial_date(args.get(name))
        if period is None:
            problems.append(_l("%(field)s: must be a date such as 15.03.2020, 2020-03 or 2020.", field=label))
        elif side == 0:
            query = query.where(AuditEvent.created_at >= datetime.datetime.combine(period[0], datetime.time()))
        elif period[1] < datetime.date.max:  # up to 9999-12-31 is no bound at all (and has no day after)
            query = query.where(AuditEvent.created_at < datetime.datetime.combine(
                period[1] + datetime.timedelta(days=1), datetime.time()))
    raw = str(args.get("page", ""))
    page = int(raw) if raw.isdecimal() and len(raw) < 7 and 0 < int(raw) < 10**6 else 1
    rows = list(query.order_by(AuditEvent.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1))
    return TrailPage(rows[:PER_PAGE], page, len(rows) > PER_PAGE, *chain_state(), problems)


def chain_state() -> tuple[audit.ChainCheck, datetime.datetime]:
    """The chain's state, walking only new events while the last whole walk is recent; and when
    the last whole walk was."""
    kept = current_app.extensions.setdefault("audit_chain", {})  # per app (and so per database)
    now = utcnow()
    recent = "walked_at" in kept and (now - kept["walked_at"]).total_seconds() < WHOLE_WALK_EVERY
    result = audit.check(since=kept["result"] if recent else None)
    if not recent:
        kept["walked_at"] = now
    kept["result"] = result
    return result, kept["walked_at"]
