"""People who sign in, and what proves who they are: passwords, recovery codes, tokens, links."""
from __future__ import annotations

from peewee import BigIntegerField, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField

from incidents.db import BaseModel
from incidents.models.fields import SealedTextField, utcnow

ROLES = ("admin", "reviewer", "contributor", "lawyer", "researcher")


class User(BaseModel):
    email = CharField(unique=True)
    name = CharField(default="")
    role = CharField(choices=[(r, r) for r in ROLES])
    password_hash = CharField(null=True)
    active = BooleanField(default=True)
    locale = CharField(null=True)
    created_at = DateTimeField(default=utcnow)
    # Raised to end every session of the user on every device (logout, new password, new role).
    session_epoch = IntegerField(default=0)
    # Two-factor sign-in (TOTP): the confirmed secret, one being enrolled, and the last time step
    # a code was accepted for, so that no code works twice.
    totp_secret = SealedTextField(null=True)
    totp_pending = SealedTextField(null=True)
    totp_last_step = BigIntegerField(default=0)
    # E-mails about their notifications, when the installation can send mail (notifications/mail.py).
    email_notifications = BooleanField(default=True)

    # Flask-Login reads these three attributes.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class RecoveryCode(BaseModel):
    """A one-time code that stands in for the authenticator once; only its hash is kept."""

    user = ForeignKeyField(User, backref="recovery_codes", on_delete="CASCADE")
    code_hash = CharField()
    used_at = DateTimeField(null=True)


class LoginFailure(BaseModel):
    """A failed sign-in, counted per account and per address to slow down guessing."""

    key = CharField(index=True)  # "account:<sha256 of the e-mail>", "address:<IP>" or "device:<sha256 of a nonce>"
    at = DateTimeField(default=utcnow, index=True)


class ApiToken(BaseModel):
    """An API token; only its SHA-256 is stored, so a leaked database yields no usable token."""

    user = ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    token_hash = CharField(unique=True)
    created_at = DateTimeField(default=utcnow)
    revoked = BooleanField(default=False)


class PasswordLink(BaseModel):
    """A one-time link to set a password: for the first administrator (no user yet) or a new user."""

    user = ForeignKeyField(User, null=True, backref="password_links", on_delete="CASCADE")
    token_hash = CharField(unique=True)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)
