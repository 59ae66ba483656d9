"""The JSON API, /api/v1: the same services as the pages, answered as JSON."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import dossiers, evidence, openapi, routes  # noqa: E402,F401  (registers the routes on bp)
