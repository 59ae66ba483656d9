"""The gates every request passes: deny by default, a second factor first, a CSRF token on forms."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from incidents import policy
from incidents.accounts import two_factor
from incidents.web.errors import api_error, is_api
from incidents.web.login import SECOND_FACTOR_FIRST

csrf = CSRFProtect()


def init_gates(app) -> None:
    login_manager = app.login_manager

    @app.before_request
    def deny_by_default():
        """Everything not listed in ``policy.PUBLIC_ENDPOINTS`` needs a signed-in user."""
        if request.endpoint is None or request.endpoint in policy.PUBLIC_ENDPOINTS:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None

    @app.before_request
    def second_factor_gate():
        """Roles that can read identities use the site only once a second factor is enrolled."""
        if g.get("signed_in_by_token") or not current_user.is_authenticated \
                or request.endpoint in policy.SECOND_FACTOR_ENROLMENT:
            return None
        if two_factor.is_required(current_user) and not two_factor.is_enabled(current_user):
            if is_api():  # the session cookie reads the API too: the same rule holds there
                return api_error(403, "second_factor_required", SECOND_FACTOR_FIRST)
            flash(SECOND_FACTOR_FIRST, "info")
            return redirect(url_for("auth.two_factor_page"))
        return None


def init_csrf(app) -> None:
    # After the gates, so an anonymous POST is sent to the login page rather than refused for
    # its token: the visitor learns what to do.
    csrf.init_app(app)
