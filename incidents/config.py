"""Typed settings read from the environment (INCIDENTS_*), overridable by create_app's mapping.

The same names serve both sources: ``INCIDENTS_DATABASE_URL`` in the environment is
``DATABASE_URL`` in the mapping. Secrets that are not given are generated once into the
instance folder, so a fresh checkout never runs with a key that is in the repository.
"""
from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

ENV_PREFIX = "INCIDENTS_"
LANGUAGES = ("en", "ru", "uk")
# The session key of the language chosen in this browser: i18n reads it, accounts/sessions.py keeps
# it across sign-in and sign-out, the switcher (auth/routes.py) sets it.
CHOSEN_LANGUAGE = "lang"


@dataclass(frozen=True)
class Settings:
    DATABASE_URL: str
    SECRET_KEY: str
    EVIDENCE_DIR: str
    # Encrypts identities in the database (see encryption.py): 64 hex digits, or several separated
    # by spaces during a rotation, the current one first.
    DATA_KEY: str
    # Encrypts backups (64 hex digits). Kept apart from the backups: whoever holds both reads everything.
    BACKUP_KEY: str
    TESTING: bool = False
    # Longest accepted narrative, in characters: a page of a court filing is ~3,000.
    MAX_TEXT_LENGTH: int = 20_000
    # Whole request bodies above this are refused with 413 before any parsing.
    MAX_CONTENT_LENGTH: int = 2 * 1024 * 1024
    SESSION_COOKIE_SECURE: bool = False
    # Largest evidence file accepted, in bytes (an upload is refused with 413 past it).
    EVIDENCE_MAX_SIZE: int = 64 * 1024**3
    # Minutes a one-time password link stays valid.
    SETUP_LINK_MINUTES: int = 60
    # A signed-in session ends after this many minutes without a request...
    SESSION_IDLE_MINUTES: int = 30
    # ...and after this many hours in any case.
    SESSION_MAX_HOURS: int = 12
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed. Behind
    # one, without this every visitor has the proxy's address, and the sign-in limit per address
    # would stop everyone at once.
    TRUSTED_PROXIES: int = 0
    # The file DATA_KEY was read from; empty when DATA_KEY was given directly. Point it outside the
    # instance folder (a separate volume, say) so that a copy of that folder holds no key.
    DATA_KEY_FILE: str = ""
    # Where people reach the app; used in links printed on the command line.
    PUBLIC_URL: str = "http://127.0.0.1:5000"
    # E-mail about notifications (notifications/mail.py): none unless SMTP_HOST is set. SMTP_TLS is
    # "starttls" (the default), "ssl" (implicit TLS, port 465 usually) or "none" (a local relay only).
    SMTP_HOST: str = ""
    SMTP_PORT: int = 587
    SMTP_USER: str = ""
    SMTP_PASSWORD: str = ""
    SMTP_FROM: str = ""
    SMTP_TLS: str = "starttls"
    # Seconds to wait for the mail server (the worker sends the e-mail: nobody waits for it).
    SMTP_TIMEOUT: int = 10
    # The queue of background jobs (jobs/queue.py): empty for a SQLite file in the instance folder,
    # the default for one machine; "redis://HOST:PORT/DB" when several servers share it. "immediate"
    # runs each job at once, inside the request that asked for it: for tests only.
    JOBS_URL: str = ""
    # Seconds a worker holds a job without a sign of life before another worker takes it over.
    JOBS_LEASE_SECONDS: int = 60
    # Days between the worker's re-hashing of every stored original (evidence/fixity.py); 0: never,
    # for an installation that runs `flask --app app evidence verify` from its own scheduler.
    STORE_CHECK_DAYS: int = 7
    # The RFC 3161 timestamp authority (timestamps/authority.py) that stamps each bundle's manifest
    # and, once a day, the audit chain's head: an http:// or https:// address; empty for none.
    TSA_URL: str = ""
    # A PEM file of the CA certificate(s) the authority's certificate must chain to, for the
    # installation to check its own tokens; empty: a token is checked with the certificate it carries.
    TSA_CA: str = ""


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _secret_file(folder: str, name: str) -> str:
    """Read a secret from a file, creating it (mode 0600) on first use.

    A new secret is written to a temporary file and linked into place, so that a second worker
    starting at the same moment reads the whole secret, never an empty or half-written file.
    """
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".secret-")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race: read its secret
        finally:
            os.unlink(temporary)
    with open(path) as handle:
        return handle.read().strip()


def load_settings(instance_path: str, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Merge defaults, ``INCIDENTS_*`` environment variables and ``overrides`` (highest wins)."""
    overrides = dict(overrides or {})
    values: dict[str, Any] = {}
    for field in fields(Settings):
        if field.name in overrides:
            values[field.name] = overrides[field.name]
        elif ENV_PREFIX + field.name in os.environ:
            values[field.name] = os.environ[ENV_PREFIX + field.name]
    values.setdefault("DATABASE_URL", "sqlite:///" + os.path.join(instance_path, "incidents.sqlite3"))
    values.setdefault("EVIDENCE_DIR", os.path.join(instance_path, "evidence"))
    if "SECRET_KEY" not in values:
        values["SECRET_KEY"] = _secret_file(instance_path, "secret_key")
    if "DATA_KEY" in values:
        values["DATA_KEY_FILE"] = ""
    elif values.get("DATA_KEY_FILE"):
        # Named on purpose (another volume, say): missing means unmounted or moved, and a new key
        # made there would leave every identity already stored unreadable.
        if not os.path.exists(values["DATA_KEY_FILE"]):
            raise FileNotFoundError(
                f"INCIDENTS_DATA_KEY_FILE names {values['DATA_KEY_FILE']}, which does not exist. Mount it, "
                f'or for a new installation create it: python3 -c "import secrets; print(secrets.token_hex(32))" '
                f"> {values['DATA_KEY_FILE']}; chmod 600 {values['DATA_KEY_FILE']}")
        values["DATA_KEY"] = _secret_file(*os.path.split(values["DATA_KEY_FILE"]))
    else:
        values["DATA_KEY_FILE"] = os.path.join(instance_path, "data_key")
        values["DATA_KEY"] = _secret_file(instance_path, "data_key")
    if values.get("TSA_URL") and not str(values["TSA_URL"]).startswith(("http://", "https://")):
        raise ValueError(f"INCIDENTS_TSA_URL: {values['TSA_URL']!r} is not an http:// or https:// address")
    if values.get("TSA_CA") and not os.path.isfile(values["TSA_CA"]):
        raise FileNotFoundError(f"INCIDENTS_TSA_CA names {values['TSA_CA']}, which is not a file: the PEM file "
                                f"of the timestamp authority's CA certificate")
    if "BACKUP_KEY" not in values:
        values["BACKUP_KEY"] = _secret_file(instance_path, "backup_key")
    for field in fields(Settings):
        if field.name in values and field.type in ("bool", bool):
            values[field.name] = _as_bool(values[field.name])
        elif field.name in values and field.type in ("int", int):
            values[field.name] = int(values[field.name])
    return Settings(**values)
