"""The incident form's drafts as JSON, for the form's script (static/drafts.js): read, keep and
discard the signed-in author's own draft. Cookie-authenticated, so every write carries the CSRF
token (in the X-CSRFToken header); signed out, the gate sends the script to the sign-in page.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user

from incidents import policy
from incidents.errors import ServiceError
from incidents.models import Incident
from incidents.records import drafts
from incidents.views import actor, settings

bp = Blueprint("drafts", __name__)


@bp.route("/incidents/new/draft", methods=["GET", "PUT", "DELETE"])
def new_incident():
    if not policy.can_keep_draft(actor(), None):
        abort(403)
    return _answer(None)


@bp.route("/incidents/<int:incident_id>/draft", methods=["GET", "PUT", "DELETE"])
def edit_incident(incident_id):
    """:raise 404: no such incident, or one the user may not read; 403: one they may not edit."""
    incident = Incident.get_or_none(Incident.id == incident_id)
    if incident is None or not policy.can_read_working_copy(actor(), incident):
        abort(404)
    if not policy.can_keep_draft(actor(), incident):
        abort(403)
    return _answer(incident)


def _answer(incident):
    if request.method == "DELETE":
        drafts.discard(actor(), incident)
        return "", 204
    if request.method == "PUT":
        try:
            draft = drafts.save(actor(), incident, _body(), request.content_length)
        except ServiceError as exc:
            return jsonify({"error": {"code": exc.code, "message": str(exc.message)}}), exc.status
        return jsonify({"draft": drafts.as_json(draft, incident)})
    draft = drafts.load(actor(), incident)  # none is no error: nothing to offer back
    return jsonify({"draft": None if draft is None else drafts.as_json(draft, incident)})


def _body():
    """The JSON sent, but nothing at all of an oversized body: the service refuses it by its size."""
    if request.content_length is None or request.content_length > drafts.MAX_BYTES:
        return None
    return request.get_json(silent=True)


@bp.app_template_global()
def draft_storage_name() -> str:
    """The signed-in user's tag for the browser's copies of their drafts ("" for the public): the
    script on every page needs it to clear them at sign-out."""
    if not current_user.is_authenticated:
        return ""
    return drafts.browser_key(current_user, settings().SECRET_KEY)[0]


@bp.app_template_global()
def draft_browser_key() -> str:
    """The key of the browser's encrypted copy, given only to its signed-in author, on the form."""
    return drafts.browser_key(current_user, settings().SECRET_KEY)[1]
