"""A person's notifications, marking them read, and their choice of e-mails (on the account page)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from incidents.errors import NotFound
from incidents.notifications import mail, service
from incidents.views import PostForm, actor

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
def page():
    """The signed-in person's notifications, newest first, unread ones marked."""
    return render_template("notifications/list.html", items=service.listing(actor()), describe=mail.describe,
                           form=PostForm())


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
def mark_read(notification_id):
    """:raise 400: no CSRF token. :raise 404: not one of this person's notifications."""
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        service.mark_read(actor(), notification_id)
    except NotFound:
        abort(404)
    return redirect(url_for("notifications.page"))


@bp.route("/notifications/read", methods=["POST"])
def mark_all_read():
    """:raise 400: no CSRF token."""
    if not PostForm().validate_on_submit():
        abort(400)
    service.mark_all_read(actor())
    flash(_("All notifications are marked as read."), "info")
    return redirect(url_for("notifications.page"))


@bp.route("/account/email-notifications", methods=["POST"])
def email_setting():
    """``email`` "on" or "off". :raise 400: no CSRF token, or another value."""
    if not PostForm().validate_on_submit() or request.form.get("email") not in ("on", "off"):
        abort(400)
    service.set_email(actor(), request.form["email"] == "on")
    flash(_("E-mails about notifications are on.") if request.form["email"] == "on"
          else _("E-mails about notifications are off."), "info")
    return redirect(url_for("auth.account"))
