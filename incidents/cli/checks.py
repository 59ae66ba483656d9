"""The integrity checks: ``verify`` (all at once), ``audit verify`` and ``bundle verify``; and
``audit stamp``, which has the timestamp authority stamp the audit trail's head at once."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from incidents.cli import integrity
from incidents.cli.common import Refusal, in_terminal_language
from incidents.db import database
from incidents.i18n import format_count
from incidents.views import settings

bundle = AppGroup("bundle", help="Check dossier bundles.")
audit_group = AppGroup("audit", help="Check the audit trail, and timestamp its head.")


@bundle.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--key", "key_file", type=click.Path(exists=True, dir_okay=False),
              help="The signer's public key (PEM, base64 or hex). Default: this installation's key.")
@click.option("--tsa-ca", "tsa_ca", type=click.Path(exists=True, dir_okay=False),
              help="The timestamp authority's CA certificate(s), PEM: the bundle must be timestamped by "
                   "that authority. Default: INCIDENTS_TSA_CA, if set, for a timestamp the bundle has.")
@with_appcontext
@in_terminal_language
def bundle_verify(path, key_file, tsa_ca):
    """Check every file of a dossier bundle against its signed manifest, and its timestamp; needs
    no database.

    Exits non-zero and names each file that was changed, removed or added, a bad signature, or a
    timestamp that does not hold. What is wrong with a file is said in English: verify_bundle.py,
    which says it, runs for courts with nothing but Python, no catalogs.
    """
    from flask import current_app

    from incidents.dossiers import verify_bundle, verify_timestamp
    from incidents.keys import signing as crypto
    from incidents.timestamps.authority import trusted_certificates
    try:
        anchors = verify_timestamp.read_certificates(tsa_ca) if tsa_ca else trusted_certificates(settings())
    except (OSError, ValueError) as exc:
        raise Refusal(exc) from None
    try:
        trusted = (verify_bundle.read_key(key_file) if key_file
                   else crypto.public_bytes(crypto.signing_key(current_app.instance_path, create=False)))
        failures, manifest = verify_bundle.check_bundle(path, trusted, crypto.verify)
    except FileNotFoundError:
        raise Refusal(_("This installation has never signed a bundle (it has no signing key): give the "
                        "signer's public key with --key.")) from None
    except (ValueError, verify_bundle.Unreadable) as exc:
        raise Refusal(exc) from None
    stamp_failures, stamp = verify_bundle.check_timestamp(path, manifest, anchors or None, required=bool(tsa_ca))
    failures += stamp_failures
    for name, problem in failures:
        click.echo(_("FAILED %(what)s: %(why)s", what=name, why=problem), err=True)
    if failures:
        click.echo(_("%(n)s problem(s) in %(path)s.", n=len(failures), path=path), err=True)
        sys.exit(1)
    click.echo(_("OK: %(n)s files match the manifest, signed by %(fingerprint)s.", n=format_count(len(manifest["files"])),
                 fingerprint=crypto.fingerprint(trusted)))
    missing = verify_bundle.declared_timestamp(manifest).get("missing")
    if stamp is not None:
        click.echo(_("Timestamped at %(time)s UTC (the authority's clock) by %(subject)s.",
                     time=f"{stamp.time:%Y-%m-%d %H:%M:%S}", subject=stamp.subject))
        click.echo(_("Its certificate chains to the authority's CA certificate.") if stamp.chained else
                   _("Its certificate was not checked against a CA: give the authority's CA certificate with "
                     "--tsa-ca, or set INCIDENTS_TSA_CA."))
    elif missing:
        click.echo(_("Not timestamped: the timestamp authority gave no valid timestamp when the bundle was made (%(why)s).",
                     why=repr(str(missing))))
    else:
        click.echo(_("Not timestamped."))


@audit_group.command("verify")
@click.option("--head", "noted_head", help="A head hash noted earlier: fails if it is no longer in the trail.")
@with_appcontext
@in_terminal_language
def audit_verify(noted_head):
    """Check the audit trail's hash chain; exit non-zero naming the first broken event."""
    from incidents import audit
    with database.connection_context():
        result = audit.check(noted_head)
    if result.broken is not None:
        entry = result.broken
        what = (_("its contents were changed after it was written") if result.reason == "edited"
                else _("it no longer follows the event before it: an event was deleted or inserted before it, "
                       "or the one before it was rewritten with a new hash"))
        click.echo(_("FAILED: audit event #%(id)s (%(action)s, %(when)s): %(what)s. %(n)s event(s) before it "
                     "are intact.", id=entry.id, action=entry.action, when=entry.created_at, what=what,
                     n=format_count(result.count)), err=True)
        sys.exit(1)
    if not result.head_found:
        click.echo(_("FAILED: the head %(head)s noted earlier is not in the trail: events were deleted from its "
                     "end, or this is another database.", head=noted_head), err=True)
        sys.exit(1)
    click.echo(_("OK: %(n)s audit event(s), chained. Head: %(head)s", n=format_count(result.count), head=result.head))
    click.echo(_("Note the head somewhere else; `audit verify --head HEAD` later shows whether any event "
                 "after it was deleted."))
    if not _show_stamps():
        sys.exit(1)


def _show_stamps() -> bool:
    """Print every timestamped head, and each kept token that no longer holds; True when all hold."""
    from incidents.timestamps import heads
    from incidents.timestamps.authority import trusted_certificates
    try:
        anchors = trusted_certificates(settings())
    except (OSError, ValueError) as exc:
        raise Refusal(exc) from None
    with database.connection_context():
        stamps = heads.checked_stamps(anchors or None)
    if not stamps:
        click.echo(_("No head of the trail is timestamped yet.") if settings().TSA_URL else
                   _("No head of the trail is timestamped: no timestamp authority is configured (INCIDENTS_TSA_URL)."))
    for checked in stamps:
        if checked.problem:
            click.echo(_("FAILED: timestamp #%(id)s of the head %(head)s (audit event #%(event)s): %(why)s",
                         id=checked.row.id, head=checked.row.head, event=checked.row.event_id,
                         why=checked.problem), err=True)
        else:
            click.echo(_stamped(checked))
    failed = sum(bool(checked.problem) for checked in stamps)
    if failed:
        click.echo(_("%(n)s timestamp(s) of the trail's head do not hold.", n=failed), err=True)
    elif stamps and not anchors:
        click.echo(_("The authority's certificate in each token was not checked against a CA: set INCIDENTS_TSA_CA."))
    return not failed


def _stamped(checked) -> str:
    return _("Timestamped: the head %(head)s (audit event #%(event)s), at %(time)s UTC by %(subject)s.",
             head=checked.row.head, event=checked.row.event_id, time=f"{checked.stamp.time:%Y-%m-%d %H:%M:%S}",
             subject=checked.stamp.subject)


@audit_group.command("stamp")
@with_appcontext
@in_terminal_language
def audit_stamp():
    """Have the timestamp authority stamp the audit trail's head now (the worker does it once a day).

    Exits non-zero, keeping nothing, when no authority is configured or it gives no valid timestamp.
    """
    from incidents.timestamps import heads
    from incidents.timestamps.authority import Authority, Unavailable
    authority = Authority.configured(settings())
    if authority is None:
        raise Refusal(_("No timestamp authority is configured: set INCIDENTS_TSA_URL."))
    try:
        with database.connection_context():
            checked = heads.stamp_now(authority)
    except Unavailable as exc:
        raise Refusal(_("Nothing was timestamped: %(why)s", why=str(exc))) from None
    if checked is None:
        raise Refusal(_("The audit trail is empty: there is no head to timestamp."))
    click.echo(_stamped(checked))


@click.command("verify")
@click.option("--head", "noted_head", help="A head hash of the audit trail noted earlier: fails if it is no longer there.")
@with_appcontext
@in_terminal_language
def verify_command(noted_head):
    """Run every integrity check at once and print one verdict; exit non-zero when any fails."""
    from incidents.evidence.store import EvidenceStore
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
