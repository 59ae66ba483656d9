"""Two-factor sign-in: a TOTP secret per user and one-time recovery codes."""
from incidents.db import add_missing_columns
from incidents.models import RecoveryCode, User


def up(migrator, db):
    add_missing_columns(migrator, User, "totp_secret", "totp_pending", "totp_last_step")
    db.create_tables([RecoveryCode], safe=True)
