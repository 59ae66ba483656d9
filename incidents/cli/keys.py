"""``data-key status`` and ``data-key rotate``: the key that encrypts identities in the database."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from incidents.db import database
from incidents.keys.encryption import DataKeyError, keyring
from incidents.views import settings

data_key = AppGroup("data-key", help="Rotate the key that encrypts identities in the database.")


@data_key.command("status")
@with_appcontext
def data_key_status():
    """Say which data key encrypts how many values."""
    from incidents.cli import key_rotation as data_keys
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
    from incidents.cli import key_rotation as data_keys
    try:
        with database.connection_context():
            rotation = data_keys.rotate(settings())
    except DataKeyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{rotation.values} value(s) re-encrypted under data key {rotation.current}; "
               f"retired: {', '.join(rotation.retired) or 'none'}.")
    if settings().DATA_KEY_FILE:
        click.echo(f"The new key is in {settings().DATA_KEY_FILE}. Make a new backup now: earlier ones need "
                   "the retired key.")
    else:
        click.echo("Now remove the old key from INCIDENTS_DATA_KEY, start the application and make a new "
                   "backup: earlier ones need the retired key.")
