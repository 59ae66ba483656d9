"""The sign-in pages' blueprint, apart from the pages so that both of their modules can add to it."""
from flask import Blueprint

bp = Blueprint("auth", __name__)
