"""JSON endpoints of the conversation on an incident and of a person's notifications."""
from __future__ import annotations

from flask import jsonify, url_for

from incidents.api.blueprint import bp
from incidents.api.routes import _json_body
from incidents.comments import service as comments
from incidents.notifications import mail
from incidents.notifications import service as notifications
from incidents.views import actor


@bp.route("/incidents/<int:incident_id>/comments", methods=["GET"])
def comment_list(incident_id):
    """The conversation, oldest first (404 for anyone who takes no part in it)."""
    return jsonify({"items": comments.conversation(actor(), incident_id).as_json()})


@bp.route("/incidents/<int:incident_id>/comments", methods=["POST"])
def comment_create(incident_id):
    """``body``, and ``parent`` to answer a comment."""
    body = _json_body()
    comment = comments.post(actor(), incident_id, body.get("body"), body.get("parent"))
    return jsonify(comments.comment_json(comment)), 201


def _notification_json(notification) -> dict:
    other = notification.other
    return {"id": notification.id, "kind": notification.kind, "text": mail.describe(notification),
            "incident": {"id": notification.incident_id, "reference": notification.incident.reference},
            "other": {"id": other.id, "reference": other.reference} if other else None,
            "read": notification.read_at is not None,
            "created_at": notification.created_at.isoformat(timespec="seconds") + "Z",
            "url": url_for("records.incident_detail", incident_id=notification.incident_id, _external=True)}


@bp.route("/notifications", methods=["GET"])
def notification_list():
    """The caller's notifications, newest first, and how many are unread."""
    return jsonify({"items": [_notification_json(n) for n in notifications.listing(actor())],
                    "unread": notifications.unread_count(actor())})


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
def notification_read(notification_id):
    """Mark one read (404 for another's)."""
    notifications.mark_read(actor(), notification_id)
    return jsonify({"unread": notifications.unread_count(actor())})


@bp.route("/notifications/read", methods=["POST"])
def notification_read_all():
    """Mark every notification of the caller read."""
    notifications.mark_all_read(actor())
    return jsonify({"unread": notifications.unread_count(actor())})
