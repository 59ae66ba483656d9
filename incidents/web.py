"""Wiring for the web: login, CSRF, babel, the deny-by-default gate, headers, errors, templates."""
from __future__ import annotations

import re

from flask import Request, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import Babel
from flask_babel.speaklater import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from . import credentials, geo, i18n, policy, two_factor, vocab, workflow
from .auth import sessions
from .config import LANGUAGES
from .errors import ServiceError
from .evidence.store import EvidenceStore, TooLarge
from .models import User
from .search import service as search
from .views import settings

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class BoundedInt(IntegerConverter):
    """Ids in URLs are 32-bit, as in PostgreSQL: a longer number is a 404, not a database error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


# Endpoints that take evidence files: their uploads are hashed into the store as they arrive.
UPLOAD_ENDPOINTS = frozenset({"evidence.upload", "api.evidence_create"})


class AppRequest(Request):
    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        if self.endpoint in UPLOAD_ENDPOINTS:
            spool = EvidenceStore.from_settings(settings()).spool()
            self.__dict__.setdefault("_spools", []).append(spool)
            return spool
        return super()._get_file_stream(total_content_length, content_type, filename, content_length)

    def get_json(self, force=False, silent=False, cache=True):
        """As Flask's, but a body nested deeper than the parser's stack is malformed JSON like any
        other (400), not a server error."""
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError as exc:
            return None if silent else self.on_json_loading_failed(ValueError(str(exc)))

    def close(self) -> None:
        """Delete every spool not committed into the store: a refused upload leaves nothing."""
        super().close()
        for spool in self.__dict__.get("_spools", []):
            spool.close()


def _is_api() -> bool:
    return request.path.startswith("/api/")


# A lone surrogate: JSON input can escape one ("\ud800"), and a message may quote the input, but
# UTF-8 cannot carry it, so an answer holding one would fail as a whole.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _sendable(text) -> str:
    return LONE_SURROGATE.sub("\ufffd", str(text))


def api_error(status: int, code: str, message, fields: dict | None = None):
    body = {"error": {"code": code, "message": _sendable(message),
                      "fields": {_sendable(k): [_sendable(m) for m in v] for k, v in (fields or {}).items()}}}
    return jsonify(body), status


SECOND_FACTOR_FIRST = _l("Your role needs two-factor sign-in. Set it up to go on.")


def _plain_lazy_strings(value):
    """Jinja's finalize hook: a lazy translation becomes plain text before autoescaping.

    Flask-Babel's LazyString declares itself safe HTML (``__html__``), so a message such as
    "Unknown value: %(value)s." would otherwise carry the visitor's own markup into the page.
    """
    return str(value) if isinstance(value, LazyString) else value


def init_web(app) -> None:
    app.request_class = AppRequest
    app.jinja_env.finalize = _plain_lazy_strings
    Babel(app, locale_selector=i18n.select_locale)

    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id):
        user = User.get_or_none(User.id == int(user_id)) if str(user_id).isdigit() else None
        if user is None or not user.active or not sessions.is_current(user, app.config["SETTINGS"]):
            session.clear()  # ended: idle, too old, or revoked from another device
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        if _is_api():
            return api_error(401, "unauthorized", _("Sign in or send an API token."))
        flash(_("Please sign in to see this page."), "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    app.url_map.converters["int"] = BoundedInt

    from .api import bp as api_bp
    from .admin.routes import bp as admin_bp
    from .auth.routes import bp as auth_bp
    from .dossiers.routes import bp as dossiers_bp
    from .evidence.routes import bp as evidence_bp
    from .records.routes import bp as records_bp
    from .review.routes import bp as review_bp
    from .search.routes import bp as public_bp

    # The API authenticates by bearer token, not by cookie, so a forged cross-site request
    # carries no credentials: CSRF tokens are for the cookie-authenticated pages.
    csrf.exempt(api_bp)
    for blueprint in (public_bp, auth_bp, records_bp, review_bp, evidence_bp, dossiers_bp, admin_bp, api_bp):
        app.register_blueprint(blueprint)

    @app.before_request
    def api_credentials():
        """API callers authenticate with a bearer token; a browser session counts for GET only."""
        if not _is_api():
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
        elif request.method not in ("GET", "HEAD", "OPTIONS"):
            # A cookie alone must never authorise a write: that is what CSRF would exploit.
            g._login_user = login_manager.anonymous_user()
        return None

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
            if _is_api():  # the session cookie reads the API too: the same rule holds there
                return api_error(403, "second_factor_required", SECOND_FACTOR_FIRST)
            flash(SECOND_FACTOR_FIRST, "info")
            return redirect(url_for("auth.two_factor_page"))
        return None

    @app.before_request
    def evidence_upload_limit():
        """Evidence uploads may be as large as the setting allows; every other body stays small."""
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = app.config["SETTINGS"].EVIDENCE_MAX_SIZE + 1024 * 1024

    @app.errorhandler(TooLarge)
    def file_too_large(exc):
        return http_error(RequestEntityTooLarge())

    # After the gate, so an anonymous POST is sent to the login page rather than refused for
    # its token: the visitor learns what to do.
    csrf.init_app(app)

    @app.after_request
    def security_headers(response):
        # Evidence media set a stricter policy of their own; every other response gets this one.
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if current_user.is_authenticated or request.endpoint not in policy.PUBLIC_ENDPOINTS:
            # Pages with unpublished or confidential data must not linger in shared caches.
            response.headers["Cache-Control"] = "no-store"
        elif "Cache-Control" not in response.headers:
            # Public pages may be cached, but asked again each time: a retraction shows at once.
            response.headers["Cache-Control"] = "no-cache"
        response.vary.add("Cookie")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        message = _("The form expired or was sent from elsewhere. Please try again.")
        if _is_api():
            return api_error(400, "csrf", message)
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(ServiceError)
    def service_error(exc):
        if _is_api():
            return api_error(exc.status, exc.code, exc.message, exc.fields)
        return render_template("errors/error.html", code=exc.status, message=exc.message), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc):
        messages = {
            400: _("The request could not be understood."),
            401: _("Please sign in."),
            403: _("You may not do this."),
            404: _("There is nothing here."),
            405: _("This address does not accept that kind of request."),
            413: _("What you sent is too large."),
        }
        message = messages.get(exc.code, _("Something went wrong."))
        if _is_api():
            return api_error(exc.code, exc.name.lower().replace(" ", "_"), message)
        return render_template("errors/error.html", code=exc.code, message=message), exc.code

    @app.errorhandler(Exception)
    def server_error(exc):
        # Never a stack trace to the visitor; the log keeps it for the administrator.
        app.logger.exception("Unhandled error on %s", request.path)
        message = _("Something went wrong on our side. Nothing was saved.")
        if _is_api():
            return api_error(500, "server_error", message)
        return render_template("errors/error.html", code=500, message=message), 500

    @app.context_processor
    def template_helpers():
        return {
            "policy": policy,
            "vocab": vocab,
            "geo": geo,
            "lang": i18n.language(),
            "LANGUAGES": LANGUAGES,
            "pick_text": i18n.pick_text,
            "language_name": i18n.language_name,
            "format_incident_date": i18n.format_incident_date,
            "review_queue_count": _review_queue_count,
            "field_label": lambda name: vocab.FIELD_LABELS.get(name, name),
            "facility_name": lambda facility: search.facility_name(facility, i18n.language()),
            "facility_name_by_id": lambda facility_id: search.facility_name_by_id(facility_id, i18n.language()),
        }


def _review_queue_count() -> int:
    return workflow.queue_count() if policy.can_see_review_queue(current_user) else 0
