"""``backup`` and ``restore``: one encrypted file holding the database and the evidence store."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from incidents.cli.common import size as _size
from incidents.keys.encryption import keyring
from incidents.views import settings


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path):
    """Write one encrypted file at PATH: a consistent copy of the database and the evidence store."""
    from flask import current_app

    from incidents.backup import archive as backup
    try:
        summary = backup.create_backup(settings(), current_app.instance_path, path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
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
    from incidents.backup import archive as backup
    try:
        summary = backup.restore_backup(settings(), path)
    except backup.BackupError as exc:
        raise click.ClickException(f"{exc} Nothing was restored.") from None
    click.echo(f"Restored {path} (made {summary.created_at}): {_size(summary.size)} in {summary.seconds:.1f} s.")
    click.echo(f"  database: {_size(summary.database_bytes)}, {sum(summary.rows.values())} rows in "
               f"{len(summary.rows)} tables")
    click.echo(f"  evidence: {summary.evidence_files} file(s), {_size(summary.evidence_bytes)}")
    if summary.migrated:
        click.echo(f"  schema brought up to date: {len(summary.migrated)} migration(s) applied")
