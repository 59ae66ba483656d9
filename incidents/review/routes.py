"""The review queue, workflow transitions from the pages, and an incident's history."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import policy, workflow
from ..auth.forms import PostForm
from ..errors import ServiceError
from ..models import Incident, Revision
from ..records import service
from ..revisions import diff

bp = Blueprint("review", __name__)

DONE_MESSAGES = {
    "submit": _l("Submitted for review. A reviewer will look at it."),
    "approve": _l("Approved and published."),
    "request_changes": _l("Returned to the author with your comment."),
    "reject": _l("Rejected."),
    "retract": _l("Retracted: it is no longer public."),
}


@bp.route("/review")
def queue():
    """Incidents waiting for review, oldest first, with those the reviewer may not take marked."""
    if not policy.can_see_review_queue(current_user):
        abort(403)
    waiting = list(Incident.select().where(Incident.status == "in_review")
                   .order_by(Incident.updated_at, Incident.id))
    user = current_user._get_current_object()
    rows = [(incident, policy.can_review(user, incident)) for incident in waiting]
    return render_template("review/queue.html", rows=rows)


@bp.route("/incidents/<int:incident_id>/transition", methods=["POST"])
def transition(incident_id):
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    action = request.form.get("action", "")
    try:
        workflow.transition(incident_id, current_user._get_current_object(), action,
                            comment=request.form.get("comment", ""),
                            version=request.form.get("version") or None)
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(str(exc.message), "error")
    else:
        flash(str(DONE_MESSAGES[action]), "info")
    return redirect(url_for("records.incident_detail", incident_id=incident_id))


@bp.route("/incidents/<int:incident_id>/history")
def history(incident_id):
    """Every revision, newest first, each with what it changed."""
    view = service.read_incident(current_user._get_current_object(), incident_id)
    if view.incident is None or not view.confidential:
        abort(404)
    revisions = list(view.incident.revisions.order_by(Revision.number.desc()))
    entries = []
    for index, revision in enumerate(revisions):
        previous = revisions[index + 1].snapshot if index + 1 < len(revisions) else None
        entries.append((revision, diff(previous, revision.snapshot)))
    return render_template("review/history.html", incident=view.incident, entries=entries)
