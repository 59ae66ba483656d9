"""Setting an installation up: ``init-db``, ``users create``/``token`` and ``demo``."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _

from incidents import vocab
from incidents.accounts import credentials
from incidents.cli import integrity
from incidents.cli.common import Refusal, in_terminal_language
from incidents.db import database, migrate
from incidents.errors import ServiceError
from incidents.i18n import format_count
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
@in_terminal_language
def init_db():
    """Create or migrate the schema (safe to run twice); print a first-administrator link if needed."""
    applied = migrate()
    click.echo(_("Database ready (%(n)s migration(s) applied).", n=len(applied)))
    with database.connection_context(), database.atomic():
        vouched, carried = integrity.record_baseline()
    if vouched:
        click.echo(_("Recorded in the audit trail what %(n)s incident(s) published earlier show now, so that "
                     "`verify` can check them from here on.", n=format_count(vouched)))
    if carried:
        click.echo(_("Recorded in the audit trail the %(n)s public verification status(es) carried over from "
                     "before a second reviewer's confirmation was required.", n=format_count(carried)))
    link = first_admin_link()
    if link:
        click.echo("")
        click.echo(_("No users yet. Open this one-time link to create the first administrator (valid for "
                     "%(minutes)s minutes, or until used):", minutes=settings().SETUP_LINK_MINUTES))
        click.echo(f"    {link}")
        click.echo("")


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@in_terminal_language
def users_create(email, role, name, password_stdin):
    """Create a user; the password comes from a prompt or standard input."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = _ask_password()
    with database.connection_context():
        try:
            credentials.check_password_rules(password, (email, name))
            with database.atomic():
                user = credentials.create_user(email, role, None, name)
                credentials.set_password(user, password, settings().TESTING, actor=user)
        except ServiceError as exc:
            messages = "; ".join(str(m) for ms in exc.fields.values() for m in ms) or str(exc.message)
            raise Refusal(messages) from None
    click.echo(_("Created %(email)s (%(role)s).", email=user.email, role=vocab.ROLE_LABELS[role]))


def _ask_password() -> str:
    """Asked twice until both agree (click's own confirmation_prompt complains in English only)."""
    while True:
        password = click.prompt(_("Password"), hide_input=True)
        if click.prompt(_("The same password again"), hide_input=True) == password:
            return password
        click.echo(_("The two passwords differ: type them again."), err=True)


@users.command("token")
@click.argument("email")
@in_terminal_language
def users_token(email):
    """Print a new API token for the user, alone on the last line."""
    with database.connection_context():
        user = User.get_or_none(User.email == credentials.normalise_email(email))
        if user is None or not user.active:
            raise Refusal(_("No active user %(email)s.", email=email))
        token = credentials.issue_api_token(user)
    click.echo(token)


@click.command("demo")
@with_appcontext
@in_terminal_language
def demo():
    """Load the demo data set (English and Russian) and print the demo users' passwords."""
    from incidents.demo import load_demo
    migrate()  # so that the demo works on a fresh instance too
    with database.connection_context():
        load_demo(echo=click.echo)
