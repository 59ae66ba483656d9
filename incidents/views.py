"""What every view, page or API, shares: the acting user, the settings, a form for buttons,
where a form may send the reader back to, and a page's query: read, and carried by its links."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from flask_login import current_user
from flask_wtf import FlaskForm

from incidents.errors import ValidationFailed


def actor():
    """The signed-in user as a model instance (or the anonymous user), for services and policy."""
    return current_user._get_current_object()


def settings():
    return current_app.config["SETTINGS"]


class PostForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: never another host, scheme or a protocol-relative URL."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return default
    return target


def link_args(*own: str) -> dict:
    """The page's query for links to another endpoint, less what url_for would take for its own
    arguments ("endpoint", "_external", ...) or the link sets itself (``own``): a query naming
    them was a 500."""
    return {k: v for k, v in request.args.lists() if k not in ("endpoint", *own) and not k.startswith("_")}


def read_query(parse, fallback):
    """(what ``parse`` reads from the query string, {}); when it is not understood, (``fallback``,
    what was wrong, by parameter)."""
    try:
        return parse(request.args), {}
    except ValidationFailed as exc:
        return fallback, {k: [str(m) for m in v] for k, v in exc.fields.items()}
