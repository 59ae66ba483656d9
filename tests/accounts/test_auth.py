"""Signing in, the first administrator's link, password links, tokens and the command line."""
from __future__ import annotations

import re

import pyotp
import pytest

from incidents.accounts import credentials
from incidents.cli.setup import first_admin_link
from incidents.errors import NotFound
from incidents.models import ApiToken, PasswordLink, User
from tests.helpers import PASSWORD, Browser, current_code


def test_login_without_csrf_token_is_400(client, users):
    """Can a sign-in be posted without a CSRF token, for instance from another site?"""
    response = client.post("/login", data={"email": users["admin"].email, "password": PASSWORD})
    assert response.status_code == 400
    assert "incidents_session" not in response.headers.get("Set-Cookie", "") or \
        "_user_id" not in str(client.get_cookie("incidents_session"))


def test_wrong_password_unknown_user_and_deactivated_get_one_message(browser, users):
    """Can a stranger tell from the sign-in answer whether an account exists or was deactivated?"""
    message = "Wrong e-mail or password, or the account is deactivated."
    wrong = browser.login(users["admin"], "not the password at all")
    unknown = browser.post("/login", data={"email": "nobody@example.org", "password": PASSWORD})
    users["lawyer"].active = False
    users["lawyer"].save()
    deactivated = browser.login(users["lawyer"])
    for response in (wrong, unknown, deactivated):
        assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_logout_is_a_post(as_role):
    """Can a plain link sign someone out, or only a posted form?"""
    browser = as_role("researcher")
    assert browser.get("/logout").status_code == 405
    assert browser.get("/account").status_code == 200
    browser.post("/logout")
    assert browser.get("/account").status_code == 302


@pytest.mark.parametrize("target, expected", [
    ("/review", "/review"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_redirect_stays_on_this_site(browser, users, target, expected):
    """Can the address to return to after signing in send the user to another site?

    Also through the second step of signing in."""
    token = browser.csrf_token("/login")
    response = browser.client.post("/login", data={"email": users["reviewer"].email, "password": PASSWORD,
                                                   "next": target, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    response = browser.client.post("/login/code", data={"code": current_code(users["reviewer"]),
                                                        "csrf_token": browser.csrf_token("/login/code")})
    assert response.status_code == 302 and response.headers["Location"] == expected


def test_first_administrator_through_the_one_time_link(app):
    """Does the one-time link create the first administrator, with a strong password and a second
    factor before anything else, and work only once?"""
    with app.app_context():
        link = first_admin_link()
    path = link.split("5000", 1)[1]
    browser = Browser(app)
    short = browser.post(path, data={"email": "boss@example.org", "name": "Boss", "password": "short",
                                     "confirm": "short", "csrf_token": browser.csrf_token(path)})
    assert short.status_code == 400 and not User.select().exists()
    done = browser.post(path, data={"email": "boss@example.org", "name": "Boss", "password": PASSWORD,
                                    "confirm": PASSWORD, "csrf_token": browser.csrf_token(path)})
    assert done.status_code == 302
    assert User.get().role == "admin"
    # An administrator must enrol a second factor before anything else.
    gated = browser.get("/admin/users")
    assert gated.status_code == 302 and gated.headers["Location"].endswith("/account/two-factor")
    assert "<svg" in browser.get("/account/two-factor").get_data(as_text=True)
    code = pyotp.TOTP(User.get().totp_pending).now()
    enrolled = browser.post("/account/two-factor/confirm",
                            data={"code": code, "csrf_token": browser.csrf_token("/account/two-factor")})
    assert enrolled.status_code == 200 and "recovery codes" in enrolled.get_data(as_text=True)
    assert browser.get("/admin/users").status_code == 200
    again = Browser(app).get(path)
    assert again.status_code == 404  # used once, never again
    with app.app_context():
        assert first_admin_link() is None  # there are users now: no more links


def test_secrets_are_stored_only_as_hashes(app, users):
    """Are API tokens, password links and passwords stored only as hashes?"""
    token = credentials.issue_api_token(users["researcher"])
    secret = credentials.issue_password_link(users["lawyer"], 60)
    assert not ApiToken.select().where(ApiToken.token_hash == token).exists()
    assert not PasswordLink.select().where(PasswordLink.token_hash == secret).exists()
    assert users["researcher"].password_hash.startswith("$argon2")
    assert credentials.user_for_token(token).id == users["researcher"].id


def test_admin_creates_a_user_who_sets_a_password(as_role, app):
    """Can an administrator add a person who then sets their own password through a link, and is a
    second account for the same address refused?"""
    admin = as_role("admin")
    page = admin.post("/admin/users", data={"email": "New.Person@Example.org", "name": "New",
                                            "role": "contributor"}).get_data(as_text=True)
    link = re.search(r'value="(http://[^"]+/set-password/[^"]+)"', page).group(1)
    user = User.get(User.email == "new.person@example.org")
    assert user.role == "contributor" and user.password_hash is None
    newcomer = Browser(app)
    path = link.split("localhost", 1)[1]
    response = newcomer.post(path, data={"password": PASSWORD, "confirm": PASSWORD,
                                         "csrf_token": newcomer.csrf_token(path)})
    assert response.status_code == 302
    assert newcomer.get("/incidents/new").status_code == 200
    duplicate = admin.post("/admin/users", data={"email": "new.person@example.org", "role": "lawyer"})
    assert duplicate.status_code == 422


def test_admin_changes_roles_and_deactivates_but_keeps_one_admin(as_role, users):
    """Can an administrator change roles and deactivate accounts, without ever leaving the system
    without an administrator?"""
    admin = as_role("admin")
    admin.post(f"/admin/users/{users['researcher'].id}", data={"action": "role", "role": "lawyer"})
    assert User.get_by_id(users["researcher"].id).role == "lawyer"
    admin.post(f"/admin/users/{users['lawyer'].id}", data={"action": "deactivate"})
    assert not User.get_by_id(users["lawyer"].id).active
    admin.post(f"/admin/users/{users['admin'].id}", data={"action": "role", "role": "researcher"})
    assert User.get_by_id(users["admin"].id).role == "admin"  # the last admin stays one


def test_deactivated_user_is_signed_out_at_the_next_request(as_role, users):
    """Is a deactivated person signed out at their very next request?"""
    browser = as_role("contributor")
    assert browser.get("/workspace").status_code == 200
    users["contributor"].active = False
    users["contributor"].save()
    assert browser.get("/workspace").status_code == 302


def test_cli_creates_users_and_tokens(app):
    """Can an operator create users with a strong password and issue API tokens from the command line,
    and is a weak password or an unknown user refused?"""
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "cli@example.org", "--role", "lawyer", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    weak = runner.invoke(args=["users", "create", "weak@example.org", "--role", "lawyer", "--password-stdin"],
                         input="short\n")
    assert weak.exit_code != 0 and not User.select().where(User.email == "weak@example.org").exists()
    token = runner.invoke(args=["users", "token", "cli@example.org"]).output.strip().splitlines()[-1]
    assert credentials.user_for_token(token).email == "cli@example.org"
    assert runner.invoke(args=["users", "token", "ghost@example.org"]).exit_code != 0


def test_a_password_link_works_once(app, users):
    """Can a password link be used more than once?"""
    secret = credentials.issue_password_link(users["lawyer"], 60)
    credentials.use_password_link(secret, PASSWORD + "1", testing=True)
    with pytest.raises(NotFound):
        credentials.use_password_link(secret, PASSWORD + "2", testing=True)
    assert credentials.authenticate(users["lawyer"].email, PASSWORD + "1", testing=True)


def test_a_password_link_page_judges_only_the_fields_it_shows(app, users):
    """Can a person's own password link be refused for a field its page never shows them?

    Only the first administrator's link asks for an e-mail and a name; anything sent in those
    fields with another person's link is ignored, never a refusal the person cannot see or mend
    (found by the fuzz tests: a long e-mail made the page answer 400 with no message)."""
    secret = credentials.issue_password_link(users["lawyer"], 60)
    browser = Browser(app)
    path = f"/set-password/{secret}"
    response = browser.post(path, data={"email": "x" * 300 + "@example.org", "name": "y" * 300,
                                         "password": PASSWORD + "1", "confirm": PASSWORD + "1",
                                         "csrf_token": browser.csrf_token(path)})
    assert response.status_code == 302
    assert credentials.authenticate(users["lawyer"].email, PASSWORD + "1", testing=True)
    assert User.get_by_id(users["lawyer"].id).name == users["lawyer"].name


def test_reactivating_a_user_does_not_revive_their_old_tokens(as_role, users, client):
    """Does reactivating a person bring back the API tokens they had before being deactivated?

    Deactivation revokes every token for good: an administrator who lets the person back in has
    not given them back the keys a thief may have copied meanwhile."""
    token = credentials.issue_api_token(users["researcher"])
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/export/incidents.json", headers=bearer).status_code == 200
    admin = as_role("admin")
    admin.post(f"/admin/users/{users['researcher'].id}", data={"action": "deactivate"})
    admin.post(f"/admin/users/{users['researcher'].id}", data={"action": "activate"})
    assert User.get_by_id(users["researcher"].id).active
    assert credentials.user_for_token(token) is None
    assert client.get("/api/v1/export/incidents.json", headers=bearer).status_code == 401
    fresh = credentials.issue_api_token(User.get_by_id(users["researcher"].id))
    assert credentials.user_for_token(fresh).id == users["researcher"].id


def test_reactivating_a_user_does_not_revive_an_old_password_link(as_role, users):
    """Does reactivating a person bring back a password link issued before they were deactivated?

    A set-password link issued before the deactivation is void after it, reactivated or not."""
    secret = credentials.issue_password_link(users["lawyer"], 60)
    admin = as_role("admin")
    admin.post(f"/admin/users/{users['lawyer'].id}", data={"action": "deactivate"})
    admin.post(f"/admin/users/{users['lawyer'].id}", data={"action": "activate"})
    with pytest.raises(NotFound):
        credentials.find_password_link(secret)


def test_upgrading_revokes_the_tokens_of_users_deactivated_before(app, users):
    """After upgrading, can a person deactivated under the old code get their old API tokens back by
    being reactivated?

    Before migration 0018, deactivating kept a person's tokens; on an upgraded database a
    reactivation must not bring those back either."""
    from incidents.db import database, migrate
    kept = credentials.issue_api_token(users["researcher"])
    left = credentials.issue_api_token(users["lawyer"])
    User.update(active=False).where(User.id == users["lawyer"].id).execute()  # as the old code did
    database.execute_sql("DELETE FROM schema_migration WHERE name = '0018_rejected_revisions'")
    assert migrate() == ["0018_rejected_revisions"]
    User.update(active=True).where(User.id == users["lawyer"].id).execute()
    assert credentials.user_for_token(left) is None
    assert credentials.user_for_token(kept).id == users["researcher"].id
