"""Setting an installation up: ``init-db``, ``users create``/``token`` and ``demo``."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, with_appcontext

from incidents.accounts import credentials
from incidents.cli import integrity
from incidents.db import database, migrate
from incidents.errors import ServiceError
from incidents.models import ROLES, User
from incidents.views import settings

users = AppGroup("users", help="Create users and API tokens.")


def first_admin_link() -> str | None:
    """A fresh one-time link for the first administrator while there are no users, else None."""
    with database.connection_context():
        if User.select().exists():
            return None
        secret = credentials.issue_password_link(None, settings().SETUP_LINK_MINUTES)
    return f"{settings().PUBLIC_URL.rstrip('/')}/set-password/{secret}"


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or migrate the schema (safe to run twice); print a first-administrator link if needed."""
    applied = migrate()
    click.echo(f"Database ready ({len(applied)} migration(s) applied).")
    with database.connection_context(), database.atomic():
        vouched, carried = integrity.record_baseline()
    if vouched:
        click.echo(f"Recorded in the audit trail what {vouched} incident(s) published earlier show now, "
                   "so that `verify` can check them from here on.")
    if carried:
        click.echo(f"Recorded in the audit trail the {carried} public verification status(es) carried over "
                   "from before a second reviewer's confirmation was required.")
    link = first_admin_link()
    if link:
        minutes = settings().SETUP_LINK_MINUTES
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
            credentials.check_password_rules(password, (email, name))
            with database.atomic():
                user = credentials.create_user(email, role, None, name)
                credentials.set_password(user, password, settings().TESTING, actor=user)
        except ServiceError as exc:
            messages = "; ".join(str(m) for ms in exc.fields.values() for m in ms) or str(exc.message)
            raise click.ClickException(messages) from None
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
    from incidents.demo import load_demo
    migrate()  # so that the demo works on a fresh instance too
    with database.connection_context():
        load_demo(echo=click.echo)
