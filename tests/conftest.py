"""The fixture chain: settings -> app (fresh SQLite file, migrated) -> one user per role -> clients.

CSRF protection stays on: page tests post forms the way a browser does, token included.
"""
from __future__ import annotations

import os
import shutil
import threading

import pyotp
import pytest
from werkzeug.serving import make_server

from incidents import create_app
from incidents.accounts import credentials, two_factor
from incidents.db import database, migrate
from incidents.models import ROLES, User
from tests.authority import LocalAuthority
from tests.databases import PostgresDatabases, SqliteDatabases
from tests.factories import make_facility, make_incident
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, PASSWORD, TEST_DATA_KEY, TEST_DATABASE_URL, Browser, bearer_headers


def _settings(folder) -> dict:
    return {
        "INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": TEST_DATABASE_URL or "sqlite:///" + str(folder / "test.sqlite3"),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATA_KEY": TEST_DATA_KEY,
        "TESTING": True,
        # Jobs run inside the request that asks for them; tests of the worker choose another queue.
        "JOBS_URL": "immediate",
    }


@pytest.fixture
def settings(tmp_path):
    return _settings(tmp_path)


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    """Makes each test's database a copy of one migrated once in this process (tests/databases.py)."""
    folder = tmp_path_factory.mktemp("template")
    made = PostgresDatabases(TEST_DATABASE_URL) if TEST_DATABASE_URL.startswith("postgres") else SqliteDatabases(folder)
    made.migrate_template(_settings(folder))
    yield made
    made.close()


@pytest.fixture
def app(settings, databases):
    databases.fresh(settings)
    app = create_app(settings)
    migrate()  # nothing left to apply: the copy is current, as the tests of migrations expect
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


@pytest.fixture
def facility(users):
    """A facility entered by the contributor."""
    return make_facility(users["contributor"])


@pytest.fixture
def hospital(users):
    """The Saratov prison TB hospital, known only by its Russian name and alias, in a draft so far."""
    return make_facility(users["contributor"], names={"ru": "Областная туберкулёзная больница № 1"},
                         aliases=["ОТБ-1"], locality="Саратов", region="RU-SAR")


@pytest.fixture
def incident(users, facility):
    """A draft incident by the contributor, in ``facility``."""
    return make_incident(users["contributor"], facility)


@pytest.fixture
def bearer(users):
    """``bearer("reviewer")`` -> headers carrying a new API token of that role's user."""
    return lambda role: bearer_headers(users[role])


@pytest.fixture
def client(app):
    return app.test_client()


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


@pytest.fixture
def chromium():
    """Debian's chromium through Playwright; the browser tests are skipped where it is missing,
    except in CI, which installs it."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            raise RuntimeError("chromium is missing: .ci/run installs it with apt-get")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _openssl():
    """OpenSSL's command, which the local timestamp authorities answer with; skipped where it is
    missing, except in CI."""
    if shutil.which("openssl") is None:
        if os.environ.get("CI"):
            raise RuntimeError("openssl is missing: .ci/run installs it with apt-get")
        pytest.skip("OpenSSL's command is not installed")


@pytest.fixture(scope="session")
def running_authority(tmp_path_factory):
    _openssl()
    authority = LocalAuthority(tmp_path_factory.mktemp("tsa"))
    authority.start()
    yield authority
    authority.stop()


@pytest.fixture
def tsa(running_authority):
    """A real RFC 3161 authority on 127.0.0.1 (tests/authority.py), answering as it should until
    the test sets its ``mode``."""
    running_authority.mode = "ok"
    return running_authority


@pytest.fixture(scope="session")
def other_tsa(tmp_path_factory):
    """Another authority, with a CA of its own; it stamps when asked in the test, not over HTTP."""
    _openssl()
    return LocalAuthority(tmp_path_factory.mktemp("other-tsa"), "Other TSA")
