"""Flask commands: init-db, users, demo, ingest, evidence, backup and restore, bundle, audit, data-key,
verify."""
from __future__ import annotations

import functools
import os
import sys

import click
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import credentials, integrity
from .config import LANGUAGES
from .db import database, migrate
from .encryption import DataKeyError, keyring
from .errors import ServiceError
from .models import ROLES, User
from .text import shown_name
from .views import settings

users = AppGroup("users", help="Create users and API tokens.")
evidence = AppGroup("evidence", help="Check the evidence store.")
bundle = AppGroup("bundle", help="Check dossier bundles.")
audit_group = AppGroup("audit", help="Check the audit trail.")
data_key = AppGroup("data-key", help="Rotate the key that encrypts identities in the database.")


def in_terminal_language(command):
    """Run ``command`` in the language of the terminal's locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG)."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        wanted = next((os.environ[name] for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
                       if os.environ.get(name)), "")
        with force_locale(next((code for code in LANGUAGES if wanted.startswith(code)), "en")):
            return command(*args, **kwargs)
    return wrapper


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
@in_terminal_language
def evidence_verify():
    """Re-hash every stored original and hold each item to the hash in its custody log; exit non-zero
    naming any original that changed or went missing and any item whose file is not the one preserved."""
    from .evidence.service import verify_store
    from .evidence.store import EvidenceStore
    store = EvidenceStore.from_settings(settings())
    checked, bad = 0, []
    with database.connection_context():
        for sha256, outcome, items in verify_store(store):
            checked += 1
            if outcome != "ok":
                bad.append(sha256)
                names = ", ".join(f"item {i.id} ({shown_name(i.original_filename) or 'no name'})" for i in items)
                click.echo(f"{outcome.upper()}: {sha256} — {names}", err=True)
        repointed = list(integrity.custody_failures())
    click.echo(f"Checked {checked} stored file(s): {checked - len(bad)} intact, {len(bad)} changed or missing.")
    for what, why in repointed:
        click.echo(_l("FAILED %(what)s: %(why)s", what=what, why=why), err=True)
    click.echo(_l("Evidence items whose file is not the one their custody log recorded: %(n)s.", n=len(repointed)))
    if bad or repointed:
        sys.exit(1)


def _size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if count < 1024 or unit == "TB":
            return f"{count:.1f} {unit}" if unit != "B" else f"{int(count)} B"
        count /= 1024
    return str(count)


@click.command("ingest")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--user", "email", required=True, help="The reviewer or administrator doing it.")
@click.option("--incident", "incident_id", type=int, help="Attach every file to this incident.")
@click.option("--source", default="", help="Who the archive came from (confidential).")
@click.option("--acquisition", default="leak_handover",
              type=click.Choice(["leak_handover", "direct_upload", "capture_app", "platform_download", "other"]))
@click.option("--received-on", type=click.DateTime(formats=["%Y-%m-%d"]), help="When it was received.")
@click.option("--note", default="", help="Anything else about the archive.")
@with_appcontext
def ingest(folder, email, incident_id, source, acquisition, received_on, note):
    """Preserve every file under FOLDER as evidence; run it again to resume an interrupted run."""
    from .evidence import ingest as archive
    from .evidence.store import EvidenceStore
    migrate()
    store = EvidenceStore.from_settings(settings())
    files, total = archive.measure(folder)
    done = {"files": 0, "bytes": 0}

    def shown(_item):
        return _("%(done)s of %(files)s files, %(size)s of %(total)s", done=done["files"], files=files,
                 size=_size(done["bytes"]), total=_size(total))

    with database.connection_context():
        user = User.get_or_none(User.email == credentials.normalise_email(email))
        if user is None or not user.active:
            raise click.ClickException(f"No active user {email}.")
        provenance = {"source": source, "acquisition": acquisition, "note": note,
                      "received_on": received_on.date() if received_on else None}
        # Everything it prints, the progress bar too, in the language of who runs it.
        with force_locale(user.locale or "en"):
            click.echo(_("%(files)s files, %(size)s to preserve.", files=files, size=_size(total)), err=True)
            with click.progressbar(length=max(total, 1), label=_("Preserving"), show_eta=True, show_percent=True,
                                   item_show_func=shown, file=sys.stderr) as bar:
                def progress(size, count):
                    done["files"] += count
                    done["bytes"] += size
                    bar.update(size, done)
                try:
                    report = archive.ingest(folder, user, store, incident_id=incident_id,
                                            provenance=provenance, progress=progress)
                except ServiceError as exc:
                    raise click.ClickException(str(exc.message))
            _ingest_summary(report)


def _ingest_summary(report) -> None:
    from .evidence.ingest import decoded_name
    rate = report.bytes / report.seconds if report.seconds else 0
    click.echo(_("Batch %(batch)s: %(files)s files, %(size)s in %(seconds)s s (%(rate)s/s).", batch=report.batch,
                 files=report.files, size=_size(report.bytes), seconds=f"{report.seconds:.1f}", rate=_size(rate)))
    click.echo("  " + _("preserved as new evidence: %(count)s", count=report.preserved))
    click.echo("  " + _("duplicates within this archive: %(count)s", count=report.duplicate_in_run))
    click.echo("  " + _("already evidence here before: %(count)s", count=report.already_known))
    click.echo("  " + _("done by an earlier, interrupted run: %(count)s", count=report.resumed))
    click.echo("  " + _("skipped: %(count)s", count=len(report.refused)))
    # A name is printed as people read it: no terminal escape or bidi control from the archive.
    for path, reason in report.refused[:50]:
        click.echo(f"    {shown_name(decoded_name(path)[0])}: {str(reason)}")
    if len(report.refused) > 50:
        click.echo("    " + _("… and %(count)s more", count=len(report.refused) - 50))


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path):
    """Write one encrypted file at PATH: a consistent copy of the database and the evidence store."""
    from flask import current_app

    from . import backup
    try:
        summary = backup.create_backup(settings(), current_app.instance_path, path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"Backup written to {path}: {_size(summary.size)} in {summary.seconds:.1f} s.")
    click.echo(f"  database: {_size(summary.database_bytes)}, {sum(summary.rows.values())} rows in "
               f"{len(summary.rows)} tables, {len(summary.migrations)} migration(s) applied")
    click.echo(f"  evidence: {summary.evidence_files} file(s), {_size(summary.evidence_bytes)}")
    click.echo(f"  backup key id: {summary.key_id}; SHA-256 of the file: {summary.sha256}")
    click.echo(f"  identities inside stay encrypted with data key {keyring.current_id}")
    click.echo("Keep the backup key and the data key apart from the backups: without both, no backup can "
               "be restored, and whoever holds a backup and both keys reads everything.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_command(path):
    """Bring the backup at PATH into this instance, which must be empty (no init-db needed)."""
    from . import backup
    try:
        summary = backup.restore_backup(settings(), path)
    except backup.BackupError as exc:
        raise click.ClickException(f"{exc} Nothing was restored.")
    click.echo(f"Restored {path} (made {summary.created_at}): {_size(summary.size)} in {summary.seconds:.1f} s.")
    click.echo(f"  database: {_size(summary.database_bytes)}, {sum(summary.rows.values())} rows in "
               f"{len(summary.rows)} tables")
    click.echo(f"  evidence: {summary.evidence_files} file(s), {_size(summary.evidence_bytes)}")
    if summary.migrated:
        click.echo(f"  schema brought up to date: {len(summary.migrated)} migration(s) applied")


@bundle.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--key", "key_file", type=click.Path(exists=True, dir_okay=False),
              help="The signer's public key (PEM, base64 or hex). Default: this installation's key.")
@with_appcontext
def bundle_verify(path, key_file):
    """Check every file of a dossier bundle against its signed manifest; needs no database.

    Exits non-zero and names each file that was changed, removed or added, or a bad signature.
    """
    from flask import current_app

    from . import crypto
    from .dossiers import verify_bundle
    try:
        trusted = (verify_bundle.read_key(key_file) if key_file
                   else crypto.public_bytes(crypto.signing_key(current_app.instance_path, create=False)))
        failures, manifest = verify_bundle.check_bundle(path, trusted, crypto.verify)
    except FileNotFoundError:
        raise click.ClickException("This installation has never signed a bundle (it has no signing key): "
                                   "give the signer's public key with --key.")
    except (ValueError, verify_bundle.Unreadable) as exc:
        raise click.ClickException(str(exc))
    for name, problem in failures:
        click.echo(f"FAILED {name}: {problem}", err=True)
    if failures:
        click.echo(f"{len(failures)} problem(s) in {path}.", err=True)
        sys.exit(1)
    click.echo(f"OK: {len(manifest['files'])} files match the manifest, signed by {crypto.fingerprint(trusted)}.")


@audit_group.command("verify")
@click.option("--head", "noted_head", help="A head hash noted earlier: fails if it is no longer in the trail.")
@with_appcontext
def audit_verify(noted_head):
    """Check the audit trail's hash chain; exit non-zero naming the first broken event."""
    from . import audit
    with database.connection_context():
        result = audit.check(noted_head)
    if result.broken is not None:
        entry = result.broken
        what = ("its contents were changed after it was written" if result.reason == "edited"
                else "it no longer follows the event before it: an event was deleted or inserted before it, "
                     "or the one before it was rewritten with a new hash")
        click.echo(f"FAILED: audit event #{entry.id} ({entry.action}, {entry.created_at}): "
                   f"{what}. {result.count} event(s) before it are intact.", err=True)
        sys.exit(1)
    if not result.head_found:
        click.echo(f"FAILED: the head {noted_head} noted earlier is not in the trail: events were deleted "
                   f"from its end, or this is another database.", err=True)
        sys.exit(1)
    click.echo(f"OK: {result.count} audit event(s), chained. Head: {result.head}")
    click.echo("Note the head somewhere else; `audit verify --head HEAD` later shows whether any event "
               "after it was deleted.")


@click.command("verify")
@click.option("--head", "noted_head", help="A head hash of the audit trail noted earlier: fails if it is no longer there.")
@with_appcontext
@in_terminal_language
def verify_command(noted_head):
    """Run every integrity check at once and print one verdict; exit non-zero when any fails."""
    from .evidence.store import EvidenceStore
    store = EvidenceStore.from_settings(settings())
    with database.connection_context():
        results = integrity.checks(store, noted_head)
    for name, failures in results:
        click.echo(_l("%(check)s: %(outcome)s", check=name,
                      outcome=_l("FAILED") if failures else _l("OK")))
        for what, why in failures:
            click.echo(_l("FAILED %(what)s: %(why)s", what=what, why=why), err=True)
    failed = sum(len(failures) for _name, failures in results)
    if failed:
        click.echo(_l("Verdict: NOT INTACT, %(n)s problem(s) found.", n=failed), err=True)
        sys.exit(1)
    click.echo(_l("Verdict: intact, all %(n)s checks passed.", n=len(results)))


@data_key.command("status")
@with_appcontext
def data_key_status():
    """Say which data key encrypts how many values."""
    from . import data_keys
    with database.connection_context():
        found = data_keys.counts()
    click.echo(f"Current data key: {keyring.current_id}; held: {', '.join(keyring.ids)}.")
    for name, number in sorted(found.items()):
        click.echo(f"  {name}: {number} value(s)")


@data_key.command("rotate")
@with_appcontext
def data_key_rotate():
    """Re-encrypt every identity under a new data key and retire the old one.

    Stop the application first. Backups made earlier need the old key: copy the key file aside
    before rotating if they must stay restorable, and make a new backup afterwards.
    """
    from . import data_keys
    try:
        with database.connection_context():
            rotation = data_keys.rotate(settings())
    except DataKeyError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"{rotation.values} value(s) re-encrypted under data key {rotation.current}; "
               f"retired: {', '.join(rotation.retired) or 'none'}.")
    if settings().DATA_KEY_FILE:
        click.echo(f"The new key is in {settings().DATA_KEY_FILE}. Make a new backup now: earlier ones need "
                   "the retired key.")
    else:
        click.echo("Now remove the old key from INCIDENTS_DATA_KEY, start the application and make a new "
                   "backup: earlier ones need the retired key.")


def register_commands(app) -> None:
    app.cli.add_command(audit_group)
    app.cli.add_command(data_key)
    app.cli.add_command(backup_command)
    app.cli.add_command(bundle)
    app.cli.add_command(init_db)
    app.cli.add_command(evidence)
    app.cli.add_command(ingest)
    app.cli.add_command(restore_command)
    app.cli.add_command(users)
    app.cli.add_command(demo)
    app.cli.add_command(verify_command)
