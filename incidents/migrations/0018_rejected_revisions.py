"""Issue 12, findings 7 and 8.

Evidence detached because the edit that brought it was rejected keeps which revision that was.
Deactivation now revokes a user's API tokens for good; users deactivated before this change still
hold unrevoked tokens that a reactivation would bring back, so those are revoked here.
"""
from peewee import BooleanField, IntegerField

from incidents.migrations import Frozen, add_columns, foreign_key


class _User(Frozen):
    active = BooleanField()

    class Meta:
        table_name = "user"


class _ApiToken(Frozen):
    user_id = IntegerField()
    revoked = BooleanField()

    class Meta:
        table_name = "api_token"


def up(migrator, db):
    add_columns(migrator, "evidence_item",
                rejected_revision_id=foreign_key("revision", null=True, on_delete="RESTRICT"))
    with db.bind_ctx([_User, _ApiToken]):
        inactive = _User.select(_User.id).where(_User.active == False)  # noqa: E712
        _ApiToken.update(revoked=True).where(_ApiToken.user_id.in_(inactive) & (_ApiToken.revoked == False)).execute()  # noqa: E712
