"""Slowing down guessing of passwords and codes, without handing a stranger the owner's lockout.

Every attempt (a password, or a second-factor code at sign-in or on the account page) is counted
under two keys, each refused once it holds its limit of failures within WINDOW:

- the client. A browser that presents a valid device cookie for the account (devices.py: given at
  a complete sign-in, bound to the account and its password) has a count of its own,
  "device:<hash of its nonce>"; every other client shares the account's, "account:<hash of the
  e-mail as typed>". So a stranger's wrong guesses lock out browsers the account has never been
  used in, not the owner's own (OWASP's device cookies); and a stolen device cookie buys only
  ACCOUNT_LIMIT guesses of its own. Unknown accounts are throttled alike: the answer never tells
  whether an account exists.
- the address, "address:<IP, or IPv6 /64>", for everyone. Behind a reverse proxy, set
  INCIDENTS_TRUSTED_PROXIES so that the address is the visitor's, not the proxy's.

An attempt is recorded as a failure before it is checked, in the transaction that counts the
earlier ones, and discounted when it turns out right. Attempts take turns at that step (SQLite's
transactions begin IMMEDIATE; on PostgreSQL an advisory lock), so a burst of simultaneous
attempts gets no more checks than the limit, and a process that dies mid-check has spent a guess.
Counted in the database, so every worker process sees the same counts.
"""
from __future__ import annotations

import datetime
import hashlib
import ipaddress
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import fn

from incidents.accounts import devices
from incidents.accounts.credentials import normalise_email
from incidents.db import database, serialize_writers
from incidents.models import LoginFailure, utcnow

WINDOW = datetime.timedelta(minutes=15)
# Failures within the window after which attempts are refused without checking the password or
# code: per client (the account's untrusted clients together, or one device), and per address.
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
# The one answer to a blocked attempt, whichever limit was reached and whether the account exists.
TOO_MANY = _l("Too many failed attempts. Wait a quarter of an hour and try again.")
# PostgreSQL advisory lock under which attempts count and record in turn.
ATTEMPT_LOCK = 0x4C6F67696E


def _network(address: str) -> str:
    """An IPv6 address stands for its /64: one subscriber holds a whole /64 and could otherwise
    take a fresh address for every guess."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def _account_key(email: str) -> str:
    return "account:" + hashlib.sha256(normalise_email(email).encode("utf-8")).hexdigest()


def _address_key(address: str) -> str:
    return f"address:{_network(address)}"


@dataclass(frozen=True)
class Attempt:
    """An attempt under way, already recorded as a failure: ``client`` is the key it counts under
    besides its address, ``rows`` the LoginFailure ids that record it."""

    client: str
    rows: tuple[int, ...]


def begin(email: str, address: str, device_cookie: str | None = None) -> Attempt | None:
    """Count an attempt on the account ``email`` as failed, unless a limit is reached already:
    then None, nothing is recorded, and the password or code must not be checked."""
    client = devices.throttle_key(email, device_cookie) or _account_key(email)
    place = _address_key(address)
    now = utcnow()
    with database.atomic():
        serialize_writers(ATTEMPT_LOCK)
        LoginFailure.delete().where(LoginFailure.at <= now - WINDOW).execute()  # forget old ones
        counts = dict(LoginFailure.select(LoginFailure.key, fn.COUNT(LoginFailure.id))
                      .where(LoginFailure.key.in_([client, place])).group_by(LoginFailure.key).tuples())
        if counts.get(client, 0) >= ACCOUNT_LIMIT or counts.get(place, 0) >= ADDRESS_LIMIT:
            return None
        rows = tuple(LoginFailure.create(key=key, at=now).id for key in (client, place))
    return Attempt(client, rows)


def succeeded(attempt: Attempt, signed_in: bool = True) -> None:
    """The attempt was right: it is no failure. When it completes a sign-in, the client's count
    starts again too (the address's does not, nor the account's when the client is a device:
    the owner signing in from their own browser does not give a stranger new guesses)."""
    with database.atomic():
        LoginFailure.delete().where(LoginFailure.id.in_(attempt.rows)).execute()
        if signed_in:
            LoginFailure.delete().where(LoginFailure.key == attempt.client).execute()
