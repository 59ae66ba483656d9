"""Changing roles and deactivating people, without locking the last administrator out."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from incidents import audit, policy
from incidents.accounts import credentials
from incidents.db import database
from incidents.errors import Conflict, Forbidden, ValidationFailed
from incidents.models import ROLES, User


def _require_admin(actor) -> None:
    if not policy.can_manage_users(actor):
        raise Forbidden(_l("Only administrators manage users."))


def _other_active_admins(user: User) -> int:
    return User.select().where((User.role == "admin") & (User.active == True)  # noqa: E712
                               & (User.id != user.id)).count()


def change_role(actor, user: User, role: str) -> User:
    """:raise ValidationFailed: unknown role. :raise Conflict: it would leave no active admin."""
    _require_admin(actor)
    if role not in ROLES:
        raise ValidationFailed(_l("Unknown role."), {"role": [_l("Unknown role.")]})
    with database.atomic():
        if user.role == "admin" and role != "admin" and _other_active_admins(user) == 0:
            raise Conflict(_l("There must remain at least one active administrator."))
        old = user.role
        user.role = role
        user.save(only=[User.role])  # never the session epoch: that moves only by end_sessions
        credentials.end_sessions(user)
        credentials.revoke_tokens(user)
        audit.record(actor, "user.change_role", user, old=old, new=role)
    return user


def set_active(actor, user: User, active: bool) -> User:
    """Deactivate or reactivate; nobody is deleted. :raise Conflict: the last active admin.

    Deactivating ends every session and revokes every token and unused password link for good:
    reactivating gives back the account, never a key issued before (a copy may be in other hands).
    """
    _require_admin(actor)
    with database.atomic():
        if not active and user.role == "admin" and _other_active_admins(user) == 0:
            raise Conflict(_l("There must remain at least one active administrator."))
        user.active = active
        user.save(only=[User.active])
        credentials.end_sessions(user)
        if not active:
            credentials.revoke_tokens(user)
            credentials.void_password_links(user)
        audit.record(actor, "user.activate" if active else "user.deactivate", user)
    return user
