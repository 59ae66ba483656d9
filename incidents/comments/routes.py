"""The conversation's form on the incident's page, its edit form and the review page.

It posts on its own, never inside the incident form: answering never sends, nor loses, what is
typed there. static/conversation.js sends it without leaving the page and gets JSON back; without
the script the page comes back with a message.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from incidents.comments import service
from incidents.errors import NotFound, ValidationFailed
from incidents.views import PostForm, actor, safe_next

bp = Blueprint("comments", __name__)


@bp.route("/incidents/<int:incident_id>/comments", methods=["POST"])
def post(incident_id):
    """A comment, or an answer (``parent``), with ``body``; ``back`` is the page to go back to.

    :raise 400: no CSRF token. :raise 404: an incident whose conversation the user takes no part in.
    """
    if not PostForm().validate_on_submit():
        abort(400)
    fetched = request.headers.get("X-Requested-With") == "fetch"
    try:
        comment = service.post(actor(), incident_id, request.form.get("body"), request.form.get("parent"))
    except NotFound:
        abort(404)
    except ValidationFailed as exc:
        if fetched:
            return jsonify({"error": {"code": exc.code, "message": str(exc.message)}}), exc.status
        flash(str(exc.message), "error")
        return redirect(_back(incident_id))
    if fetched:
        return jsonify({"comment": service.comment_json(comment), "message": _("Your comment was sent.")}), 201
    flash(_("Your comment was sent."), "info")
    return redirect(_back(incident_id))


def _back(incident_id: int) -> str:
    return safe_next(request.form.get("back"), url_for("records.incident_detail", incident_id=incident_id)) \
        + "#conversation"
