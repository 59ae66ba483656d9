"""Two-factor sign-in: time-based one-time codes (TOTP, RFC 6238, via pyotp) and recovery codes.

Required for administrators, reviewers and lawyers, who can read identities; available to every
one else. A code is accepted within one time step either side of now, and only once: the last
step used is kept and a code of the same or an earlier step is refused, so a code seen over a
shoulder or phished is worthless once used. Recovery codes are shown once and kept as hashes.
Everything here acts on the user it is given; pages pass only the signed-in user.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from flask_babel import lazy_gettext as _l

from incidents import audit
from incidents.db import database
from incidents.errors import ValidationFailed
from incidents.models import RecoveryCode, User, utcnow

REQUIRED_FOR = frozenset({"admin", "reviewer", "lawyer"})
RECOVERY_CODES = 10
ISSUER = "Detention Abuse Register"


def is_required(user) -> bool:
    return user.role in REQUIRED_FOR


def is_enabled(user) -> bool:
    return bool(user.totp_secret)


def pending_secret(user: User) -> str:
    """The secret being enrolled, made on first ask; the confirmed one (if any) stays in force."""
    if not user.totp_pending:
        user.totp_pending = pyotp.random_base32()
        user.save(only=[User.totp_pending])
    return user.totp_pending


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _matching_step(secret: str, code: str, after: int) -> int | None:
    """The time step (now, or one either side) whose code is ``code``, if later than ``after``."""
    code = "".join(code.split()) if isinstance(code, str) else ""
    # ASCII digits only: "²" is a digit to isdigit(), and compare_digest refuses non-ASCII text.
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(time.time())
    for step in (now - 1, now, now + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _digest(code: str) -> str:
    return hashlib.sha256("".join(code.lower().split()).encode("utf-8")).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.delete().where(RecoveryCode.user == user).execute()
    codes = ["-".join(secrets.token_hex(3) for _ in range(3)) for _ in range(RECOVERY_CODES)]
    RecoveryCode.insert_many([{"user": user, "code_hash": _digest(c)} for c in codes]).execute()
    return codes


WRONG_CODE = _l("That code is not right, or it was used already. Codes change every 30 seconds.")


def _refused() -> ValidationFailed:
    return ValidationFailed(WRONG_CODE, {"code": [WRONG_CODE]})


def confirm(user: User, code: str) -> list[str]:
    """Put the pending secret in force with a code from it; returns new recovery codes (show once).

    :raise ValidationFailed: no enrolment under way, or a wrong code.
    """
    if not user.totp_pending:
        raise _refused()
    step = _matching_step(user.totp_pending, code, 0)
    if step is None:
        raise _refused()
    with database.atomic():
        User.update(totp_secret=user.totp_pending, totp_pending=None, totp_last_step=step) \
            .where(User.id == user.id).execute()
        codes = _new_recovery_codes(user)
        audit.record(user, "user.two_factor_enrol", user)
    user.totp_secret, user.totp_pending, user.totp_last_step = user.totp_pending, None, step
    return codes


def check(user: User, code: str) -> bool:
    """A current code, or an unused recovery code; either works once. Records what was used."""
    if not is_enabled(user):
        return False
    step = _matching_step(user.totp_secret, code, user.totp_last_step)
    if step is not None:
        # Claim the step in the database, so that two requests racing with one code cannot both pass.
        claimed = User.update(totp_last_step=step) \
            .where((User.id == user.id) & (User.totp_last_step < step)).execute()
        if claimed:
            user.totp_last_step = step
        return bool(claimed)
    with database.atomic():
        used = RecoveryCode.update(used_at=utcnow()).where(
            (RecoveryCode.user == user) & (RecoveryCode.code_hash == _digest(code or ""))
            & RecoveryCode.used_at.is_null()).execute()
        if used:
            audit.record(user, "user.recovery_code_used", user)
    return bool(used)


def new_recovery_codes(user: User, code: str) -> list[str]:
    """Replace the recovery codes, after a code proves the authenticator is at hand.

    :raise ValidationFailed: a wrong code.
    """
    if not check(user, code):
        raise _refused()
    with database.atomic():
        codes = _new_recovery_codes(user)
        audit.record(user, "user.recovery_codes_renew", user)
    return codes


def restart(user: User, code: str) -> None:
    """Begin enrolling a new authenticator (a new phone); the old one works until it is confirmed.

    :raise ValidationFailed: a wrong code.
    """
    if not check(user, code):
        raise _refused()
    User.update(totp_pending=None).where(User.id == user.id).execute()
    user.totp_pending = None
    pending_secret(user)


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.select().where((RecoveryCode.user == user) & RecoveryCode.used_at.is_null()).count()
