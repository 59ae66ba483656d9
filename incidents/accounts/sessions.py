"""Signed-in sessions: begun fresh at sign-in, and over after idleness, after a maximum age, or
as soon as the user's session epoch moves (logout, new password, new role, deactivation), on every
device at once. The session is Flask's signed cookie; what is checked lives in it.

Only the reader's language crosses a sign-in, a sign-out or an ended session (``clear``): it is
the one thing a visitor chooses before signing in, and nothing about who they are.
"""
from __future__ import annotations

import secrets
import time

from flask import session
from flask_login import login_user, logout_user

from incidents.accounts import credentials
from incidents.config import CHOSEN_LANGUAGE as LANGUAGE
from incidents.config import LANGUAGES
from incidents.models import User

# "seen" is rewritten at most this often, so that every request does not send a new cookie.
SEEN_RESOLUTION = 60


def clear() -> None:
    """Empty the session but for the language chosen in this browser, if it is one we speak."""
    chosen = session.get(LANGUAGE)
    session.clear()
    if chosen in LANGUAGES:
        session[LANGUAGE] = chosen


def begin(user) -> None:
    """Sign in with a session that shares nothing with whatever cookie came before but its language.

    A language chosen in this browser (on the sign-in page, say) is the newest word on it, so it is
    stored on the account; with none chosen, the account's own is this browser's from now on, and
    stays after signing out.
    """
    clear()
    chosen = session.get(LANGUAGE)
    if chosen and chosen != user.locale:
        user.locale = chosen
        User.update(locale=chosen).where(User.id == user.id).execute()
    elif not chosen and user.locale in LANGUAGES:
        session[LANGUAGE] = user.locale
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
    clear()


# Minutes between a correct password and the second factor before the password is asked again.
PENDING_MINUTES = 5


def await_second_factor(user, next_url: str) -> None:
    """The password was right; nothing is signed in until the code is, too."""
    clear()
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
