"""Administration pages (admins only): people and roles, the organisation profile, the audit trail."""
from __future__ import annotations

import os

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from incidents import policy, vocab
from incidents.accounts import credentials
from incidents.admin import audit_trail as audit_trail_service
from incidents.admin import audit_words, service
from incidents.admin import organisation as organisation_service
from incidents.admin.forms import NewUserForm
from incidents.errors import ServiceError, ValidationFailed
from incidents.models import ROLES, User
from incidents.views import PostForm, actor, settings

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def admins_only():
    if not policy.can_manage_users(actor()):
        abort(403)


def _role_choices():
    return [(r, vocab.ROLE_LABELS[r]) for r in ROLES]


@bp.route("/users", methods=["GET", "POST"])
def users():
    form = NewUserForm()
    form.role.choices = _role_choices()
    errors, link, status = {}, None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            user = credentials.create_user(form.email.data, form.role.data, actor(), form.name.data)
        except ValidationFailed as exc:
            errors, status = {k: [str(m) for m in v] for k, v in exc.fields.items()}, 422
        else:
            link = (user, _password_link(user))
            form = NewUserForm(formdata=None)
            form.role.choices = _role_choices()
    return _users_page(form, errors, link, status)


def _users_page(form, errors, link, status):
    """``link`` is (user, one-time URL): shown in this response only, never stored in a cookie."""
    people = list(User.select().order_by(User.active.desc(), User.email))
    return render_template("admin/users.html", form=form, people=people, errors=errors, link=link,
                           post_form=PostForm(), roles=_role_choices(),
                           link_minutes=settings().SETUP_LINK_MINUTES), status


def _password_link(user: User) -> str:
    secret = credentials.issue_password_link(user, settings().SETUP_LINK_MINUTES, actor=actor())
    return url_for("auth.set_password", secret=secret, _external=True)


@bp.route("/users/<int:user_id>", methods=["POST"])
def update_user(user_id):
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    user = credentials.get_user(user_id)
    action = request.form.get("action")
    if action == "password_link":
        new_form = NewUserForm(formdata=None)
        new_form.role.choices = _role_choices()
        return _users_page(new_form, {}, (user, _password_link(user)), 200)
    try:
        if action == "role":
            service.change_role(actor(), user, request.form.get("role", ""))
        elif action in ("deactivate", "activate"):
            service.set_active(actor(), user, action == "activate")
        else:
            abort(400)
    except ServiceError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Saved."), "info")
    return redirect(url_for("admin.users"))


@bp.route("/audit", methods=["GET"])
def audit_trail():
    """The audit trail, filtered; it says whether the hash chain is whole, and where it breaks."""
    return render_template("admin/audit.html", trail=audit_trail_service.read(request.args), args=request.args,
                           describe=audit_words.describe, actions=audit_words.action_choices(),
                           object_types=audit_words.object_type_choices())


@bp.route("/organisation", methods=["GET", "POST"])
def organisation():
    """The organisation every dossier names as its author; saved only whole, logo included.

    :raise 400: no CSRF token. :raise 403: not an administrator.
    """
    if not policy.can_manage_organisation(actor()):
        abort(403)
    errors, typed, status = {}, None, 200
    if request.method == "POST":
        if not PostForm().validate_on_submit():
            abort(400)
        upload = request.files.get("logo")
        logo = upload.read(organisation_service.LOGO_MAX_BYTES + 1) if upload and upload.filename else None
        try:
            organisation_service.save(actor(), request.form, logo=logo,
                                      remove_logo=request.form.get("remove_logo") == "1",
                                      scratch=os.path.join(current_app.instance_path, "scratch"))
        except ValidationFailed as exc:
            errors, typed, status = {k: [str(m) for m in v] for k, v in exc.fields.items()}, request.form, 422
        else:
            flash(_("Saved. Every dossier built from now on names the organisation this way."), "success")
            return redirect(url_for("admin.organisation"))
    return render_template("admin/organisation.html", profile=organisation_service.current(), typed=typed,
                           errors=errors, max_logo=organisation_service.LOGO_MAX_BYTES), status


@bp.route("/organisation/logo", methods=["GET"])
def organisation_logo():
    """The logo as kept (a PNG the app encoded). :raise 404: none set."""
    logo = organisation_service.logo_of(organisation_service.current())
    if logo is None:
        abort(404)
    response = Response(logo, mimetype="image/png")
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
