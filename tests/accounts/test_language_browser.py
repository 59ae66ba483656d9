"""In a real browser set to English, a reader picks Українська on the sign-in page and keeps it:
through sign-in with a second factor, sign-out and an ended session; and a new incident form in
Ukrainian claims nothing a witness did not say (issue 14, points 2 and 9)."""
from __future__ import annotations

import time

import pytest

from incidents.accounts import sessions
from incidents.models import User
from tests.helpers import sign_in, translated

pytestmark = pytest.mark.browser


def test_ukrainian_chosen_before_signing_in_sticks_in_a_real_browser(app, users, live_server, chromium,
                                                                      monkeypatch):
    """In a browser that asks for English, does Українська chosen on the sign-in page stay through
    signing in with a code, signing out and an expired session, and is it stored on the account?"""
    errors = []
    page = chromium.new_page(locale="en-US")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server + "/login")
    assert page.get_attribute("html", "lang") == "en"
    page.click("form.languages button[value=uk]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "uk"

    sign_in(page, live_server, users["reviewer"])  # the password, then the code
    assert page.get_attribute("html", "lang") == "uk" and not page.url.endswith("/login/code")
    assert User.get_by_id(users["reviewer"].id).locale == "uk"

    page.click("form[action='/logout'] button")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "uk"

    sign_in(page, live_server, users["contributor"])
    page.goto(live_server + "/incidents/new")
    assert page.get_attribute("html", "lang") == "uk"
    # Nothing said yet, nothing claimed: no sex, role, precision or way of obtaining is chosen for them.
    assert page.input_value("select[name='persons-0-sex']") == "unknown"
    assert page.input_value("select[name='persons-0-role']") == ""
    assert page.input_value("select[name=date_precision]") == ""
    assert User.get_by_id(users["contributor"].id).locale == "uk"

    later = time.time() + app.config["SETTINGS"].SESSION_IDLE_MINUTES * 60 + 60
    monkeypatch.setattr(sessions.time, "time", lambda: later)
    page.goto(live_server + "/incidents/new")
    assert "/login" in page.url
    assert page.get_attribute("html", "lang") == "uk"
    assert page.inner_text("h1") == translated(app, "Sign in", "uk")
    assert errors == []
