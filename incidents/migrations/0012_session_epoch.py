"""Sessions that can be ended everywhere: a counter per user that every session must match."""
from incidents.db import add_missing_columns
from incidents.models import User


def up(migrator, db):
    add_missing_columns(migrator, User, "session_epoch")
