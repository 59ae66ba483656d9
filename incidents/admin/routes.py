"""User administration pages (admins only)."""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField

from .. import policy, vocab
from ..auth import credentials
from ..auth.forms import PostForm
from ..errors import ServiceError, ValidationFailed
from ..models import ROLES, User
from . import service

bp = Blueprint("admin", __name__, url_prefix="/admin")


class NewUserForm(FlaskForm):
    email = EmailField(_l("E-mail"))
    name = StringField(_l("Name"))
    # The least powerful role that enters data, so a slip of the hand creates no administrator.
    role = SelectField(_l("Role"), validate_choice=False, default="contributor")


@bp.before_request
def admins_only():
    if not policy.can_manage_users(current_user):
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
            user = credentials.create_user(form.email.data, form.role.data,
                                           current_user._get_current_object(), form.name.data)
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
                           link_minutes=current_app.config["SETTINGS"].SETUP_LINK_MINUTES), status


def _password_link(user: User) -> str:
    minutes = current_app.config["SETTINGS"].SETUP_LINK_MINUTES
    return url_for("auth.set_password", secret=credentials.issue_password_link(user, minutes),
                   _external=True)


@bp.route("/users/<int:user_id>", methods=["POST"])
def update_user(user_id):
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    user = credentials.get_user(user_id)
    actor = current_user._get_current_object()
    action = request.form.get("action")
    if action == "password_link":
        new_form = NewUserForm(formdata=None)
        new_form.role.choices = _role_choices()
        return _users_page(new_form, {}, (user, _password_link(user)), 200)
    try:
        if action == "role":
            service.change_role(actor, user, request.form.get("role", ""))
        elif action in ("deactivate", "activate"):
            service.set_active(actor, user, action == "activate")
        else:
            abort(400)
    except ServiceError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Saved."), "info")
    return redirect(url_for("admin.users"))
