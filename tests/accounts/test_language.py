"""The reader's language sticks: chosen on any page, signed in or not, it is kept through sign-in
(with or without a second factor), sign-out and an expired session, and stored on the account."""
from __future__ import annotations

import re
import time

import pytest

from incidents.accounts import sessions
from incidents.models import User
from tests.helpers import Browser


def page_language(browser: Browser, path: str = "/") -> str:
    html = browser.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    return re.search(r'<html lang="([a-z]+)"', html).group(1)


def choose(browser: Browser, lang: str, on: str = "/login"):
    response = browser.post("/language", data={"lang": lang, "next": on, "csrf_token": browser.csrf_token(on)},
                            headers={"Accept-Language": "en"})
    assert response.status_code == 302


@pytest.mark.parametrize("role", ["contributor", "reviewer"])  # the reviewer has a second factor
def test_a_language_chosen_before_signing_in_is_kept_and_stored(app, users, role):
    """Is Russian, chosen on the sign-in page, still the language after signing in (with a second
    factor too), stored on the account, and kept after signing out?"""
    browser = Browser(app)
    choose(browser, "ru")
    assert page_language(browser, "/login") == "ru"
    assert browser.login(users[role]).status_code == 302
    assert page_language(browser) == "ru"
    assert page_language(browser, "/account") == "ru"
    assert User.get_by_id(users[role].id).locale == "ru"
    browser.post("/logout")
    assert page_language(browser) == "ru"


def test_a_choice_on_the_sign_in_page_wins_over_an_older_account_language(app, users):
    """Does a language chosen on the sign-in page win over the one the account stored earlier?"""
    User.update(locale="uk").where(User.id == users["contributor"].id).execute()
    browser = Browser(app)
    choose(browser, "ru")
    browser.login(users["contributor"])
    assert page_language(browser) == "ru"
    assert User.get_by_id(users["contributor"].id).locale == "ru"


def test_the_account_language_applies_when_this_browser_chose_none_and_stays_after_sign_out(app, users):
    """With no choice made in this browser, is the account's language used, and kept after signing out?"""
    User.update(locale="uk").where(User.id == users["contributor"].id).execute()
    browser = Browser(app)
    assert page_language(browser, "/login") == "en"
    browser.login(users["contributor"])
    assert page_language(browser) == "uk"
    browser.post("/logout")
    assert page_language(browser) == "uk"


def test_a_choice_while_signed_in_is_stored_and_outlives_the_session(app, users, monkeypatch):
    """Is a language chosen while signed in stored on the account, and is the sign-in page shown in
    it once the session has expired?"""
    browser = Browser(app)
    browser.login(users["contributor"])
    choose(browser, "uk", on="/account")
    assert User.get_by_id(users["contributor"].id).locale == "uk"
    later = time.time() + app.config["SETTINGS"].SESSION_IDLE_MINUTES * 60 + 60
    monkeypatch.setattr(sessions.time, "time", lambda: later)
    response = browser.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert page_language(browser, "/login") == "uk"


def test_an_expired_session_keeps_a_choice_made_before_signing_in(app, users, monkeypatch):
    """After a session expires, is the sign-in page in the language chosen before signing in?"""
    browser = Browser(app)
    choose(browser, "ru")
    browser.login(users["reviewer"])
    later = time.time() + app.config["SETTINGS"].SESSION_IDLE_MINUTES * 60 + 60
    monkeypatch.setattr(sessions.time, "time", lambda: later)
    assert browser.get("/account").status_code == 302
    assert page_language(browser, "/login") == "ru"


def test_only_the_language_crosses_a_sign_in(app, users):
    """Does anything but the language survive into the session begun at sign-in?"""
    browser = Browser(app)
    choose(browser, "ru")
    with browser.client.session_transaction() as planted:
        planted["planted"] = "x"
        planted["lang"] = "ru"
    browser.login(users["contributor"])
    with browser.client.session_transaction() as session:
        assert "planted" not in session and session["lang"] == "ru"


def test_a_query_parameter_wins_for_its_request_only(app, users):
    """Does ``?lang=`` show one page in that language without changing the choice?"""
    browser = Browser(app)
    choose(browser, "ru")
    assert page_language(browser, "/login?lang=uk") == "uk"
    assert page_language(browser, "/login") == "ru"
