"""Errors as people read them: a page for a browser, ``{"error": {...}}`` for the API, never a trace."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from incidents.errors import ServiceError
from incidents.evidence.store import TooLarge
from incidents.text import LONE_SURROGATE


def is_api() -> bool:
    return request.path.startswith("/api/")


def _sendable(text) -> str:
    """A message may quote the input, and an answer holding a lone surrogate would fail as a whole."""
    return LONE_SURROGATE.sub("\ufffd", str(text))


def api_error(status: int, code: str, message, fields: dict | None = None):
    body = {"error": {"code": code, "message": _sendable(message),
                      "fields": {_sendable(k): [_sendable(m) for m in v] for k, v in (fields or {}).items()}}}
    return jsonify(body), status


def init_errors(app) -> None:
    @app.errorhandler(TooLarge)
    def file_too_large(exc):
        return http_error(RequestEntityTooLarge())

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        message = _("The form expired or was sent from elsewhere. Please try again.")
        if is_api():
            return api_error(400, "csrf", message)
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(ServiceError)
    def service_error(exc):
        if is_api():
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
        if is_api():
            return api_error(exc.code, exc.name.lower().replace(" ", "_"), message)
        return render_template("errors/error.html", code=exc.code, message=message), exc.code

    @app.errorhandler(Exception)
    def server_error(exc):
        # Never a stack trace to the visitor; the log keeps it for the administrator.
        app.logger.exception("Unhandled error on %s", request.path)
        message = _("Something went wrong on our side. Nothing was saved.")
        if is_api():
            return api_error(500, "server_error", message)
        return render_template("errors/error.html", code=500, message=message), 500
