"""Guessing is slowed down, and passwords that are easy to guess are refused."""
from __future__ import annotations

import datetime

import pytest

from incidents.accounts import credentials, throttle
from incidents.errors import ValidationFailed
from incidents.models import LoginFailure, utcnow
from tests.helpers import PASSWORD, Browser, password_attempt


def test_an_account_is_locked_for_a_while_after_failures_whatever_the_address(app, users):
    """After too many failed sign-ins to one account from any address, is even the right password refused
    for a while, while other accounts can still sign in?"""
    email = users["lawyer"].email
    for index in range(throttle.ACCOUNT_LIMIT):
        response = password_attempt(Browser(app), email, f"wrong guess number {index}")
        assert response.status_code == 400
    refused = password_attempt(Browser(app), email, PASSWORD)  # even the right password, from anywhere
    assert refused.status_code == 429 and "Too many failed attempts" in refused.get_data(as_text=True)
    assert password_attempt(Browser(app), users["reviewer"].email, PASSWORD).status_code == 302  # others go on


def test_unknown_and_known_accounts_are_throttled_alike(app, users):
    """Can a stranger tell whether an account exists from the way failed sign-ins are throttled?

    The answer never tells whether an account exists."""
    answers = {}
    for email in ("nobody@example.org", users["lawyer"].email):
        for _ in range(throttle.ACCOUNT_LIMIT):
            password_attempt(Browser(app), email, "not the password at all")
        answer = password_attempt(Browser(app), email, "not the password at all")
        answers[email] = (answer.status_code, "Too many failed attempts" in answer.get_data(as_text=True))
    assert set(answers.values()) == {(429, True)}


def test_one_address_guessing_many_accounts_is_stopped(app, users):
    """Is one address that guesses at many accounts stopped?"""
    browser = Browser(app)
    for index in range(throttle.ADDRESS_LIMIT):
        password_attempt(browser, f"person{index}@example.org", "a guess that is wrong")
    assert password_attempt(browser, users["reviewer"].email, PASSWORD).status_code == 429


def test_failures_are_forgotten_after_the_window(app, users):
    """Are failed sign-ins forgotten once the throttling window has passed?"""
    email = users["lawyer"].email
    for _ in range(throttle.ACCOUNT_LIMIT):
        password_attempt(Browser(app), email, "wrong again and again")
    LoginFailure.update(at=utcnow() - throttle.WINDOW - datetime.timedelta(seconds=1)).execute()
    assert password_attempt(Browser(app), email, PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_accounts_count(app, users):
    """Does a successful sign-in clear the account's count of failed attempts?"""
    email = users["lawyer"].email
    for _ in range(throttle.ACCOUNT_LIMIT - 1):
        password_attempt(Browser(app), email, "almost locked out")
    assert password_attempt(Browser(app), email, PASSWORD).status_code == 302
    assert password_attempt(Browser(app), email, "one more slip").status_code == 400


@pytest.mark.parametrize("password", [
    "passwordpassword", "123456789012", "qwertyuiopasdf", "aaaaaaaaaaaaaaaa", "iloveyou12345",
    "lawyer@example.org1",
])
def test_guessable_passwords_are_refused(users, password):
    """Are easily guessed passwords, including one made from the user's own address, refused?"""
    with pytest.raises(ValidationFailed) as refused:
        credentials.set_password(users["lawyer"], password, testing=True)
    assert "password" in refused.value.fields


@pytest.mark.parametrize("password", [PASSWORD, "зимний вечер у окна", "Tre kroner og en sykkel"])
def test_passphrases_are_accepted_without_composition_rules(users, password):
    """Are long passphrases in any language accepted without rules on digits, capitals or symbols?"""
    credentials.set_password(users["lawyer"], password, testing=True)
    assert credentials.authenticate(users["lawyer"].email, password, testing=True) == users["lawyer"]


def test_behind_a_trusted_proxy_the_limit_is_per_visitor(settings, users):
    """Behind a trusted proxy, does one visitor's guessing lock out only that visitor and not others behind
    the same proxy?

    With the proxy declared, one visitor's failures do not stop the others behind the same proxy."""
    from incidents import create_app
    app = create_app(dict(settings, TRUSTED_PROXIES=1))
    browser = Browser(app)
    for index in range(throttle.ADDRESS_LIMIT):
        browser.client.post("/login", data={"email": f"p{index}@example.org", "password": "wrong guess here",
                                            "csrf_token": browser.csrf_token("/login")},
                            headers={"X-Forwarded-For": "203.0.113.7"})
    blocked = browser.client.post("/login", data={"email": users["researcher"].email, "password": PASSWORD,
                                                  "csrf_token": browser.csrf_token("/login")},
                                  headers={"X-Forwarded-For": "203.0.113.7"})
    assert blocked.status_code == 429
    other = Browser(app)
    allowed = other.client.post("/login", data={"email": users["researcher"].email, "password": PASSWORD,
                                                "csrf_token": other.csrf_token("/login")},
                                headers={"X-Forwarded-For": "198.51.100.9"})
    assert allowed.status_code == 302


def test_an_ipv6_subscriber_counts_as_one_address():
    """Do addresses within the same IPv6 /64 network count as one address for sign-in throttling?"""
    assert throttle._address_key("2001:db8:1:2::1") == throttle._address_key("2001:db8:1:2:ffff::9")
    assert throttle._address_key("2001:db8:1:3::1") != throttle._address_key("2001:db8:1:2::1")
