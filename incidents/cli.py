"""Flask commands: init-db, users, demo."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from . import credentials
from .db import database, migrate
from .errors import ServiceError
from .models import ROLES, User

users = AppGroup("users", help="Create users and API tokens.")
evidence = AppGroup("evidence", help="Check the evidence store.")


def _settings():
    return current_app.config["SETTINGS"]


def first_admin_link() -> str | None:
    """A fresh one-time link for the first administrator while there are no users, else None."""
    with database.connection_context():
        if User.select().exists():
            return None
        secret = credentials.issue_password_link(None, _settings().SETUP_LINK_MINUTES)
    return f"{_settings().PUBLIC_URL.rstrip('/')}/set-password/{secret}"


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or migrate the schema (safe to run twice); print a first-administrator link if needed."""
    applied = migrate()
    click.echo(f"Database ready ({len(applied)} migration(s) applied).")
    link = first_admin_link()
    if link:
        minutes = _settings().SETUP_LINK_MINUTES
        click.echo("")
        click.echo("No users yet. Open this one-time link to create the first administrator "
                   f"(valid for {minutes} minutes, or until used):")
        click.echo(f"    {link}")
        click.echo("")


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email, role, name, password_stdin):
    """Create a user; the password comes from a prompt or standard input."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with database.connection_context():
        try:
            credentials.check_password_rules(password)
            with database.atomic():
                user = credentials.create_user(email, role, None, name)
                credentials.set_password(user, password, _settings().TESTING, actor=user)
        except ServiceError as exc:
            messages = "; ".join(str(m) for ms in exc.fields.values() for m in ms) or str(exc.message)
            raise click.ClickException(messages)
    click.echo(f"Created {user.email} ({role}).")


@users.command("token")
@click.argument("email")
def users_token(email):
    """Print a new API token for the user, alone on the last line."""
    with database.connection_context():
        user = User.get_or_none(User.email == credentials.normalise_email(email))
        if user is None or not user.active:
            raise click.ClickException(f"No active user {email}.")
        token = credentials.issue_api_token(user)
    click.echo(token)


@click.command("demo")
@with_appcontext
def demo():
    """Load the demo data set (English and Russian) and print the demo users' passwords."""
    from .demo import load_demo
    migrate()  # so that the demo works on a fresh instance too
    with database.connection_context():
        load_demo(echo=click.echo)


@evidence.command("verify")
def evidence_verify():
    """Re-hash every stored original; exit non-zero naming any that changed or went missing."""
    from .evidence.service import verify_store
    from .evidence.store import EvidenceStore
    store = EvidenceStore.from_settings(_settings())
    checked, bad = 0, []
    with database.connection_context():
        for sha256, outcome, items in verify_store(store):
            checked += 1
            if outcome != "ok":
                bad.append(sha256)
                names = ", ".join(f"item {i.id} ({i.original_filename or 'no name'})" for i in items)
                click.echo(f"{outcome.upper()}: {sha256} — {names}", err=True)
    click.echo(f"Checked {checked} stored file(s): {checked - len(bad)} intact, {len(bad)} changed or missing.")
    if bad:
        sys.exit(1)


def register_commands(app) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(evidence)
    app.cli.add_command(users)
    app.cli.add_command(demo)
