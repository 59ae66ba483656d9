"""Two-factor sign-in: required where identities can be read, single-use codes, a one-step window,
recovery codes shown once, guessing throttled, enrolment only for oneself."""
from __future__ import annotations

import time

import pyotp
import pytest

from incidents.accounts import credentials, sessions, throttle, two_factor
from incidents.models import RecoveryCode, User
from tests.helpers import PASSWORD, Browser, current_code


def password_step(browser: Browser, user):
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD,
                                            "csrf_token": browser.csrf_token("/login")})
    assert response.headers["Location"].endswith("/login/code")


def code_step(browser: Browser, code: str):
    return browser.post("/login/code", data={"code": code, "csrf_token": browser.csrf_token("/login/code")})


def test_the_password_alone_signs_nobody_in(app, users):
    """Does the right password alone, without the code, sign anyone in?"""
    browser = Browser(app)
    password_step(browser, users["lawyer"])
    response = browser.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_code_works_once(app, users):
    """Can a sign-in code that was already used, say one seen over a shoulder, be used again?"""
    code = current_code(users["lawyer"])
    first = Browser(app)
    password_step(first, users["lawyer"])
    assert code_step(first, code).status_code == 302
    second = Browser(app)
    password_step(second, users["lawyer"])
    assert code_step(second, code).status_code == 400  # seen over a shoulder: worthless now


@pytest.mark.parametrize("steps_ago, accepted", [(1, True), (2, False), (-1, True), (-2, False)])
def test_the_window_is_one_step(app, users, monkeypatch, steps_ago, accepted):
    """Is a code accepted from one time step before or after the current one, but not from two?"""
    user = users["reviewer"]
    User.update(totp_last_step=0).where(User.id == user.id).execute()
    now = time.time()
    monkeypatch.setattr(two_factor.time, "time", lambda: now)  # no step boundary between code and check
    code = pyotp.TOTP(user.totp_secret).at(now - 30 * steps_ago)
    browser = Browser(app)
    password_step(browser, user)
    assert (code_step(browser, code).status_code == 302) is accepted


def test_recovery_codes_are_shown_once_kept_as_hashes_and_work_once(app, users):
    """Are recovery codes shown only once, stored only as hashes, and each usable for a single sign-in?"""
    browser = Browser(app)
    browser.login(users["admin"])
    page = browser.post("/account/two-factor/recovery-codes", data={"code": current_code(users["admin"]),
                                                                      "csrf_token": browser.csrf_token("/account")})
    html = page.get_data(as_text=True)
    codes = [c for c in html.split("<code>")[1:]]
    codes = [c.split("</code>")[0] for c in codes if "-" in c.split("</code>")[0]]
    assert len(codes) == two_factor.RECOVERY_CODES
    assert not RecoveryCode.select().where(RecoveryCode.code_hash.in_(codes)).exists()
    assert codes[0] not in browser.get("/account/two-factor").get_data(as_text=True)
    for expected in (302, 400):
        other = Browser(app)
        password_step(other, users["admin"])
        assert code_step(other, codes[0]).status_code == expected


def test_guessing_codes_is_throttled(app, users):
    """Is guessing sign-in codes stopped after a few wrong tries, even if the right code comes next?"""
    browser = Browser(app)
    password_step(browser, users["lawyer"])
    for _ in range(throttle.ACCOUNT_LIMIT):
        assert code_step(browser, "000000").status_code == 400
    assert code_step(browser, current_code(users["lawyer"])).status_code == 429


def test_a_pending_sign_in_expires(app, users, monkeypatch):
    """Does a sign-in left halfway, after the password but before the code, expire?"""
    browser = Browser(app)
    password_step(browser, users["lawyer"])
    token = browser.csrf_token("/login/code")
    later = time.time() + sessions.PENDING_MINUTES * 60 + 1
    monkeypatch.setattr(sessions.time, "time", lambda: later)
    response = browser.post("/login/code", data={"code": current_code(users["lawyer"]), "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_roles_that_read_identities_must_enrol_first(app, users):
    """Must a person whose role can read identities set up a second factor before reaching any page,
    the API included?"""
    User.update(totp_secret=None).where(User.id == users["lawyer"].id).execute()
    browser = Browser(app)
    assert browser.login(users["lawyer"]).status_code == 302
    for path in ("/incidents", "/dossier", "/account"):
        response = browser.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-factor")
    assert browser.get("/account/two-factor").status_code == 200
    # Neither the session cookie nor a token from before the requirement reads the API instead.
    assert browser.get("/api/v1/incidents?status=draft").status_code == 403
    token = credentials.issue_api_token(users["lawyer"])
    refused = browser.client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and refused.json["error"]["code"] == "second_factor_required"


def test_others_may_choose_it(app, users):
    """Can a person whose role does not require a second factor still choose to set one up?"""
    browser = Browser(app)
    browser.login(users["researcher"])
    assert browser.get("/incidents").status_code == 200
    browser.get("/account/two-factor")
    secret = User.get_by_id(users["researcher"].id).totp_pending
    page = browser.post("/account/two-factor/confirm", data={"code": pyotp.TOTP(secret).now(),
                                                             "csrf_token": browser.csrf_token("/account")})
    assert page.status_code == 200
    assert User.get_by_id(users["researcher"].id).totp_secret == secret


def test_a_new_phone_needs_the_old_one_and_the_old_works_until_the_new_is_confirmed(app, users):
    """Does moving the second factor to a new phone need a code from the old one, and does the old one
    keep working until the new one is confirmed?"""
    browser = Browser(app)
    browser.login(users["reviewer"])
    old_secret = users["reviewer"].totp_secret
    refused = browser.post("/account/two-factor/restart", data={"code": "123456",
                                                                "csrf_token": browser.csrf_token("/account")})
    assert refused.status_code == 422
    browser.post("/account/two-factor/restart", data={"code": current_code(users["reviewer"]),
                                                      "csrf_token": browser.csrf_token("/account")})
    reviewer = User.get_by_id(users["reviewer"].id)
    assert reviewer.totp_secret == old_secret and reviewer.totp_pending not in (None, old_secret)
    browser.post("/account/two-factor/confirm", data={"code": pyotp.TOTP(reviewer.totp_pending).now(),
                                                      "csrf_token": browser.csrf_token("/account")})
    assert User.get_by_id(users["reviewer"].id).totp_secret == reviewer.totp_pending


def test_wrong_enrolment_codes_change_nothing(app, users):
    """Do wrong or hostile codes sent while setting up a second factor leave it unset and never echo
    markup?"""
    browser = Browser(app)
    browser.login(users["contributor"])
    browser.get("/account/two-factor")
    for code in ("", "12345", "abcdef", "9" * 40, "<script>alert(1)</script>"):
        response = browser.post("/account/two-factor/confirm", data={"code": code,
                                                                     "csrf_token": browser.csrf_token("/account")})
        assert response.status_code in (400, 422) and "<script>alert" not in response.get_data(as_text=True)
    assert User.get_by_id(users["contributor"].id).totp_secret is None


def test_a_password_link_does_not_skip_the_code(app, users):
    """Can whoever holds a password link get in without the second-factor code?

    A link sets the password; whoever holds it still needs the authenticator to get in."""
    secret = credentials.issue_password_link(users["reviewer"], 60)
    browser = Browser(app)
    path = f"/set-password/{secret}"
    response = browser.post(path, data={"password": "a brand new long passphrase", "confirm": "a brand new long passphrase",
                                         "csrf_token": browser.csrf_token(path)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/code")
    assert browser.get("/review").status_code == 302
    assert code_step(browser, current_code(users["reviewer"])).status_code == 302
    assert browser.get("/review").status_code == 200


def test_guessing_codes_on_a_stolen_session_is_throttled(app, users):
    """Can someone with a stolen session guess codes to move the second factor to their own phone?"""
    browser = Browser(app)
    browser.login(users["reviewer"])
    for _ in range(throttle.ACCOUNT_LIMIT):
        wrong = browser.post("/account/two-factor/restart", data={"code": "000000",
                                                                  "csrf_token": browser.csrf_token("/account")})
        assert wrong.status_code == 422
    blocked = browser.post("/account/two-factor/restart", data={"code": current_code(users["reviewer"]),
                                                                "csrf_token": browser.csrf_token("/account")})
    assert blocked.status_code == 429
    assert User.get_by_id(users["reviewer"].id).totp_pending is None


def test_a_new_password_or_role_revokes_api_tokens(app, users):
    """Does a new password or a new role revoke the person's existing API tokens?"""
    from incidents.admin import service as admin
    client = app.test_client()
    for change in (lambda: credentials.set_password(users["researcher"], "another long passphrase", testing=True),
                   lambda: admin.change_role(users["admin"], users["researcher"], "contributor")):
        token = credentials.issue_api_token(users["researcher"])
        assert client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        change()
        assert client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}).status_code == 401
