"""Signed-in sessions: begun fresh at sign-in, and over after idleness, after a maximum age, or
as soon as the user's session epoch moves (logout, new password, new role, deactivation), on every
device at once. The session is Flask's signed cookie; what is checked lives in it."""
from __future__ import annotations

import secrets
import time

from flask import session
from flask_login import login_user, logout_user

from incidents.accounts import credentials
from incidents.models import User

# "seen" is rewritten at most this often, so that every request does not send a new cookie.
SEEN_RESOLUTION = 60


def begin(user) -> None:
    """Sign in with a session that shares nothing with whatever cookie came before."""
    session.clear()
    login_user(user)
    now = int(time.time())
    session.update(epoch=user.session_epoch, started=now, seen=now, nonce=secrets.token_urlsafe(16))


def is_current(user, settings) -> bool:
    """Whether this request's session may still act for ``user``; refreshes its idle clock."""
    now = int(time.time())
    if session.get("epoch") != user.session_epoch:
        return False
    if now - session.get("started", 0) > settings.SESSION_MAX_HOURS * 3600:
        return False
    if now - session.get("seen", 0) > settings.SESSION_IDLE_MINUTES * 60:
        return False
    if now - session["seen"] >= SEEN_RESOLUTION:
        session["seen"] = now
    return True


def end_everywhere(user) -> None:
    """Sign out here and on every other device."""
    credentials.end_sessions(user)
    logout_user()
    session.clear()


# Minutes between a correct password and the second factor before the password is asked again.
PENDING_MINUTES = 5


def await_second_factor(user, next_url: str) -> None:
    """The password was right; nothing is signed in until the code is, too."""
    session.clear()
    session["pending"] = {"user": user.id, "epoch": user.session_epoch, "at": int(time.time()),
                          "next": next_url or ""}


def pending_user():
    """(user, next) waiting for their second factor, or (None, '') when there is none or it expired."""
    pending = session.get("pending") or {}
    user = User.get_or_none(User.id == pending.get("user")) if isinstance(pending.get("user"), int) else None
    if user is None or not user.active or pending.get("epoch") != user.session_epoch \
            or time.time() - pending.get("at", 0) > PENDING_MINUTES * 60:
        return None, ""
    return user, pending.get("next", "")
