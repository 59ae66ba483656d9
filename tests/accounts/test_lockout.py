"""A stranger's wrong guesses do not lock the owner out of their own browser (device cookies), and
a burst of simultaneous guesses gets no more password checks than the limit."""
from __future__ import annotations

import hashlib
import json
import re
import threading
import time

import pytest
import requests
from itsdangerous import URLSafeTimedSerializer

from incidents.accounts import credentials, devices, throttle
from incidents.admin import service as admin
from incidents.db import database
from incidents.models import LoginFailure
from tests.helpers import PASSWORD, Browser, current_code, password_attempt


def owners_browser(app, user) -> Browser:
    """A browser ``user`` has signed in with (and out of again): it holds a device cookie."""
    browser = Browser(app)
    assert browser.login(user).status_code == 302
    assert browser.post("/logout").status_code == 302
    return browser


def use_up_the_accounts_limit(app, email: str) -> None:
    for index in range(throttle.ACCOUNT_LIMIT):
        assert password_attempt(Browser(app), email, f"a stranger's guess {index}").status_code == 400


def with_cookie(app, value: str) -> Browser:
    browser = Browser(app)
    browser.client.set_cookie(devices.COOKIE, value)
    return browser


def test_the_owners_browser_signs_in_after_a_stranger_used_up_the_accounts_limit(app, users):
    """Can a stranger's wrong guesses lock the owner out of signing in from their own browser, and does the
    owner's sign-in give the stranger fresh guesses?"""
    owner = owners_browser(app, users["researcher"])
    use_up_the_accounts_limit(app, users["researcher"].email)
    assert password_attempt(Browser(app), users["researcher"].email, PASSWORD).status_code == 429  # the stranger
    assert password_attempt(owner, users["researcher"].email, PASSWORD).status_code == 302
    # Signing in from the owner's browser gives the stranger no fresh guesses.
    assert password_attempt(Browser(app), users["researcher"].email, PASSWORD).status_code == 429


def test_with_two_factors_the_code_step_cannot_lock_the_owner_out_either(app, users):
    """Can someone who has the password but not the authenticator lock the owner out by guessing codes?

    Someone who has the password but not the authenticator guesses codes."""
    lawyer = users["lawyer"]
    owner = owners_browser(app, lawyer)
    stranger = Browser(app)
    assert password_attempt(stranger, lawyer.email, PASSWORD).headers["Location"].endswith("/login/code")
    for _ in range(throttle.ACCOUNT_LIMIT):
        wrong = stranger.post("/login/code", data={"code": "000000", "csrf_token": stranger.csrf_token("/login/code")})
        assert wrong.status_code == 400
    assert password_attempt(Browser(app), lawyer.email, PASSWORD).status_code == 429
    assert owner.login(lawyer).status_code == 302
    assert owner.get("/account").status_code == 200


def test_the_cookie_is_given_at_a_complete_sign_in_only_and_kept_private(app, settings, users):
    """Is the device cookie given only after a complete sign-in, hidden from scripts and cross-site
    requests, secure when configured, and free of anything that identifies the account?"""
    from incidents import create_app
    lawyer = users["lawyer"]
    browser = Browser(app)
    assert password_attempt(browser, lawyer.email, PASSWORD).headers["Location"].endswith("/login/code")
    assert browser.client.get_cookie(devices.COOKIE) is None  # the password alone earns nothing
    response = browser.post("/login/code", data={"code": current_code(lawyer),
                                                 "csrf_token": browser.csrf_token("/login/code")})
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(devices.COOKIE + "="))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header
    assert f"Max-Age={devices.DAYS * 86400}" in header
    payload = json.dumps(URLSafeTimedSerializer("any key at all").loads_unsafe(
        browser.client.get_cookie(devices.COOKIE).value)[1])
    for revealing in (lawyer.email, hashlib.sha256(lawyer.email.encode()).hexdigest(), lawyer.password_hash):
        assert revealing not in payload
    secure = Browser(create_app(dict(settings, SESSION_COOKIE_SECURE=True)))
    response = secure.login(users["researcher"])
    assert "Secure" in next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(devices.COOKIE + "="))


def test_an_altered_forged_or_foreign_cookie_gives_nothing(app, users):
    """Can an altered, forged or another account's device cookie get past the lock on an account?"""
    email = users["researcher"].email
    genuine = owners_browser(app, users["researcher"]).client.get_cookie(devices.COOKIE).value
    foreign = owners_browser(app, users["contributor"]).client.get_cookie(devices.COOKIE).value
    payload = URLSafeTimedSerializer("any key at all").loads_unsafe(genuine)[1]
    forged = URLSafeTimedSerializer("not the site's key", salt="incidents.auth.device-cookie").dumps(payload)
    altered = genuine[:-3] + ("AAA" if not genuine.endswith("AAA") else "BBB")
    use_up_the_accounts_limit(app, email)
    for value in (altered, forged, foreign, "", "garbage"):
        assert password_attempt(with_cookie(app, value), email, PASSWORD).status_code == 429, value
    assert password_attempt(with_cookie(app, genuine), email, PASSWORD).status_code == 302


def test_a_device_has_a_limit_of_its_own(app, users):
    """Does a stolen device cookie buy more guesses than the limit, or lock others out of the account?

    A stolen device cookie buys no more than the limit of guesses; its failures are its own."""
    email = users["researcher"].email
    cookie = owners_browser(app, users["researcher"]).client.get_cookie(devices.COOKIE).value
    for index in range(throttle.ACCOUNT_LIMIT):
        assert password_attempt(with_cookie(app, cookie), email, f"a thief's guess {index}").status_code == 400
    assert password_attempt(with_cookie(app, cookie), email, PASSWORD).status_code == 429
    assert password_attempt(Browser(app), email, PASSWORD).status_code == 302  # others are not locked out by it


def test_a_new_password_voids_the_accounts_device_cookies(app, users):
    """Does changing the password void the account's device cookies?

    A lost laptop or a shared browser: changing the password takes its head start away."""
    researcher = users["researcher"]
    cookie = owners_browser(app, researcher).client.get_cookie(devices.COOKIE).value
    use_up_the_accounts_limit(app, researcher.email)
    credentials.set_password(researcher, "a brand new long passphrase", testing=True)
    assert password_attempt(with_cookie(app, cookie), researcher.email, "a brand new long passphrase").status_code == 429


def test_a_deactivated_accounts_device_cookie_buys_no_guesses(app, users):
    """Can the device cookie of a deactivated account get past the lock on it?"""
    researcher = users["researcher"]
    cookie = owners_browser(app, researcher).client.get_cookie(devices.COOKIE).value
    use_up_the_accounts_limit(app, researcher.email)
    admin.set_active(users["admin"], researcher, False)
    assert password_attempt(with_cookie(app, cookie), researcher.email, "a guess from the old laptop").status_code == 429


@pytest.mark.parametrize("limit, emails", [
    (throttle.ACCOUNT_LIMIT, lambda index: "reviewer@example.org"),
    (throttle.ADDRESS_LIMIT, lambda index: f"person{index}@example.org"),
], ids=["one account", "one address"])
def test_simultaneous_guesses_get_no_more_checks_than_the_limit(live_server, users, monkeypatch, limit, emails):
    """Can a burst of simultaneous guesses, at one account or from one address, get more password checks
    than the limit?

    Real requests on their own connections, released together; each password check is slow,
    so that every request reaches the throttle while the others are still being checked."""
    checks, lock = [], threading.Lock()
    check_password = credentials.authenticate

    def slow_check(*args, **kwargs):
        with lock:
            checks.append(args[0])
        time.sleep(0.3)
        return check_password(*args, **kwargs)

    monkeypatch.setattr(credentials, "authenticate", slow_check)
    database.close()  # the server's threads use their own connections
    guesses = limit + 6
    barrier, answers = threading.Barrier(guesses), []

    def guess(index):
        client = requests.Session()
        page = client.get(f"{live_server}/login", timeout=30).text
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        barrier.wait()
        answer = client.post(f"{live_server}/login", timeout=60,
                             data={"email": emails(index), "password": "a guess that is wrong", "csrf_token": token})
        with lock:
            answers.append(answer.status_code)

    threads = [threading.Thread(target=guess, args=(index,)) for index in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checks) == limit
    assert sorted(answers) == [400] * limit + [429] * (guesses - limit)
    database.connect(reuse_if_open=True)
    assert LoginFailure.select().where(LoginFailure.key.startswith("address:")).count() == limit
