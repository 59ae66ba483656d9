"""``data-key status`` and ``data-key rotate``: the key that encrypts identities in the database."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _

from incidents.cli.common import Refusal, in_terminal_language
from incidents.db import database
from incidents.i18n import format_count
from incidents.keys.encryption import DataKeyError, keyring
from incidents.views import settings

data_key = AppGroup("data-key", help="Rotate the key that encrypts identities in the database.")


@data_key.command("status")
@with_appcontext
@in_terminal_language
def data_key_status():
    """Say which data key encrypts how many values."""
    from incidents.cli import key_rotation as data_keys
    with database.connection_context():
        found = data_keys.counts()
    click.echo(_("Current data key: %(key)s; held: %(held)s.", key=keyring.current_id, held=", ".join(keyring.ids)))
    for name, number in sorted(found.items()):
        shown = _("plain text") if name == data_keys.PLAIN else name
        click.echo("  " + _("%(key)s: %(n)s value(s)", key=shown, n=format_count(number)))


@data_key.command("rotate")
@with_appcontext
@in_terminal_language
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
        raise Refusal(exc) from None
    click.echo(_("%(n)s value(s) re-encrypted under data key %(key)s; retired: %(retired)s.", n=format_count(rotation.values),
                 key=rotation.current, retired=", ".join(rotation.retired) or _("none")))
    if settings().DATA_KEY_FILE:
        click.echo(_("The new key is in %(path)s. Make a new backup now: earlier ones need the retired key.",
                     path=settings().DATA_KEY_FILE))
    else:
        click.echo(_("Now remove the old key from INCIDENTS_DATA_KEY, start the application and make a new "
                     "backup: earlier ones need the retired key."))
