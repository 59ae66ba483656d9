"""Device cookies: a browser that has signed in to an account before keeps a count of its own.

After OWASP's "Slow Down Online Guessing Attacks with Device Cookies": throttle.py counts the
failures of a browser that presents a valid device cookie for the account under that device, not
under the account, so a stranger's wrong guesses do not lock the owner out of their own browser.
The cookie never signs anyone in and outlives the session (logout keeps it), so it is given only
after a complete sign-in (the password and, when enrolled, the code) and says nothing about who
holds it: everything in it is signed with SECRET_KEY under a salt of its own, and holds

- an HMAC of the normalised e-mail and the account's password hash: it is for one account but does
  not reveal which, even to someone trying e-mail addresses (a plain hash could be checked against
  a list); and a new password voids every device cookie of the account (a lost laptop, a shared
  browser) without a column to keep them in;
- a random nonce that names the device.

A cookie older than DAYS is void; each sign-in gives a fresh one.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from incidents.accounts.credentials import normalise_email
from incidents.models import User

COOKIE = "incidents_device"
DAYS = 90
_SALT = "incidents.auth.device-cookie"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _account_tag(user: User) -> str:
    message = f"{_SALT}:{normalise_email(user.email)}:{user.password_hash}".encode()
    return hmac.new(current_app.secret_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def remember(response, user: User):
    """Give this browser a device cookie for ``user``, who has just signed in; returns ``response``."""
    value = _serializer().dumps({"account": _account_tag(user), "nonce": secrets.token_urlsafe(16)})
    response.set_cookie(COOKIE, value, max_age=DAYS * 86400, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def throttle_key(email: str, cookie: str | None) -> str | None:
    """The key this device's attempts on ``email`` are counted under, or None when ``cookie`` is
    no valid device cookie for that account (absent, altered, expired, for another account, from
    before the account's latest password, or the account is deactivated)."""
    if not cookie:
        return None
    try:
        data = _serializer().loads(cookie, max_age=DAYS * 86400)
    except BadData:
        return None
    user = User.get_or_none(User.email == normalise_email(email))
    if user is None or not user.active or not hmac.compare_digest(data["account"], _account_tag(user)):
        return None
    return "device:" + hashlib.sha256(data["nonce"].encode("utf-8")).hexdigest()
