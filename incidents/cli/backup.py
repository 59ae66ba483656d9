"""``backup`` and ``restore``: one encrypted file holding the database and the evidence store."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import format_decimal
from flask_babel import gettext as _

from incidents.cli.common import Refusal, in_terminal_language
from incidents.i18n import format_count, format_size
from incidents.keys.encryption import keyring
from incidents.views import settings


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
@in_terminal_language
def backup_command(path):
    """Write one encrypted file at PATH: a consistent copy of the database and the evidence store."""
    from flask import current_app

    from incidents.backup import archive as backup
    try:
        summary = backup.create_backup(settings(), current_app.instance_path, path)
    except backup.BackupError as exc:
        raise Refusal(exc) from None
    click.echo(_("Backup written to %(path)s: %(size)s in %(seconds)s s.", path=path, size=format_size(summary.size),
                 seconds=format_decimal(summary.seconds, "0.0")))
    click.echo("  " + _("database: %(size)s, %(rows)s rows in %(tables)s tables, %(migrations)s migration(s) "
                        "applied", size=format_size(summary.database_bytes), rows=format_count(sum(summary.rows.values())),
                        tables=len(summary.rows), migrations=len(summary.migrations)))
    _evidence_line(summary)
    click.echo("  " + _("backup key id: %(key)s; SHA-256 of the file: %(sha256)s", key=summary.key_id,
                        sha256=summary.sha256))
    click.echo("  " + _("identities inside stay encrypted with data key %(key)s", key=keyring.current_id))
    click.echo(_("Keep the backup key and the data key apart from the backups: without both, no backup can "
                 "be restored, and whoever holds a backup and both keys reads everything."))


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
@in_terminal_language
def restore_command(path):
    """Bring the backup at PATH into this instance, which must be empty (no init-db needed)."""
    from incidents.backup import archive as backup
    try:
        summary = backup.restore_backup(settings(), path)
    except backup.BackupError as exc:
        raise Refusal(_("%(reason)s Nothing was restored.", reason=exc)) from None
    click.echo(_("Restored %(path)s (made %(made)s): %(size)s in %(seconds)s s.", path=path,
                 made=summary.created_at, size=format_size(summary.size), seconds=format_decimal(summary.seconds, "0.0")))
    click.echo("  " + _("database: %(size)s, %(rows)s rows in %(tables)s tables", size=format_size(summary.database_bytes),
                        rows=format_count(sum(summary.rows.values())), tables=len(summary.rows)))
    _evidence_line(summary)
    if summary.migrated:
        click.echo("  " + _("schema brought up to date: %(n)s migration(s) applied", n=len(summary.migrated)))


def _evidence_line(summary) -> None:
    click.echo("  " + _("evidence: %(files)s file(s), %(size)s", files=format_count(summary.evidence_files),
                        size=format_size(summary.evidence_bytes)))
