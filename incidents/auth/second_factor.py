"""Pages for the second factor: the code after the password, and enrolling an authenticator.

Every page here acts on the signed-in user (or the one whose password was just right): none
takes a user id, so nobody can enrol or reset another person's second factor.
"""
from __future__ import annotations

import segno
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from incidents import audit
from incidents.accounts import devices, sessions, throttle, two_factor
from incidents.auth.blueprint import bp
from incidents.auth.forms import CodeForm
from incidents.db import database
from incidents.errors import ValidationFailed
from incidents.views import safe_next

TYPE_THE_CODE = _l("Type the code your app shows.")


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step of signing in; the password step left a pending sign-in in the session."""
    user, next_url = sessions.pending_user()
    if user is None:
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        attempt = throttle.begin(user.email, request.remote_addr or "", request.cookies.get(devices.COOKIE))
        if attempt is None:
            flash(throttle.TOO_MANY, "error")
            return render_template("auth/login_code.html", form=form), 429
        if two_factor.check(user, form.code.data):
            throttle.succeeded(attempt)
            sessions.begin(user)
            with database.atomic():
                audit.record(user, "user.login", user, second_factor=True)
            return devices.remember(redirect(safe_next(next_url, url_for("public.home"))), user)
        form.code.errors = [two_factor.WRONG_CODE]
    return render_template("auth/login_code.html", form=form), 400 if request.method == "POST" else 200


def _page(codes: list[str] | None = None, errors: dict | None = None, status: int = 200):
    user = current_user._get_current_object()
    enrolling = not two_factor.is_enabled(user) or user.totp_pending
    qr = uri = None
    if enrolling:
        uri = two_factor.provisioning_uri(user, two_factor.pending_secret(user))
        # segno draws the code as SVG paths: nothing from the user is ever markup here.
        qr = Markup(segno.make(uri, micro=False).svg_inline(scale=5, border=2))  # noqa: S704 (paths only)
    return render_template("auth/two_factor.html", form=CodeForm(), codes=codes, errors=errors or {},
                           qr=qr, secret=user.totp_pending if enrolling else None,
                           left=two_factor.recovery_codes_left(user)), status


@bp.route("/account/two-factor", methods=["GET"])
@login_required
def two_factor_page():
    return _page()


def _with_code(action):
    """Run ``action(user, code)`` for the signed-in user with the posted code; a wrong code counts
    towards the client's (the account's, or this device's) and the address's limits, as at sign-in,
    so a stolen session cannot guess its way to a new authenticator or new recovery codes."""
    user = current_user._get_current_object()
    form = CodeForm()
    if not form.validate_on_submit():
        return None, _page(errors={"code": [TYPE_THE_CODE]}, status=400)
    attempt = throttle.begin(user.email, request.remote_addr or "", request.cookies.get(devices.COOKIE))
    if attempt is None:
        return None, _page(errors={"code": [throttle.TOO_MANY]}, status=429)
    try:
        result = action(user, form.code.data)
    except ValidationFailed as exc:
        return None, _page(errors=exc.fields, status=422)
    # Proving the code here signs nobody in, so the client's earlier failures still count.
    throttle.succeeded(attempt, signed_in=False)
    return result, None


@bp.route("/account/two-factor/confirm", methods=["POST"])
@login_required
def two_factor_confirm():
    codes, refused = _with_code(two_factor.confirm)
    if refused:
        return refused
    flash(_("Two-factor sign-in is on."), "success")
    return _page(codes=codes)


@bp.route("/account/two-factor/restart", methods=["POST"])
@login_required
def two_factor_restart():
    """Enrol a new authenticator (a new phone), proving the current one (or a recovery code) first."""
    _result, refused = _with_code(two_factor.restart)
    return refused or redirect(url_for("auth.two_factor_page"))


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@login_required
def two_factor_recovery_codes():
    codes, refused = _with_code(two_factor.new_recovery_codes)
    return refused or _page(codes=codes)
