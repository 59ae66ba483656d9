"""Who is asking: a session cookie (for pages, and for API reads) or a bearer token (for the API)."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from incidents import policy
from incidents.accounts import credentials, sessions, two_factor
from incidents.models import User
from incidents.web.errors import api_error, is_api

SECOND_FACTOR_FIRST = _l("Your role needs two-factor sign-in. Set it up to go on.")


def init_login(app) -> None:
    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id):
        user = User.get_or_none(User.id == int(user_id)) if str(user_id).isdigit() else None
        if user is None or not user.active or not sessions.is_current(user, app.config["SETTINGS"]):
            sessions.clear()  # ended: idle, too old, or revoked from another device
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        if is_api():
            return api_error(401, "unauthorized", _("Sign in or send an API token."))
        flash(_("Please sign in to see this page."), "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.before_request
    def api_credentials():
        """API callers authenticate with a bearer token; a browser session counts for GET only."""
        if not is_api():
            return None
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _sep, token = header.partition(" ")
            user = credentials.user_for_token(token.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                return api_error(401, "invalid_token", _("The API token is not valid."))
            if two_factor.is_required(user) and not two_factor.is_enabled(user):
                # A token from before the role needed two factors must not stand in for them.
                return api_error(401, "second_factor_required", SECOND_FACTOR_FIRST)
            g._login_user = user  # Flask-Login's per-request user, without touching the session
            g.signed_in_by_token = True
        elif request.method not in ("GET", "HEAD", "OPTIONS") and not _page_write(request):
            # A cookie alone must never authorise a write: that is what CSRF would exploit.
            g._login_user = login_manager.anonymous_user()
        return None


def _page_write(request) -> bool:
    """A write the site's own script sends with the cookie: only where the policy lists it, and
    only with the page's CSRF token, which a forged cross-site request cannot carry."""
    if request.endpoint not in policy.SESSION_API_WRITES:
        return False
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except ValidationError:
        return False
    return True
