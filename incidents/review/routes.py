"""The review queue and workflow transitions from the pages."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from incidents import policy, shape, workflow
from incidents.duplicates import service as duplicates
from incidents.errors import ServiceError
from incidents.views import PostForm, actor

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
    """Incidents waiting for review, oldest first, with the reviewer's own work marked, and those
    with a likely duplicate.

    :raise 403: not a reviewer or an administrator.
    """
    if not policy.can_see_review_queue(actor()):
        abort(403)
    rows = workflow.review_queue(actor())
    return render_template("review/queue.html", rows=rows,
                           flagged=duplicates.flagged(actor(), [incident for incident, _r in rows]))


@bp.route("/incidents/<int:incident_id>/confirm")
def confirm(incident_id):
    """A page between a review button and its action: what will happen, for an approval what will
    become public, and the form that does it from the version shown here.

    :raise 422: a version that is not a number. :raise 404: an incident the user may not see, or
    an action that asks no confirmation. :raise 403: the user may not take it. :raise 409: its state forbids it.
    """
    action = request.args.get("action", "")
    try:
        read = workflow.parse_version(request.args.get("version"))
        incident, public = workflow.confirmation(incident_id, actor(), action)
    except ServiceError as exc:
        abort(exc.status)
    # The incident changed after the page the reviewer read: they decide on what they have not seen.
    stale = read is not None and read != incident.version
    waiting = workflow.unredacted(incident) if action == "approve" else []
    return render_template("review/confirm.html", incident=incident, action=action, public=public,
                           stale=stale, shape=shape, unredacted_items=waiting)


@bp.route("/incidents/<int:incident_id>/transition", methods=["POST"])
def transition(incident_id):
    """:raise 400: no CSRF token. :raise 404: an incident the user may not see.

    Any other refusal (a missing or stale version above all) is flashed on the incident's page.
    """
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    action = request.form.get("action", "")
    try:
        # The page always sends the version it showed: a reviewer approves what they read.
        moved = workflow.transition(incident_id, actor(), action, comment=request.form.get("comment", ""),
                                    version=request.form.get("version"))
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(str(exc.message), "error")
    else:
        flash(str(DONE_MESSAGES[action]), "info")
        duplicates.after_transition(moved)
    return redirect(url_for("records.incident_detail", incident_id=incident_id))
