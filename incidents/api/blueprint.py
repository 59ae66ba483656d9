"""The API's blueprint, apart from its modules so that each can add routes without an import circle."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
