"""Helpers shared by the tests that are not fixtures: the test password and keys, where the
repository is, a browser that signs in and posts forms with their CSRF token, bearer headers.
Fixtures live in conftest.py files; test modules import these from here, never from a conftest."""
from __future__ import annotations

import io
import os
import re
import threading
import zipfile
from html.parser import HTMLParser
from urllib.parse import urlsplit, urlunsplit

import pyotp
from flask_babel import force_locale, gettext
from werkzeug.datastructures import MultiDict

from incidents.accounts import credentials
from incidents.db import database
from incidents.models import User

# The repository's root, for subprocesses (their cwd and PYTHONPATH) and files read from it.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PASSWORD = "correct horse battery staple"
# A data key (64 hex digits) that subprocesses started by tests share with the test's app.
TEST_DATA_KEY = "0123456789abcdef" * 4


def database_named(url: str, name: str) -> str:
    """The URL of the database ``name`` on the server ``url`` names."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _test_database_url() -> str:
    """The suite runs on SQLite; INCIDENTS_TEST_DATABASE_URL=postgresql://... runs it on PostgreSQL,
    making that database anew before every test (tests/databases.py). Tests run in several processes
    at once (pytest-xdist): each has a database of its own on that server, named after the process."""
    url = os.environ.get("INCIDENTS_TEST_DATABASE_URL", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url.startswith("postgres") or not worker:
        return url
    return database_named(url, f"{database_name(url)}_{worker}")


TEST_DATABASE_URL = _test_database_url()

# Terminals in British English, Russian and Ukrainian, whatever the locale of the machine running
# the tests: a command speaks its terminal's language (incidents/cli/common.py).
ENGLISH = {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "en_GB.UTF-8"}
TERMINALS = {"en": ENGLISH, "ru": dict(ENGLISH, LANG="ru_RU.UTF-8"), "uk": dict(ENGLISH, LANG="uk_UA.UTF-8")}


def run_command(app, *args, env=ENGLISH, **kwargs):
    """``flask --app app ARGS...`` in a terminal whose locale is ``env``."""
    return app.test_cli_runner().invoke(args=list(args), env=env, **kwargs)


def rewrite(data: bytes, change) -> bytes:
    """A copy of the ZIP ``data`` with ``change(name, content)`` applied: it returns new content or
    None to drop."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = change(name, source.read(name))
            if content is not None:
                target.writestr(name, content)
    return out.getvalue()


def current_code(user) -> str:
    """A valid code for ``user`` now. Codes are single-use per time step, so the step last used is
    forgotten first: tests sign the same person in many times within 30 seconds."""
    User.update(totp_last_step=0).where(User.id == user.id).execute()
    return pyotp.TOTP(user.totp_secret).now()


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
        # A MultiDict keeps a field sent several times (ticked checkboxes); a dict may hold a file.
        data = data.copy() if isinstance(data, MultiDict) else dict(data or {})
        if "csrf_token" not in data:  # not setdefault: fetching a token is a request of its own
            data["csrf_token"] = self.csrf_token()
        return self.client.post(path, data=data, **kwargs)

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)


def bearer_headers(user) -> dict:
    """Headers that carry a new API token of ``user``."""
    return {"Authorization": "Bearer " + credentials.issue_api_token(user)}


def password_attempt(browser: Browser, email: str, password: str):
    """One try at the password step of signing in, posted as the sign-in page posts it."""
    return browser.post("/login", data={"email": email, "password": password,
                                        "csrf_token": browser.csrf_token("/login")})


class _FormReader(HTMLParser):
    """The values a browser would send for the POST forms of a page, as (name, value) pairs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self._select: str | None = None
        self._textarea = False
        self._in_form = False
        self._templates = 0  # a <template>'s content is inert: a browser never sends it

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "template":
            self._templates += 1
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.forms.append([])
            self._in_form = True
        elif not self._in_form or self._templates or "disabled" in attrs:
            return
        elif tag == "option" and self._select and "selected" in attrs:
            self.forms[-1].append((self._select, attrs.get("value", "")))
        elif "name" not in attrs:
            return
        elif tag == "input" and attrs.get("type", "text") not in ("submit", "button", "file", "reset"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.forms[-1].append((attrs["name"], attrs.get("value") or ""))
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "textarea":
            self._textarea = True
            self.forms[-1].append((attrs["name"], ""))

    def handle_data(self, data):
        if self._textarea:
            name, value = self.forms[-1][-1]
            self.forms[-1][-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "template":
            self._templates -= 1
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = False


def post_forms(html: str) -> list[list[tuple[str, str]]]:
    """Each POST form of a page as the (name, value) pairs a browser submits unchanged."""
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


def selected(html: str, name: str) -> list[str]:
    """The values of the options a select named ``name`` shows as chosen."""
    select = re.search(rf'<select[^>]* name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    options = re.findall(r"<option([^>]*)>", select.group(1))
    return [re.search(r'value="([^"]*)"', option).group(1) for option in options
            if re.search(r"\bselected\b", option)]


# Debian's chromium (Playwright's own browser downloads do not work here), and how it is started.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def translated(app, message: str, language: str = "ru") -> str:
    """``message`` as a page in ``language`` shows it."""
    with app.test_request_context(), force_locale(language):
        return gettext(message)


def new_page(chromium, errors: list):
    """A Russian-speaking browser tab that collects every script error and failed load."""
    page = chromium.new_page(locale="ru-RU")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return page


def sign_in(page, base, user):
    """The password, then (for roles that must have one) the code from the authenticator."""
    page.goto(base + "/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
    if page.url.endswith("/login/code"):
        page.fill("input[name=code]", current_code(user))
        page.click("form[action='/login/code'] button[type=submit]")
        page.wait_for_load_state()


def hold_jobs(app):
    """Give ``app`` a queue that keeps its jobs, as a queue does until a worker takes them (the tests'
    own runs them at once); returns ``drain``, which runs every waiting job as a worker would."""
    import dataclasses

    from incidents.jobs.queue import init_jobs
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], JOBS_URL="memory")
    jobs = init_jobs(app, app.extensions["jobs"].handlers, app.extensions["jobs"].hourly)

    def drain() -> int:
        count = 0
        while (task := jobs.huey.dequeue()) is not None:
            jobs.huey.execute(task)
            count += 1
        return count
    return drain


def finished_within(seconds: float, call):
    """What ``call()`` returned, or the exception it raised, run on a thread of its own with a
    database connection of its own; the test fails if it has not ended after ``seconds`` (a hang)."""
    outcome: list = []

    def run():
        # Not connection_context(): a request made by ``call`` closes the connection itself.
        database.connect(reuse_if_open=True)
        try:
            outcome.append(call())
        except Exception as error:
            outcome.append(error)
        finally:
            if not database.is_closed():
                database.close()
    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(seconds)
    assert not runner.is_alive(), "it hangs"
    return outcome[0]
