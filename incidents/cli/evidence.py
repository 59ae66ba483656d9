"""The evidence store from the terminal: ``ingest`` an archive, ``evidence verify`` the store."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from incidents.accounts import credentials
from incidents.cli import integrity
from incidents.cli.common import Refusal, in_terminal_language
from incidents.db import database, migrate
from incidents.errors import ServiceError
from incidents.i18n import format_count, format_size
from incidents.models import ACQUISITIONS, User
from incidents.text import shown_name
from incidents.views import settings

evidence = AppGroup("evidence", help="Check the evidence store.")
# What ``verify_store`` found wrong with an original, shouted as the line's first word.
OUTCOMES = {"changed": _l("CHANGED"), "missing": _l("MISSING")}


@evidence.command("verify")
@in_terminal_language
def evidence_verify():
    """Re-hash every stored original and hold each item to the hash in its custody log; exit non-zero
    naming any original that changed or went missing and any item whose file is not the one preserved."""
    from incidents.evidence.fixity import verify_store
    from incidents.evidence.store import EvidenceStore
    store = EvidenceStore.from_settings(settings())
    checked, bad = 0, []
    with database.connection_context():
        for sha256, outcome, items in verify_store(store):
            checked += 1
            if outcome != "ok":
                bad.append(sha256)
                names = ", ".join(_("item %(id)s (%(name)s)", id=i.id,
                                    name=shown_name(i.original_filename) or _("no name")) for i in items)
                click.echo(_("%(outcome)s: %(sha256)s — %(items)s", outcome=OUTCOMES.get(outcome, outcome),
                             sha256=sha256, items=names), err=True)
        repointed = list(integrity.custody_failures())
    click.echo(_("Checked %(n)s stored file(s): %(intact)s intact, %(bad)s changed or missing.", n=format_count(checked),
                 intact=format_count(checked - len(bad)), bad=format_count(len(bad))))
    for what, why in repointed:
        click.echo(_l("FAILED %(what)s: %(why)s", what=what, why=why), err=True)
    click.echo(_l("Evidence items whose file is not the one their custody log recorded: %(n)s.", n=format_count(len(repointed))))
    if bad or repointed:
        sys.exit(1)


@click.command("ingest")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--user", "email", required=True, help="The reviewer or administrator doing it.")
@click.option("--incident", "incident_id", type=int, help="Attach every file to this incident.")
@click.option("--source", default="", help="Who the archive came from (confidential).")
@click.option("--acquisition", default="not_stated", type=click.Choice(ACQUISITIONS),
              help="How the archive was obtained; not stated unless given.")
@click.option("--received-on", type=click.DateTime(formats=["%Y-%m-%d"]), help="When it was received.")
@click.option("--note", default="", help="Anything else about the archive.")
@click.option("--in-worker", is_flag=True,
              help="Hand the ingest to the job worker and return at once; the archive page shows when it is finished.")
@with_appcontext
@in_terminal_language  # until the user is known: then in the user's language
def ingest(folder, email, incident_id, source, acquisition, received_on, note, in_worker):
    """Preserve every file under FOLDER as evidence; run it again to resume an interrupted run."""
    from incidents.evidence import copies
    from incidents.evidence import ingest as archive
    from incidents.evidence.store import EvidenceStore
    migrate()
    store = EvidenceStore.from_settings(settings())
    files, total = archive.measure(folder)
    done = {"files": 0, "bytes": 0}

    def shown(_item):
        return _("%(done)s of %(files)s files, %(size)s of %(total)s", done=format_count(done["files"]), files=format_count(files),
                 size=format_size(done["bytes"]), total=format_size(total))

    with database.connection_context():
        user = User.get_or_none(User.email == credentials.normalise_email(email))
        if user is None or not user.active:
            raise Refusal(_("No active user %(email)s.", email=email))
        provenance = {"source": source, "acquisition": acquisition, "note": note,
                      "received_on": received_on.date().isoformat() if received_on else None}
        if in_worker:
            with force_locale(user.locale or "en"):
                _hand_to_worker(folder, user, incident_id, provenance, files, total)
            return
        # Everything it prints, the progress bar too, in the language of who runs it.
        with force_locale(user.locale or "en"):
            click.echo(_("%(files)s files, %(size)s to preserve.", files=format_count(files), size=format_size(total)), err=True)
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
                    raise Refusal(exc.message) from None
            with click.progressbar(copies.comparable(report.batch), label=_("Comparing with the pictures and videos held"),
                                   show_eta=True, file=sys.stderr) as items:
                found = copies.count_copies(items)
            _ingest_summary(report, found)


def _hand_to_worker(folder, user, incident_id, provenance, files, total) -> None:
    from incidents.evidence.background_ingest import hand_to_worker
    try:
        batch, _job = hand_to_worker(folder, user, incident_id=incident_id, provenance=provenance)
    except ServiceError as exc:
        raise Refusal(exc.message) from None
    click.echo(_("Batch %(batch)s: %(files)s files, %(size)s, handed to the job worker. The archive page "
                 "(/archive) shows when it is finished; a worker stopped half-way leaves the rest to the next.",
                 batch=batch.id, files=format_count(files), size=format_size(total)))


def _ingest_summary(report, copies_found: int) -> None:
    from incidents.evidence.ingest import decoded_name
    rate = report.bytes / report.seconds if report.seconds else 0
    click.echo(_("Batch %(batch)s: %(files)s files, %(size)s in %(seconds)s s (%(rate)s/s).", batch=report.batch,
                 files=format_count(report.files), size=format_size(report.bytes), seconds=format_decimal(report.seconds, "0.0"),
                 rate=format_size(rate)))
    click.echo("  " + _("preserved as new evidence: %(count)s", count=format_count(report.preserved)))
    click.echo("  " + _("duplicates within this archive: %(count)s", count=format_count(report.duplicate_in_run)))
    click.echo("  " + _("already evidence here before: %(count)s", count=format_count(report.already_known)))
    click.echo("  " + _("likely copies of pictures or videos held (re-encoded, resized, cropped, trimmed): "
                        "%(count)s", count=format_count(copies_found)))
    click.echo("  " + _("done by an earlier, interrupted run: %(count)s", count=format_count(report.resumed)))
    click.echo("  " + _("skipped: %(count)s", count=format_count(len(report.refused))))
    # A name is printed as people read it: no terminal escape or bidi control from the archive.
    for path, reason in report.refused[:50]:
        click.echo(f"    {shown_name(decoded_name(path)[0])}: {str(reason)}")
    if len(report.refused) > 50:
        click.echo("    " + _("… and %(count)s more", count=format_count(len(report.refused) - 50)))
