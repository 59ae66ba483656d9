"""Issue 12, findings 7 and 8.

Evidence detached because the edit that brought it was rejected keeps which revision that was.
Deactivation now revokes a user's API tokens for good; users deactivated before this change still
hold unrevoked tokens that a reactivation would bring back, so those are revoked here.
"""
from incidents.db import add_missing_columns
from incidents.models import ApiToken, EvidenceItem, User


def up(migrator, db):
    add_missing_columns(migrator, EvidenceItem, "rejected_revision")
    inactive = User.select(User.id).where(User.active == False)  # noqa: E712
    ApiToken.update(revoked=True).where(ApiToken.user.in_(inactive) & (ApiToken.revoked == False)).execute()  # noqa: E712
