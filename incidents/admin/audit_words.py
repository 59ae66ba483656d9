"""The audit trail in the reader's words: what was done, to what, and how, as a sentence in their
language. The stored event keeps its stable codes (``user.change_role``, ``from_status``): they are
what the hash chain covers and what the filters match, and the page shows them beside the words."""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from incidents import i18n, vocab

ACTION_LABELS = {
    "user.create": _l("Created an account"),
    "user.change_role": _l("Changed an account's role"),
    "user.activate": _l("Reactivated an account"),
    "user.deactivate": _l("Deactivated an account"),
    "user.login": _l("Signed in"),
    "user.logout": _l("Signed out"),
    "user.set_password": _l("Set a password"),
    "user.password_link": _l("Issued a link to set a password"),
    "user.api_token": _l("Issued an API token"),
    "user.two_factor_enrol": _l("Turned on the second factor"),
    "user.recovery_code_used": _l("Signed in with a recovery code"),
    "user.recovery_codes_renew": _l("Made new recovery codes"),
    "incident.create": _l("Created an incident"),
    "incident.update": _l("Edited an incident"),
    "incident.view_confidential": _l("Read an incident's confidential fields"),
    "incident.view_history": _l("Read an incident's history"),
    "incident.submit": _l("Submitted an incident for review"),
    "incident.approve": _l("Approved and published an incident"),
    "incident.request_changes": _l("Returned an incident for changes"),
    "incident.reject": _l("Rejected an incident"),
    "incident.retract": _l("Retracted an incident"),
    "facility.create": _l("Added a facility"),
    "facility.update": _l("Edited a facility"),
    "comment.create": _l("Wrote in an incident's conversation"),
    "duplicate.mark": _l("Marked two incidents"),
    "duplicate.unmark": _l("Removed the mark between two incidents"),
    "evidence.attach": _l("Attached evidence"),
    "evidence.assign": _l("Tied an archived item to an incident"),
    "evidence.detach": _l("Detached an evidence item"),
    "evidence.withdraw": _l("Withdrew an evidence item from its incident"),
    "evidence.view_confidential": _l("Read the confidential details of evidence"),
    "evidence.ingest_start": _l("Began ingesting an archive"),
    "evidence.ingest_finish": _l("Finished ingesting an archive"),
    "evidence.assess": _l("Assessed an evidence item"),
    "evidence.confirm_verification": _l("Confirmed a verification status"),
    "evidence.redaction": _l("Decided what an item's public copy hides"),
    "evidence.store_check": _l("Checked every file of the evidence store"),
    "dossier.export": _l("Exported a dossier"),
    "audit.stamp": _l("Had the head of the audit trail timestamped"),
    "projection.baseline": _l("Vouched for the published records as they were"),
    "instance.backup": _l("Made a backup"),
    "instance.restore": _l("Restored a backup"),
    "organisation.update": _l("Changed the organisation profile"),
}

# Object types are the models' names in lower case (audit.record).
OBJECT_LABELS = {
    "user": _l("account %(id)s"),
    "incident": _l("incident %(id)s"),
    "facility": _l("facility %(id)s"),
    "evidenceitem": _l("evidence item %(id)s"),
    "ingestbatch": _l("archive ingest %(id)s"),
    "auditstamp": _l("timestamp %(id)s"),
    "organisationprofile": _l("the organisation profile"),
}

# What the filter offers: the kinds of object events are about.
OBJECT_TYPES = {
    "incident": _l("Incidents"),
    "facility": _l("Facilities"),
    "evidenceitem": _l("Evidence items"),
    "ingestbatch": _l("Archive ingests"),
    "user": _l("Accounts"),
    "auditstamp": _l("Timestamps of the audit trail"),
    "organisationprofile": _l("The organisation profile"),
}

# A change of one value is written as one phrase, "Status: in review → published".
PAIRS = (("from_status", "to_status", _l("Status"), vocab.STATUS_LABELS),
         ("old", "new", _l("Role"), vocab.ROLE_LABELS),
         ("previous", "status", _l("Verification status"), vocab.VERIFICATION_LABELS))

DETAIL_LABELS = {
    "role": _l("Role"),
    "second_factor": _l("With the second factor"),
    "via": _l("How"),
    "minutes": _l("Valid for, minutes"),
    "version": _l("Version"),
    "revision": _l("Revision"),
    "review_event": _l("Review event"),
    "projection_sha256": _l("Digest of the public record"),
    "projections": _l("Public records vouched for"),
    "confirmed": _l("Verification statuses vouched for"),
    "incident": _l("Incident"),
    "incidents": _l("Incidents"),
    "other": _l("The other incident"),
    "verdict": _l("Verdict"),
    "comment": _l("Comment"),
    "parent": _l("In answer to comment"),
    "kind": _l("Kind"),
    "sha256": _l("SHA-256"),
    "part": _l("Part"),
    "outcome": _l("Outcome"),
    "assessment": _l("Assessment"),
    "decision": _l("Decision"),
    "boxes": _l("Areas hidden"),
    "digest": _l("Digest of the public copy"),
    "files": _l("Files"),
    "new": _l("New files"),
    "refused": _l("Refused"),
    "checked": _l("Files checked"),
    "changed": _l("Changed"),
    "missing": _l("Missing"),
    "redaction": _l("Redaction"),
    "layout": _l("Layout"),
    "format": _l("Format"),
    "language": _l("Language"),
    "include_files": _l("With the files"),
    "items": _l("Evidence items"),
    "event": _l("Last event"),
    "head": _l("Hash of the head"),
    "stamped_at": _l("Stamped at"),
    "authority": _l("Timestamp authority"),
    "subject": _l("Subject"),
    "file": _l("File"),
    "size": _l("Size"),
    "key_id": _l("Key"),
    "backup_created_at": _l("Backup made at"),
    "created": _l("Set for the first time"),
    "changes": _l("What changed"),
}

# The organisation profile's fields, as its change is recorded (admin/organisation.py).
PROFILE_FIELDS = {"names": _l("Organisation's name"), "address": _l("Postal address"), "email": _l("E-mail"),
                  "phone": _l("Telephone"), "website": _l("Website"), "consent": _l("Consent statement"),
                  "logo": _l("Logo (SHA-256)")}

VALUE_LABELS = {
    "role": vocab.ROLE_LABELS,
    "part": vocab.ASSESSMENT_PART_LABELS,
    "outcome": vocab.ASSESSMENT_OUTCOME_LABELS,
    "verdict": {"same": _l("the same event"), "different": _l("not a duplicate")},
    "decision": {"redact": _l("hide areas"), "publish_unredacted": _l("publish unredacted")},
    "redaction": {"public": _l("public"), "confidential": _l("confidential")},
    "layout": {"dossier": _l("full dossier"), "un_srt": _l("UN Special Rapporteur on Torture"),
               "echr": _l("European Court of Human Rights"), "cpt": _l("Council of Europe CPT")},
    "via": {"link": _l("through a one-time link"), "api list": _l("through the API's list")},
    "kind": {"link": _l("a link")},
    "confirmed": vocab.VERIFICATION_LABELS,
}
CODES = {"sha256", "projection_sha256", "digest", "head", "key_id", "file", "authority", "subject", "format"}
TIMES = {"stamped_at", "backup_created_at"}


@dataclass
class Detail:
    label: str
    text: str
    code: bool = False  # a hash, a file name or an address: shown as it is, in <code>


@dataclass
class Described:
    action: str  # the sentence; the code when the action is one this module does not know
    object: str
    details: list


def _value(key: str, value) -> str:
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if value is None:
        return "—"
    if key in TIMES:
        try:
            return format_datetime(datetime.datetime.fromisoformat(str(value)), "short")
        except ValueError:
            return str(value)
    if key == "language":
        return i18n.language_name(str(value))
    if key == "size" and isinstance(value, int):
        return i18n.format_size(value)
    if key == "changes" and isinstance(value, dict):
        return "; ".join(f"{PROFILE_FIELDS.get(field, field)}: {_value(field, change.get('old'))} → "
                         f"{_value(field, change.get('new'))}" for field, change in value.items()) or "—"
    if key in ("names", "consent") and isinstance(value, dict):  # a text in each language
        return ", ".join(f"{i18n.language_name(code)}: {text}" for code, text in value.items()) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value(key, v)}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return ", ".join(_value(key, v) for v in value) or "—"
    labels = VALUE_LABELS.get(key, {})
    return str(labels.get(value, value))


def describe(event) -> Described:
    detail = dict(event.detail or {})
    details = []
    for before, after, label, labels in PAIRS:
        if before in detail and after in detail:
            old, new = detail.pop(before), detail.pop(after)
            details.append(Detail(str(label), f"{labels.get(old, old or '—')} → {labels.get(new, new or '—')}"))
    for key, value in detail.items():
        if key in DETAIL_LABELS:
            details.append(Detail(str(DETAIL_LABELS[key]), _value(key, value), key in CODES))
        else:  # a key written by a newer version: shown as stored rather than guessed at
            details.append(Detail(key, _value(key, value), True))
    label = OBJECT_LABELS.get(event.object_type)
    thing = str(label % {"id": event.object_id}) if label else f"{event.object_type} {event.object_id}".strip()
    return Described(str(ACTION_LABELS.get(event.action, event.action)), thing, details)


def action_choices() -> list[tuple[str, str]]:
    """Every action by its words, in the reader's alphabetical order (the filter matches a prefix of
    the code, so a whole code chooses that action alone)."""
    return sorted(((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda pair: pair[1])


def object_type_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in OBJECT_TYPES.items()]
