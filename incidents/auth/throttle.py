"""Slowing down password guessing: failed sign-ins counted per account and per address.

Counted in the database, so every worker process sees the same counts. The account is keyed by a
hash of the e-mail as typed (unknown accounts are throttled alike, so the answer never tells
whether an account exists). Behind a reverse proxy, set INCIDENTS_TRUSTED_PROXIES so that the
address is the visitor's, not the proxy's.
"""
from __future__ import annotations

import datetime
import hashlib
import ipaddress

from flask_babel import lazy_gettext as _l

from ..credentials import normalise_email
from ..db import database
from ..models import LoginFailure, utcnow

WINDOW = datetime.timedelta(minutes=15)
# Failures within the window after which sign-in is refused without checking the password.
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
# The one answer to a blocked attempt, whichever limit was reached and whether the account exists.
TOO_MANY = _l("Too many failed attempts. Wait a quarter of an hour and try again.")


def _network(address: str) -> str:
    """An IPv6 address stands for its /64: one subscriber holds a whole /64 and could otherwise
    take a fresh address for every guess."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def _keys(email: str, address: str) -> tuple[str, str]:
    digest = hashlib.sha256(normalise_email(email or "").encode("utf-8")).hexdigest()
    return f"account:{digest}", f"address:{_network(address)}"


def is_blocked(email: str, address: str) -> bool:
    account, place = _keys(email, address)
    since = utcnow() - WINDOW
    recent = LoginFailure.select().where(LoginFailure.at > since)
    return (recent.where(LoginFailure.key == account).count() >= ACCOUNT_LIMIT
            or recent.where(LoginFailure.key == place).count() >= ADDRESS_LIMIT)


def record_failure(email: str, address: str) -> None:
    now = utcnow()
    with database.atomic():
        LoginFailure.delete().where(LoginFailure.at < now - WINDOW).execute()  # forget old ones
        LoginFailure.insert_many([{"key": key, "at": now} for key in _keys(email, address)]).execute()


def clear_account(email: str, address: str) -> None:
    """After a successful sign-in the account's count starts again; the address's does not."""
    LoginFailure.delete().where(LoginFailure.key == _keys(email, address)[0]).execute()
