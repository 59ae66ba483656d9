"""Sessions end when they should: on logout, a new password, a new role or deactivation, on every
device; after idleness; after their maximum age; and a sign-in never reuses what came before."""
from __future__ import annotations

import time

import pytest

from incidents.accounts import credentials, sessions
from incidents.admin import service as admin
from tests.helpers import Browser


def signed_in(app, user) -> Browser:
    browser = Browser(app)
    assert browser.login(user).status_code == 302
    assert browser.get("/account").status_code == 200
    return browser


def is_signed_out(browser: Browser) -> bool:
    response = browser.get("/account")
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_ends_the_session_on_every_device(app, users):
    """Does signing out on one device end the session on every device?"""
    laptop, phone = signed_in(app, users["lawyer"]), signed_in(app, users["lawyer"])
    laptop.post("/logout")
    assert is_signed_out(laptop) and is_signed_out(phone)


@pytest.mark.parametrize("change", [
    lambda users: credentials.set_password(users["lawyer"], "another long passphrase", testing=True),
    lambda users: admin.change_role(users["admin"], users["lawyer"], "researcher"),
    lambda users: admin.set_active(users["admin"], users["lawyer"], False),
])
def test_a_new_password_role_or_deactivation_ends_every_session(app, users, change):
    """Does a new password, a new role or deactivation end every session of that user?"""
    phone = signed_in(app, users["lawyer"])
    change(users)
    assert is_signed_out(phone)


def test_other_users_sessions_go_on(app, users):
    """Does one user's new password sign anyone else out?"""
    other = signed_in(app, users["reviewer"])
    credentials.set_password(users["lawyer"], "another long passphrase", testing=True)
    assert not is_signed_out(other)


def test_an_idle_session_ends(app, users, monkeypatch):
    """Does an idle session end, while each request made in time restarts the idle clock?"""
    browser = signed_in(app, users["reviewer"])
    idle = app.config["SETTINGS"].SESSION_IDLE_MINUTES * 60
    start = time.time()
    monkeypatch.setattr(sessions.time, "time", lambda: start + idle - 120)
    assert not is_signed_out(browser)  # a request just inside the limit keeps it alive...
    monkeypatch.setattr(sessions.time, "time", lambda: start + 2 * idle - 180)
    assert not is_signed_out(browser)  # ...and restarts the idle clock
    monkeypatch.setattr(sessions.time, "time", lambda: start + 3 * idle)
    assert is_signed_out(browser)


def test_a_busy_session_still_ends_at_its_maximum_age(app, users, monkeypatch):
    """Does a session in constant use still end at its maximum age?"""
    browser = signed_in(app, users["reviewer"])
    settings = app.config["SETTINGS"]
    start, step = time.time(), settings.SESSION_IDLE_MINUTES * 60 - 120
    now = start
    while now + step < start + settings.SESSION_MAX_HOURS * 3600:
        now += step
        monkeypatch.setattr(sessions.time, "time", lambda now=now: now)
        assert not is_signed_out(browser)
    monkeypatch.setattr(sessions.time, "time", lambda: start + settings.SESSION_MAX_HOURS * 3600 + 60)
    assert is_signed_out(browser)


def test_signing_in_starts_a_new_session(app, users):
    """Does signing in start a fresh session, dropping whatever was planted in the cookie before?

    Whatever the cookie held before sign-in (a planted session, say) is gone after it."""
    browser = Browser(app)
    with browser.client.session_transaction() as planted:
        planted["planted"] = "by someone else"
    browser.login(users["researcher"])
    with browser.client.session_transaction() as current:
        assert "planted" not in current and current.get("nonce")
