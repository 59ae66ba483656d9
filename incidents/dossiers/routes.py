"""Pages for assembling a dossier: collect incidents while browsing, then build the file.

The selection lives in the signed session cookie (ids only, at most ``MAX_INCIDENTS``): it is
the reader's scratch list, not a record, and it leaves with the session.
"""
from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from incidents import i18n, policy
from incidents.admin import organisation
from incidents.dossiers import assemble, jobs, service
from incidents.errors import ValidationFailed
from incidents.evidence.store import EvidenceStore
from incidents.jobs.service import find
from incidents.validation import MAX_ID
from incidents.views import actor, safe_next, settings

bp = Blueprint("dossiers", __name__)
SESSION_KEY = "dossier"


def _builder():
    """:raise 403: the user may build no dossier at all."""
    if not policy.can_build_any_dossier(actor()):
        abort(403)


def _selection() -> list[int]:
    return [i for i in session.get(SESSION_KEY, []) if isinstance(i, int)]


def _visible_selection() -> list[dict]:
    """The chosen incidents this reader may still see; any that went out of sight (retracted, say)
    leave the selection, so the page, the menu's count and the build agree."""
    selection = _selection()
    rows = assemble.selection_rows(actor(), selection)
    if len(rows) != len(selection):
        session[SESSION_KEY] = [row["id"] for row in rows]
    return rows


def _ids(values) -> list[int]:
    return [int(v) for v in values if v.isdecimal() and len(v) < 11 and 0 < int(v) < MAX_ID]


@bp.route("/dossier", methods=["GET"])
def dossier():
    """The chosen incidents and the choices of the file to build."""
    _builder()
    return _page()


def _page(errors: dict | None = None, chosen: dict | None = None, status: int = 200):
    rows = _visible_selection()
    return render_template("dossiers/dossier.html", rows=rows, errors=errors or {},
                           chosen=chosen or {"lang": i18n.language(), "redaction": "public", "layout": "dossier",
                                             "format": "pdf"},
                           confidential=policy.can_build_dossier(actor(), "confidential"),
                           max_incidents=assemble.MAX_INCIDENTS, no_submitter=organisation.current() is None,
                           can_set_submitter=policy.can_manage_organisation(actor())), status


@bp.route("/dossier/add", methods=["POST"])
def add():
    """Add the posted ``incident_id`` values (one, or a whole page of results) to the selection."""
    _builder()
    selection = _selection()
    visible = {row["id"] for row in assemble.selection_rows(actor(), _ids(request.form.getlist("incident_id")))}
    added = [i for i in visible if i not in selection]
    room = assemble.MAX_INCIDENTS - len(selection)
    if len(added) > room:
        flash(_("A dossier holds at most %(n)s incidents.", n=assemble.MAX_INCIDENTS), "error")
        added = added[:max(room, 0)]
    session[SESSION_KEY] = selection + sorted(added)
    flash(ngettext("%(num)s incident added to the dossier.", "%(num)s incidents added to the dossier.",
                   len(added)), "success")
    return redirect(safe_next(request.form.get("next"), url_for("dossiers.dossier")))


@bp.route("/dossier/remove", methods=["POST"])
def remove():
    _builder()
    removed = set(_ids(request.form.getlist("incident_id")))
    session[SESSION_KEY] = [i for i in _selection() if i not in removed]
    return redirect(url_for("dossiers.dossier"))


@bp.route("/dossier/clear", methods=["POST"])
def clear():
    _builder()
    session.pop(SESSION_KEY, None)
    return redirect(url_for("dossiers.dossier"))


@bp.route("/dossier/build", methods=["POST"])
def build():
    """Build the file and send it as a download; the page again, with what is wrong, otherwise."""
    _builder()
    form = request.form
    chosen = {"lang": form.get("lang"), "redaction": form.get("redaction"), "layout": form.get("layout"),
              "format": form.get("format"), "include_files": form.get("include_files") == "1"}
    try:
        ids = [row["id"] for row in _visible_selection()]
        asked = assemble.parse_request(dict(chosen, incident_ids=ids), i18n.language())
        if asked.format == "zip":  # many files, perhaps gigabytes: the worker builds it
            return redirect(url_for("dossiers.prepared", token=jobs.submit_bundle(actor(), asked).token))
        built = service.build(actor(), asked, store=EvidenceStore.from_settings(settings()),
                              instance_path=current_app.instance_path,
                              installation=settings().PUBLIC_URL.rstrip("/"))
    except ValidationFailed as exc:
        return _page(exc.fields, chosen, 422)
    return built.download()


def _job(token: str):
    """:raise 404: no such job, or another person's."""
    job = find(token)
    if job is None or job.kind != "dossier" or not policy.can_read_job(actor(), job):
        abort(404)
    return job


@bp.route("/dossier/prepared/<token>", methods=["GET"])
def prepared(token):
    """A bundle the worker builds: being prepared (the page comes back by itself), ready, or failed."""
    _builder()
    job = _job(token)
    return render_template("dossiers/prepared.html", job=job, ready=jobs.bundle_path(job) is not None)


@bp.route("/dossier/prepared/<token>/file", methods=["GET"])
def prepared_file(token):
    """The finished bundle, for the person who asked for it (its export is already recorded)."""
    _builder()
    path = jobs.bundle_path(_job(token))
    if path is None:
        abort(404)
    response = send_file(path, mimetype=service.MEDIA_TYPES["zip"], as_attachment=True,
                         download_name=os.path.basename(path), conditional=True, max_age=0)
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
