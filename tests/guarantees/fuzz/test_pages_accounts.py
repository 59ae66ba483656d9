"""Fuzzing the administrators' user forms and every sign-in form, as a browser posts them."""
from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from incidents.accounts import credentials
from incidents.config import LANGUAGES
from incidents.models import ROLES, User
from tests.guarantees.fuzz.expectations import (
    CONTROL_MESSAGE,
    FORBIDDEN,
    TOO_LONG,
    assert_unchanged,
    db_state,
    email_problem,
    flashed_refusal,
    off_site,
    page_errors,
    page_refused,
    tally,
)
from tests.guarantees.fuzz.strategies import emails, fuzz, hostile_text, near_limit
from tests.helpers import Browser


@fuzz(30)
@given(email=emails, name=st.one_of(hostile_text(), near_limit(200)), role=st.one_of(st.sampled_from(ROLES), hostile_text()),
       action=st.one_of(st.sampled_from(["role", "activate", "password_link"]), hostile_text()))
@example(email="a\x00b@example.org", name="Test", role="researcher", action="role")  # a NUL was stored
@example(email="reviewer@example.org", name="Mallory\u202e", role="researcher", action="role")  # so was an override
@example(email="reviewer@example.org\x1c", name="Test", role="researcher", action="role")  # strip() eats \x1c
def test_page_admin_forms(world, email, name, role, action):
    """When an administrator adds or changes a user with hostile addresses, names, roles or actions, is
    it refused with nothing saved, or saved as normalised?

    Adding a person and changing one, with hostile addresses, names, roles and actions: a 4xx
    page or a flashed refusal, nothing saved; or the person saved as normalised."""
    browser, token = world.browser("admin")
    expected = {}
    if email_problem(email):
        expected["email"] = {email_problem(email)}
    if len(name) > 200 or set(name) & FORBIDDEN:  # as typed: the name is stripped only when stored
        expected["name"] = {TOO_LONG if len(name) > 200 else CONTROL_MESSAGE}
    if role not in ROLES:
        expected["role"] = {"Unknown role."}
    before = db_state()
    response = browser.client.post("/admin/users", data={"email": email, "name": name, "role": role,
                                                         "csrf_token": token})
    tally("new user", not expected)
    if not page_refused(response, expected, before):
        assert response.status_code == 200, page_errors(response)
        person = User.get(User.email == email.strip().lower())
        assert (person.name, person.role) == (name.strip(), role)

    target = User.get_by_id(world.users["researcher"].id)
    before = db_state()
    response = browser.client.post(f"/admin/users/{target.id}", data={"action": action, "role": role,
                                                                      "csrf_token": token})
    if action not in ("role", "activate", "password_link"):
        assert response.status_code == 400 and page_errors(response)
        assert_unchanged(before)
    elif action == "role" and role not in ROLES:
        flashed_refusal(browser, response, ["Unknown role."])
        assert_unchanged(before)
    else:
        assert response.status_code in (200, 302)
        assert User.get_by_id(target.id).role == (role if action == "role" else target.role)


def maybe_a_code(code: str) -> bool:
    """Six digits: possibly the right code (Hypothesis must not guess it now and then), or digits
    of another script, which test_a_code_in_other_digits_is_refused covers."""
    code = "".join(code.split())
    return len(code) == 6 and code.isdigit()


codes = st.one_of(hostile_text(), st.from_regex(r"[0-9]{3} ?[0-9]{2,4}", fullmatch=True),
                  st.from_regex(r"[0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6}", fullmatch=True)).filter(lambda c: not maybe_a_code(c))
passwords = st.one_of(hostile_text(), near_limit(1024), st.sampled_from(["correct horse battery staple",
                                                                          "Tr0ub4dor&3", " " * 12, "\x00" * 12]))
redirects = st.one_of(st.just(""), st.just("/incidents"), hostile_text(),
                      st.sampled_from(["//evil.example", "https://evil.example/", "/\\evil.example",
                                       "javascript:alert(1)", "\t//evil.example", "/\t/evil.example",
                                       "/%2F%2Fevil.example"]))
SIGN_IN_FORMS = ("login", "login_code", "set_password", "set_language", "two_factor_confirm", "two_factor_restart",
                 "two_factor_recovery_codes")


@fuzz(40)
@given(form=st.sampled_from(SIGN_IN_FORMS), email=st.one_of(emails, st.sampled_from(["lawyer@example.org"])),
       password=passwords, confirm=st.one_of(st.none(), passwords), code=codes, next_page=redirects,
       lang=st.one_of(st.sampled_from(LANGUAGES), hostile_text()))
def test_page_sign_in_forms(world, form, email, password, confirm, code, next_page, lang):
    """Can hostile values in the sign-in, password, language or second-factor forms cause a server
    error, a redirect off the site, or any change beyond counting the failed attempt?

    Signing in, the second step, setting a password through a link, the language switch and
    the second-factor pages, with hostile values: never a 5xx, never a redirect off the site; a
    refusal shows why and changes nothing but the count of failed attempts."""
    client_for = {"set_language": "contributor", "two_factor_confirm": "reviewer", "two_factor_restart": "reviewer",
                  "two_factor_recovery_codes": "reviewer"}
    if form in client_for:
        browser, token = world.browser(client_for[form])
    elif form == "login_code":
        browser, token = world.pending_sign_in()
    else:
        browser = Browser(world.app)
    path = {"login": "/login", "login_code": "/login/code", "set_language": "/language",
            "two_factor_confirm": "/account/two-factor/confirm", "two_factor_restart": "/account/two-factor/restart",
            "two_factor_recovery_codes": "/account/two-factor/recovery-codes"}.get(form)
    if form == "set_password":
        path = "/set-password/" + credentials.issue_password_link(world.users["researcher"], 60)
    if form in ("login", "set_password"):
        token = browser.csrf_token(path)
    confirm = password if confirm is None else confirm
    data = {"email": email, "password": password, "confirm": confirm, "code": code, "next": next_page,
            "lang": lang, "csrf_token": token}
    before = db_state()
    response = browser.client.post(path, data=data)
    tally(form, response.status_code < 400)
    assert response.status_code < 500
    if 300 <= response.status_code < 400:
        assert not off_site(response.headers["Location"]), response.headers["Location"]

    if form == "set_language" and lang in LANGUAGES:
        assert response.status_code == 302 and User.get_by_id(world.users["contributor"].id).locale == lang
        return
    if form == "set_password" and response.status_code == 302:
        # Whether zxcvbn finds a password easy to guess is its call; a password it took must be the
        # one now set, and one the form or the length rule refuses must never be taken.
        assert password.strip() and password == confirm and 12 <= len(password) <= 1024
        assert credentials.authenticate(world.users["researcher"].email, password, testing=True)
        return
    if form == "set_language":
        assert response.status_code == 400 and page_errors(response)
    else:
        flashed_refusal(browser, response)
    assert_unchanged(before, login_failures=True)


def test_a_code_in_other_digits_is_refused(world):
    """Is a second-factor code written in digits of another script refused?"""
    browser, token = world.browser("reviewer")
    response = browser.client.post("/account/two-factor/recovery-codes", data={"code": "²²²²²²", "csrf_token": token})
    assert response.status_code == 422
