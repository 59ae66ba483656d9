"""Sign in, sign out, set a password through a one-time link, account and language."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from incidents import audit, policy
from incidents.accounts import credentials, devices, sessions, throttle, two_factor
from incidents.auth.blueprint import bp
from incidents.auth.forms import LoginForm, SetPasswordForm
from incidents.config import CHOSEN_LANGUAGE, LANGUAGES
from incidents.db import database
from incidents.errors import NotFound, ValidationFailed
from incidents.models import User
from incidents.views import PostForm, safe_next, settings


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated:
        return redirect(safe_next(form.next.data, url_for("public.home")))
    if form.validate_on_submit():
        attempt = throttle.begin(form.email.data, request.remote_addr or "", request.cookies.get(devices.COOKIE))
        if attempt is None:
            # Refused before the password is even checked; the same words for every account.
            flash(throttle.TOO_MANY, "error")
            return render_template("auth/login.html", form=form), 429
        # Counted as a failure already: a wrong password, for a known account or an unknown one,
        # does nothing more, so both take the time of one password check.
        user = credentials.authenticate(form.email.data, form.password.data, settings().TESTING)
        if user is not None and two_factor.is_enabled(user):
            # The client's failure count stays until the code is right too: guessing codes counts.
            throttle.succeeded(attempt, signed_in=False)
            sessions.await_second_factor(user, form.next.data)
            return redirect(url_for("auth.login_code"))
        if user is not None:
            throttle.succeeded(attempt)
            sessions.begin(user)
            with database.atomic():
                audit.record(user, "user.login", user)
            return devices.remember(redirect(safe_next(form.next.data, url_for("public.home"))), user)
        flash(_("Wrong e-mail or password, or the account is deactivated."), "error")
    return render_template("auth/login.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    with database.atomic():
        sessions.end_everywhere(user)
        audit.record(user, "user.logout", user)
    flash(_("You are signed out, on every device."), "info")
    return redirect(url_for("public.home"))


@bp.route("/set-password/<secret>", methods=["GET", "POST"])
def set_password(secret):
    try:
        link = credentials.find_password_link(secret)
    except NotFound as exc:
        return render_template("errors/error.html", code=404, message=exc.message), 404
    first_admin = link.user_id is None
    form = SetPasswordForm()
    if not first_admin:
        # Only the first administrator gives an e-mail and a name here; a person's own link must
        # not be refused for fields its page does not show them.
        del form.email, form.name
    if form.validate_on_submit():
        try:
            user = credentials.use_password_link(
                secret, form.password.data, email=form.email.data if first_admin else "",
                name=form.name.data if first_admin else "", testing=settings().TESTING)
        except ValidationFailed as exc:
            for field, messages in exc.fields.items():
                getattr(form, field, form.password).errors = [str(m) for m in messages]
        else:
            flash(_("Your password is set. Welcome."), "info")
            if two_factor.is_enabled(user):
                # A link is a password, not a second factor: whoever holds it still needs the code.
                sessions.await_second_factor(user, "")
                return redirect(url_for("auth.login_code"))
            sessions.begin(user)
            return redirect(url_for("public.home"))
    return render_template("auth/set_password.html", form=form, first_admin=first_admin,
                           user=link.user), 200 if not form.errors else 400


@bp.route("/account", methods=["GET"])
@login_required
def account():
    return render_template("auth/account.html", form=PostForm(), token=None)


@bp.route("/account/token", methods=["POST"])
@login_required
def new_token():
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    if not policy.can_hold_api_token(current_user):
        abort(403)
    token = credentials.issue_api_token(current_user._get_current_object())
    # Shown once, in this response only; only its hash is kept.
    return render_template("auth/account.html", form=PostForm(), token=token)


@bp.route("/language", methods=["POST"])
def set_language():
    form = PostForm()
    lang = request.form.get("lang")
    if not form.validate_on_submit() or lang not in LANGUAGES:
        abort(400)
    session[CHOSEN_LANGUAGE] = lang
    if current_user.is_authenticated:
        with database.atomic():
            current_user.locale = lang
            current_user.save(only=[User.locale])
    return redirect(safe_next(request.form.get("next"), url_for("public.home")))

