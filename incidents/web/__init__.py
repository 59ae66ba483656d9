"""The web application's wiring, one named initialiser per concern, called in order (floor 1.5).

``requests`` (bounded ids, upload spooling and size), ``templates`` (Babel, template helpers),
``login`` (sessions and bearer tokens), ``gates`` (deny by default, second factor, CSRF),
``headers`` (security headers), ``errors`` (pages and JSON errors). The order matters: the
gates run before CSRF, so an anonymous POST is sent to sign in rather than refused for its token.
"""
from __future__ import annotations

from incidents.web.errors import init_errors
from incidents.web.gates import csrf, init_csrf, init_gates
from incidents.web.headers import init_headers
from incidents.web.login import init_login
from incidents.web.requests import init_requests, init_upload_limit
from incidents.web.templates import init_templates


def init_web(app) -> None:
    init_requests(app)
    init_templates(app)
    init_login(app)
    register_blueprints(app)
    init_gates(app)
    init_upload_limit(app)
    init_errors(app)
    init_csrf(app)
    init_headers(app)


def register_blueprints(app) -> None:
    from incidents.admin.routes import bp as admin_bp
    from incidents.api import bp as api_bp
    from incidents.auth import bp as auth_bp
    from incidents.comments.routes import bp as comments_bp
    from incidents.dossiers.routes import bp as dossiers_bp
    from incidents.evidence.routes import bp as evidence_bp
    from incidents.notifications.routes import bp as notifications_bp
    from incidents.public.routes import bp as public_bp
    from incidents.records.draft_routes import bp as drafts_bp
    from incidents.records.routes import bp as records_bp
    from incidents.review.routes import bp as review_bp

    # The API authenticates by bearer token, not by cookie, so a forged cross-site request
    # carries no credentials: CSRF tokens are for the cookie-authenticated pages.
    csrf.exempt(api_bp)
    for blueprint in (public_bp, auth_bp, records_bp, drafts_bp, review_bp, evidence_bp, dossiers_bp, admin_bp,
                      comments_bp, notifications_bp, api_bp):
        app.register_blueprint(blueprint)
