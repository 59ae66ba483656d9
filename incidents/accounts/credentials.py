"""Passwords (argon2), one-time password links and API tokens.

Only hashes are stored: a copy of the database yields no password, link or token.
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import lazy_gettext as _l

from incidents import audit
from incidents.db import database
from incidents.errors import NotFound, ValidationFailed
from incidents.models import ROLES, ApiToken, PasswordLink, User, utcnow
from incidents.text import CONTROL, without_control

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
# zxcvbn's scale: 3 is "safely unguessable: moderate protection from an offline attack".
MIN_GUESS_SCORE = 3

_hashers: dict[bool, PasswordHasher] = {}


def _hasher(testing: bool) -> PasswordHasher:
    # Tests may lower the cost (TESTING); nothing else about the check changes.
    if testing not in _hashers:
        _hashers[testing] = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1) \
            if testing else PasswordHasher()
    return _hashers[testing]


# Verified against when the e-mail is unknown, so both failures take the same time.
_DUMMY_HASH = {}


def hash_password(password: str, testing: bool = False) -> str:
    return _hasher(testing).hash(password)


def check_password_rules(password: str, known: tuple[str, ...] = ()) -> None:
    """Long enough, and not a common password or a simple pattern; no composition rules (NIST
    SP 800-63B). zxcvbn matches the password against lists of common passwords, words and names,
    keyboard rows, repeats, sequences, dates and ``known`` (the person's e-mail and name).

    :raise ValidationFailed: too short, too long, or too easy to guess.
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(_l("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH),
                               {"password": [_l("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)]})
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(_l("That password is too long."),
                               {"password": [_l("That password is too long.")]})
    # zxcvbn reads at most 72 characters; a guessable start is not saved by a long tail anyway.
    # Imported when a password is chosen: its word lists would hold 14 MB in every web worker.
    from zxcvbn import zxcvbn
    if zxcvbn(password[:72], user_inputs=[k for k in known if k])["score"] < MIN_GUESS_SCORE:
        message = _l("This password is too easy to guess: it is a common one, or a simple pattern (a "
                     "repeat, a sequence, a keyboard row, your name). A few unusual words together make "
                     "a strong one.")
        raise ValidationFailed(message, {"password": [message]})


def authenticate(email: str, password: str, testing: bool = False) -> User | None:
    """The active user with this e-mail and password, or None, in the same time either way."""
    user = User.get_or_none(User.email == normalise_email(email))
    hasher = _hasher(testing)
    if testing not in _DUMMY_HASH:
        _DUMMY_HASH[testing] = hasher.hash(secrets.token_hex(16))
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH[testing]
    try:
        hasher.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or not user.active or not user.password_hash:
        return None
    return user


def normalise_email(email: str) -> str:
    """The form every account lookup uses. Control characters go: no account holds them, and
    PostgreSQL refuses a NUL in a query at all (a 500 instead of "wrong e-mail or password")."""
    return without_control(email or "").strip().lower()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_user(email: str, role: str, actor=None, name: str = "") -> User:
    """:raise ValidationFailed: bad e-mail, unknown role, or the e-mail is taken."""
    typed, email = email or "", normalise_email(email)
    errors = {}
    if not email or "@" not in email or len(email) > 254 or any(c.isspace() for c in email) \
            or CONTROL.search(typed):
        errors["email"] = [_l("Enter a valid e-mail address.")]
    elif User.get_or_none(User.email == email):
        errors["email"] = [_l("A user with this e-mail address exists already.")]
    if role not in ROLES:
        errors["role"] = [_l("Unknown role.")]
    if len(name or "") > 200:
        errors["name"] = [_l("Too long: at most %(n)s characters.", n=200)]
    elif CONTROL.search(name or ""):  # shown in lists and the audit trail, like any text
        errors["name"] = [_l("Contains control characters; please remove them.")]
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), errors)
    with database.atomic():
        user = User.create(email=email, role=role, name=(name or "").strip())
        audit.record(actor, "user.create", user, role=role)
    return user


def end_sessions(user: User) -> None:
    """End every session of ``user``, on every device: each carries the epoch it began in."""
    User.update(session_epoch=User.session_epoch + 1).where(User.id == user.id).execute()
    user.session_epoch = User.get_by_id(user.id).session_epoch


def revoke_tokens(user: User) -> None:
    """Revoke every API token of ``user`` for good: a new password, a new role or a deactivation
    must not leave old keys working, nor a later reactivation bring them back."""
    ApiToken.update(revoked=True).where(ApiToken.user == user).execute()


def void_password_links(user: User) -> None:
    """Void every unused set-password link of ``user``: one sent before a deactivation must not
    let anyone in after a reactivation."""
    PasswordLink.delete().where((PasswordLink.user == user) & PasswordLink.used_at.is_null()).execute()


def set_password(user: User, password: str, testing: bool = False, actor=None) -> None:
    check_password_rules(password, (user.email, user.name))
    with database.atomic():
        user.password_hash = hash_password(password, testing)
        user.save(only=[User.password_hash])
        end_sessions(user)  # a new password ends every session the old one may have opened
        revoke_tokens(user)
        audit.record(actor or user, "user.set_password", user)


def issue_password_link(user: User | None, minutes: int, actor=None) -> str:
    """A one-time secret for /set-password/<secret>; ``user`` None means the first administrator.

    Issuing a new link for the same user (or for the first administrator) voids older ones.
    """
    secret = secrets.token_urlsafe(32)
    with database.atomic():
        if user is None:
            PasswordLink.delete().where(PasswordLink.user.is_null() & PasswordLink.used_at.is_null()).execute()
        else:
            void_password_links(user)
        PasswordLink.create(user=user, token_hash=_digest(secret),
                            expires_at=utcnow() + datetime.timedelta(minutes=minutes))
        audit.record(actor, "user.password_link", user, minutes=minutes)
    return secret


def find_password_link(secret: str) -> PasswordLink:
    """:raise NotFound: unknown, used or expired (one message for all three)."""
    link = PasswordLink.get_or_none(PasswordLink.token_hash == _digest(secret or ""))
    if link is None or link.used_at is not None or link.expires_at < utcnow():
        raise NotFound(_l("This link is not valid any more. Ask an administrator for a new one."))
    if link.user_id is None and User.select().exists():
        raise NotFound(_l("This link is not valid any more. Ask an administrator for a new one."))
    return link


def use_password_link(secret: str, password: str, *, email: str = "", name: str = "",
                      testing: bool = False) -> User:
    """Set the password through a link; creates the first administrator when the link is for one.

    :raise NotFound: the link is not valid. :raise ValidationFailed: bad password or e-mail.
    """
    link = find_password_link(secret)
    check_password_rules(password, (email, name) if link.user_id is None else (link.user.email, link.user.name))
    with database.atomic():
        # Claim the link first: of two requests racing with one link, only one gets this row.
        claimed = (PasswordLink.update(used_at=utcnow())
                   .where((PasswordLink.id == link.id) & PasswordLink.used_at.is_null()).execute())
        if not claimed or (link.user_id is None and User.select().exists()):
            raise NotFound(_l("This link is not valid any more. Ask an administrator for a new one."))
        user = link.user if link.user_id else create_user(email, "admin", None, name)
        user.password_hash = hash_password(password, testing)
        user.save(only=[User.password_hash])
        end_sessions(user)
        revoke_tokens(user)
        audit.record(user, "user.set_password", user, via="link")
    return user


def issue_api_token(user: User) -> str:
    token = "inc_" + secrets.token_urlsafe(32)
    with database.atomic():
        ApiToken.create(user=user, token_hash=_digest(token))
        audit.record(user, "user.api_token", user)
    return token


def user_for_token(token: str) -> User | None:
    """The active user holding this unrevoked token, or None."""
    if not token or len(token) > 200:
        return None
    row = (ApiToken.select(ApiToken, User).join(User)
           .where((ApiToken.token_hash == _digest(token)) & (ApiToken.revoked == False))  # noqa: E712
           .first())
    if row is None or not hmac.compare_digest(row.token_hash, _digest(token)) or not row.user.active:
        return None
    return row.user


def get_user(user_id) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise NotFound(_l("No such user."))
    return user
