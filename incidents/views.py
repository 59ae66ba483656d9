"""What every view, page or API, shares: the acting user, the settings, a form for buttons."""
from __future__ import annotations

from flask import current_app
from flask_login import current_user
from flask_wtf import FlaskForm


def actor():
    """The signed-in user as a model instance (or the anonymous user), for services and policy."""
    return current_user._get_current_object()


def settings():
    return current_app.config["SETTINGS"]


class PostForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""
