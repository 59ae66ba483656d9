"""The fixture chain: settings -> app (fresh SQLite file, migrated) -> one user per role -> clients.

CSRF protection stays on: page tests post forms the way a browser does, token included.
"""
from __future__ import annotations

import os
import re
import threading

import pyotp
import pytest
from werkzeug.serving import make_server

from incidents import create_app
from incidents.accounts import credentials, two_factor
from incidents.db import database, migrate
from incidents.models import ROLES, User

PASSWORD = "correct horse battery staple"
# A data key (64 hex digits) that subprocesses started by tests share with the test's app.
TEST_DATA_KEY = "0123456789abcdef" * 4


# The suite runs on SQLite; INCIDENTS_TEST_DATABASE_URL=postgresql://... runs it on PostgreSQL,
# emptying that database's public schema before every test.
TEST_DATABASE_URL = os.environ.get("INCIDENTS_TEST_DATABASE_URL", "")


@pytest.fixture
def settings(tmp_path):
    return {
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": TEST_DATABASE_URL or "sqlite:///" + str(tmp_path / "test.sqlite3"),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATA_KEY": TEST_DATA_KEY,
        "TESTING": True,
    }


@pytest.fixture
def app(settings):
    app = create_app(settings)
    if TEST_DATABASE_URL.startswith("postgres"):
        with database.connection_context():
            database.execute_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    migrate()
    database.connect(reuse_if_open=True)
    yield app
    if not database.is_closed():
        database.close()


@pytest.fixture
def users(app):
    """One active user per role, each with ``PASSWORD``; plus a second reviewer for four eyes."""
    people = {}
    for role in ROLES + ("reviewer2",):
        actual = "reviewer" if role == "reviewer2" else role
        user = credentials.create_user(f"{role}@example.org", actual, None, f"Test {role}")
        credentials.set_password(user, PASSWORD, testing=True)
        if two_factor.is_required(user):  # enrolled, as the site requires of these roles
            user.totp_secret = pyotp.random_base32()
            user.save(only=[User.totp_secret])
        people[role] = user
    return people


def current_code(user) -> str:
    """A valid code for ``user`` now. Codes are single-use per time step, so the step last used is
    forgotten first: tests sign the same person in many times within 30 seconds."""
    User.update(totp_last_step=0).where(User.id == user.id).execute()
    return pyotp.TOTP(user.totp_secret).now()


@pytest.fixture
def client(app):
    return app.test_client()


class Browser:
    """A test client that signs in and posts forms with their CSRF token, as a browser would."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()

    def csrf_token(self, path: str = "/") -> str:
        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, user, password: str = PASSWORD):
        """Sign in as a browser would: the password, then the code when the account has one."""
        token = self.csrf_token("/login")
        response = self.client.post("/login", data={"email": user.email, "password": password,
                                                    "csrf_token": token})
        if response.status_code == 302 and response.headers["Location"].endswith("/login/code"):
            response = self.client.post("/login/code", data={"code": current_code(user),
                                                             "csrf_token": self.csrf_token("/login/code")})
        return response

    def post(self, path: str, data=None, **kwargs):
        data = dict(data or {})
        if "csrf_token" not in data:  # not setdefault: fetching a token is a request of its own
            data["csrf_token"] = self.csrf_token()
        return self.client.post(path, data=data, **kwargs)

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)


@pytest.fixture
def browser(app):
    return Browser(app)


@pytest.fixture
def as_role(app, users):
    """``as_role("reviewer")`` -> a signed-in Browser for that role."""

    def make(role: str) -> Browser:
        b = Browser(app)
        response = b.login(users[role])
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return b

    return make


@pytest.fixture
def live_server(app):
    """The app on a real threaded HTTP server on 127.0.0.1, for browsers and racing requests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
