"""Two-factor sign-in: a TOTP secret per user and one-time recovery codes."""
from peewee import BigIntegerField, CharField, DateTimeField

from incidents.migrations import Frozen, add_columns, create_tables, foreign_key


class _RecoveryCode(Frozen):
    user = foreign_key("user", on_delete="CASCADE")
    code_hash = CharField()
    used_at = DateTimeField(null=True)

    class Meta:
        table_name = "recovery_code"


def up(migrator, db):
    add_columns(migrator, "user", totp_secret=CharField(null=True), totp_pending=CharField(null=True),
                totp_last_step=BigIntegerField(default=0))
    create_tables(db, _RecoveryCode)
