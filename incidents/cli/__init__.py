"""The ``flask --app app`` commands, one module per group of commands (floor 2).

``setup`` (init-db, users, demo), ``evidence`` (ingest, evidence verify), ``backup`` (backup,
restore), ``checks`` (verify, audit verify, audit stamp, bundle verify), ``keys`` (data-key), ``worker``. ``integrity``
holds the checks ``verify`` runs and ``key_rotation`` the re-encryption ``data-key rotate`` does;
``common`` what every command shares.
"""
from __future__ import annotations

from incidents.cli import backup, checks, evidence, keys, setup, worker


def register_commands(app) -> None:
    for command in (checks.audit_group, keys.data_key, backup.backup_command, checks.bundle, setup.init_db,
                    evidence.evidence, evidence.ingest, backup.restore_command, setup.users, setup.demo,
                    checks.verify_command, worker.worker):
        app.cli.add_command(command)
