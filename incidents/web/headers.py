"""The headers on every answer: a strict content policy, no framing, no caching of private pages."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from incidents import policy

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def init_headers(app) -> None:
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
