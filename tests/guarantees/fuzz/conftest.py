"""The world every fuzz test starts from."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.factories import attach_file, make_facility, make_incident
from tests.guarantees.fuzz.expectations import MAX_TEXT, RESPONSE_ROW
from tests.helpers import PASSWORD, Browser, bearer_headers


@pytest.fixture
def world(app, users, as_role):
    """A facility, an incident in draft by the contributor with a file attached, API tokens, and
    signed-in browsers on demand."""
    assert app.config["SETTINGS"].MAX_TEXT_LENGTH == MAX_TEXT
    facility = make_facility(users["contributor"])
    incident = make_incident(users["contributor"], facility, responses=[dict(RESPONSE_ROW)])

    signed_in = {}

    def browser(role):
        """A browser signed in as ``role`` and a CSRF token for its session, once per test."""
        if role not in signed_in:
            new = as_role(role)
            signed_in[role] = (new, new.csrf_token("/"))
        return signed_in[role]

    # A browser halfway through signing in, between the password and the code. Made before any
    # example runs: examples that send wrong passwords for the same account would otherwise have
    # it throttled by the time one needs it.
    pending = Browser(app)
    response = pending.client.post("/login", data={"email": users["lawyer"].email, "password": PASSWORD,
                                                   "csrf_token": pending.csrf_token("/login")})
    assert response.headers["Location"].endswith("/login/code")
    halfway = (pending, pending.csrf_token("/login/code"))

    def pending_sign_in():
        return halfway

    return SimpleNamespace(
        app=app, users=users, facility=facility, incident=incident, client=app.test_client(),
        item=attach_file(app, incident, users["contributor"]),
        published=None,  # an incident's id, published on first use: publishing takes a while
        browser=browser, pending_sign_in=pending_sign_in,
        tokens={role: bearer_headers(users[role])
                for role in ("contributor", "reviewer", "lawyer", "admin")})
