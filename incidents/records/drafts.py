"""Drafts of the incident form: kept as the person types, offered back, gone once saved.

One draft per author and form (the new-incident form, or one incident's edit form), holding the
form's fields as the browser would post them. Only its author reads, replaces or discards it:
every function takes the acting user and looks up that user's own draft, so nobody else's is ever
in reach (a reviewer editing the same incident has a draft of their own). Drafts are sealed
(``models/drafts.py``), never published, exported or shown to anyone else, and expire after
``EXPIRY``.

The browser keeps a fallback copy for when the server cannot be reached (an expired session, a
dropped connection), encrypted under ``browser_key``: a key only the signed-in author is given.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import re

from flask_babel import lazy_gettext as _l

from incidents import policy
from incidents.db import database
from incidents.errors import BadRequest, Forbidden, ServiceError
from incidents.models import Draft, Incident, utcnow
from incidents.text import LONE_SURROGATE

# Long enough for a case put aside for a few weeks; short enough that an abandoned draft, with
# the names in it, does not linger. Documented in docs/operations.md.
EXPIRY = datetime.timedelta(days=30)
# Everything the form can hold (three narratives at their longest, dozens of people) fits well
# within this; the page's own form posts are capped at 2 MiB.
MAX_BYTES = 1024 * 1024
MAX_FIELDS = 3000
MAX_VALUE = 100_000
# The form's field names: "title_ru", "persons-3-legal_name", "new_facility-name".
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,40}(-[0-9]{1,4}-[a-z][a-z0-9_]{0,40}|-[a-z][a-z0-9_]{0,40})?")
# Never kept: the token is the session's, not the form's.
NOT_KEPT = frozenset({"csrf_token"})


class DraftTooLarge(ServiceError):
    status = 413
    code = "too_large"


TOO_LARGE = _l("Too large to autosave on the server.")
MALFORMED = _l('Send a JSON object {"fields": [[name, value], ...]}.')


def form_key(incident: Incident | None) -> str:
    return "new" if incident is None else str(incident.id)


def _cutoff() -> datetime.datetime:
    return utcnow() - EXPIRY


def clean_fields(body) -> list[list[str]]:
    """The fields of a draft sent as JSON, or ``BadRequest``: pairs of a form field's name and a
    text value, nothing else (no nesting, no numbers, no names the form could not have)."""
    fields = body.get("fields") if isinstance(body, dict) else None
    if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
        raise BadRequest(MALFORMED)
    kept = []
    for pair in fields:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(part, str) for part in pair)) \
                or not FIELD_NAME.fullmatch(pair[0]) or len(pair[1]) > MAX_VALUE \
                or LONE_SURROGATE.search(pair[1]):  # a browser's form cannot send one
            raise BadRequest(MALFORMED)
        if pair[0] not in NOT_KEPT:
            kept.append(pair)
    return kept


def load(user, incident: Incident | None) -> Draft | None:
    """The user's own draft of this form, if they still may use the form and it has not expired."""
    if not policy.can_keep_draft(user, incident):
        return None
    return Draft.get_or_none((Draft.author == user.id) & (Draft.form == form_key(incident))
                             & (Draft.updated_at >= _cutoff()))


def save(user, incident: Incident | None, body, size: int | None) -> Draft:
    """Keep (or replace) the user's draft of this form. ``size`` is the request body's length:
    an oversized one is refused before it is parsed, and nothing is kept.

    :raise Forbidden: the user may not fill this form.
    :raise DraftTooLarge: more than ``MAX_BYTES``.
    :raise BadRequest: not the shape of a form's fields.
    """
    if not policy.can_keep_draft(user, incident):
        raise Forbidden(_l("You may not do this."))
    if size is None or size > MAX_BYTES:
        raise DraftTooLarge(TOO_LARGE)
    fields = clean_fields(body)
    version = None if incident is None else _version_of(fields, incident)
    with database.atomic():
        purge_expired()
        draft = Draft.get_or_none((Draft.author == user.id) & (Draft.form == form_key(incident)))
        if draft is None:
            draft = Draft(author=user.id, form=form_key(incident), incident=incident)
        draft.fields, draft.version, draft.updated_at = fields, version, utcnow()
        draft.save()
    return draft


def _version_of(fields: list[list[str]], incident: Incident) -> int:
    """The version the edit started from, as its form says (the hidden field the save checks)."""
    value = next((value for name, value in fields if name == "version"), "")
    return int(value) if value.isdecimal() and len(value) < 10 else incident.version


def discard(user, incident: Incident | None) -> None:
    """Gone: discarded by its author, or the form saved."""
    with database.atomic():
        Draft.delete().where((Draft.author == user.id) & (Draft.form == form_key(incident))).execute()


def purge_expired() -> int:
    """Delete every draft older than ``EXPIRY`` (run on every save of any draft)."""
    return Draft.delete().where(Draft.updated_at < _cutoff()).execute()


def as_json(draft: Draft, incident: Incident | None) -> dict:
    """The draft for its author's browser, with the incident's version now: when it moved on, the
    page warns that saving this draft will be refused rather than overwrite the newer save."""
    return {"fields": draft.fields, "version": draft.version,
            "current_version": None if incident is None else incident.version,
            "saved_at": draft.updated_at.replace(tzinfo=datetime.UTC).isoformat()}


def browser_key(user, secret: str) -> tuple[str, str]:
    """(name, key) for the browser's encrypted fallback copy: both derived from the app's secret
    and the user's id, so the same person finds their copy again after signing in, and the copy
    is useless to whoever uses the computer next. The key is AES-256 (base64), the name a tag for
    the copy's storage slot that does not show whose it is."""
    def derive(purpose: str) -> bytes:
        return hmac.new(secret.encode("utf-8"), f"incident-draft-{purpose}:{user.id}".encode(),
                        hashlib.sha256).digest()
    return derive("name").hex()[:24], base64.b64encode(derive("key")).decode("ascii")
