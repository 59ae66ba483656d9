"""Pages for evidence: attaching files and links, an item's page, its media and its original."""
from __future__ import annotations

import hashlib
import os

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from incidents import policy, redactions, vocab
from incidents.errors import ServiceError, ValidationFailed
from incidents.evidence import copies, fixity, redaction, service, verification, withdrawal
from incidents.evidence.schema import form_flags
from incidents.evidence.store import EvidenceStore
from incidents.models import Assessment, RedactionProposal
from incidents.text import sendable_name, shown_name
from incidents.verification_status import awaits_confirmation
from incidents.views import PostForm, actor, settings

bp = Blueprint("evidence", __name__)
# Every page that shows a file's name shows it through this: no control or bidi character of it
# reaches the reader (see text.shown_name).
bp.add_app_template_filter(shown_name, "filename")


def _store() -> EvidenceStore:
    return EvidenceStore.from_settings(settings())


@bp.route("/incidents/<int:incident_id>/evidence", methods=["POST"])
def upload(incident_id):
    """Attach a file (multipart field ``file``) or a link (``url``) with its provenance.

    :raise 400: no CSRF token. :raise 403/404: per the policy.
    """
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    data = form_flags(request.form.to_dict())
    try:
        if upload is not None and upload.filename:
            service.attach_file(incident_id, actor(), _store(), upload.stream, upload.filename, data)
        else:
            service.attach_link(incident_id, actor(), data)
    except ValidationFailed as exc:
        _flash_errors(exc, vocab.EVIDENCE_FIELD_LABELS)
        return redirect(url_for("records.incident_detail", incident_id=incident_id) + "#attach")
    except ServiceError as exc:
        abort(exc.status)
    flash(_("Evidence attached. It becomes public only with the incident's next approval."), "info")
    return redirect(url_for("records.incident_detail", incident_id=incident_id) + "#evidence")


def _flash_errors(exc: ValidationFailed, labels: dict) -> None:
    """Each field's messages as flashes, named as the form names the field."""
    for field, messages in exc.fields.items():
        for message in messages:
            flash(f"{labels.get(field.split('-')[-1], field)}: {message}", "error")


@bp.route("/evidence/<int:item_id>")
def item(item_id):
    """One item: what it is, and for staff where it came from and its chain of custody."""
    view = service.read_provenance(actor(), item_id)
    custody = service.custody_log(view) if view.staff else []
    assessments = list(view.item.assessments.order_by(Assessment.id)) if view.staff else []
    metadata, metadata_pending = service.original_metadata(view, _store()) if view.staff else (None, False)
    # What the worker still prepares: the page says so, and comes back for it by itself.
    media = service.page_media(view, _store())
    compared = copies.compared(view.item) if policy.can_see_copies(actor()) else False
    similar = service.similar_items(actor(), view) if compared else []
    hiding = redaction.state(view) if view.staff and redactions.waits_for(view.item) else None
    return render_template("evidence/item.html", view=view, item=view.item, custody=custody, hiding=hiding,
                           assessments=assessments, inline=media, compared=compared, similar=similar,
                           preparing=media is None or metadata_pending or compared is None,
                           awaits_confirmation=view.staff and awaits_confirmation(view.item),
                           withdrawable=withdrawal.withdrawable(actor(), view),
                           metadata=metadata, metadata_pending=metadata_pending)


@bp.route("/evidence/<int:item_id>/withdraw", methods=["GET", "POST"])
def withdraw(item_id):
    """Ask, with a summary and a reason, before taking an item attached by mistake off its incident.

    :raise 404: not visible. :raise 403: may not edit the incident now. :raise 409 (said on the
        page): the item is public with the incident.
    """
    view = service.read_provenance(actor(), item_id)
    if view.incident is None or not view.staff:
        abort(404)
    form, status, errors = PostForm(), 200, {}
    published = item_id in service.published_ids(view.incident.id)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            withdrawal.withdraw(actor(), item_id, request.form.get("reason"))
        except ValidationFailed as exc:
            errors, status = {field: [str(m) for m in messages] for field, messages in exc.fields.items()}, 422
        except ServiceError as exc:
            if exc.status != 409:
                abort(exc.status)
            flash(str(exc.message), "error")
            status = 409
        else:
            flash(_("The item was withdrawn from the incident. Its original stays preserved, and its "
                    "chain of custody records why."), "info")
            return redirect(url_for("records.incident_detail", incident_id=view.incident.id) + "#evidence")
    elif not policy.can_attach_evidence(actor(), view.incident):
        abort(403)
    return render_template("evidence/withdraw.html", view=view, item=view.item, published=published,
                           errors=errors, reason=request.form.get("reason", "")), status


@bp.route("/evidence/<int:item_id>/redaction", methods=["GET", "POST"])
def redaction_page(item_id):
    """What the public's copy of a picture or video hides: the detector's proposal on its frames,
    for a reviewer to correct and approve, or to publish it unredacted with a reason.

    :raise 404: not staff. :raise 403 (said on the page): the item's uploader, or not a reviewer.
    """
    view = service.read_provenance(actor(), item_id)
    state, errors, status = redaction.state(view), {}, 200
    video = view.item.stored_file_id is not None and view.item.stored_file.media_type.startswith("video/")
    if request.method == "POST":
        if not PostForm().validate_on_submit():
            abort(400)
        found = RedactionProposal.get_or_none(RedactionProposal.item == item_id)
        try:
            redaction.decide(actor(), item_id, redaction.from_form(request.form, found, video))
        except ValidationFailed as exc:
            errors, status = {field: [str(m) for m in messages] for field, messages in exc.fields.items()}, 422
            if not exc.fields:
                flash(str(exc.message), "error")
        except ServiceError as exc:
            if exc.status != 403:
                abort(exc.status)
            flash(str(exc.message), "error")
            status = 403
        else:
            flash(_("Decision recorded. The public copy is made from it; check it below."), "info")
            return redirect(url_for("evidence.redaction_page", item_id=item_id) + "#public-copy")
    copy = redaction.copy_state(view, _store()) if state["decision"] else False
    return render_template("evidence/redaction.html", view=view, item=view.item, state=state, video=video,
                           decision=redactions.standing(item_id),
                           may_decide=redaction.may_decide(actor(), view), errors=errors, form=request.form,
                           kept=_kept_tracks(state) if request.method == "GET" else set(request.form.getlist("keep")),
                           added=redaction.added_rows(request.form, video), copy=copy,
                           preparing=state["status"] == "detecting" or copy is None), status


def _kept_tracks(state: dict) -> set[str] | None:
    """The proposed faces ticked on a fresh page: those the standing decision kept, or all of them."""
    if not state.get("decision"):
        return None
    return {str(box["track"]) for box in state["approved"] if "track" in box}


@bp.route("/evidence/<int:item_id>/redaction/frames/<int:index>")
def redaction_frame(item_id, index):
    """A frame the detector showed faces on, for staff."""
    path = redaction.frame_file(actor(), item_id, index, _store())
    response = _without_time(path, "image/jpeg", f"{item_id}.frame.{index}")
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@bp.route("/evidence/<int:item_id>/public-copy")
def public_copy(item_id):
    """The public's copy as the redaction decision made it, for staff to check before publishing."""
    view, path, media_type = redaction.public_copy_file(actor(), item_id, _store())
    response = _without_time(path, media_type, _made_copy(path))
    response.headers["Content-Disposition"] = "inline"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@bp.route("/evidence/<int:item_id>/assessments", methods=["POST"])
def assess(item_id):
    """Record a verification assessment. :raise 403: not a reviewer. :raise 404: not visible."""
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        verification.record_assessment(actor(), item_id, request.form.to_dict())
    except ValidationFailed as exc:
        _flash_errors(exc, {"part": _("Part"), "method": _("Method"), "outcome": _("Outcome"),
                            "note": _("Note")})
    except ServiceError as exc:
        abort(exc.status)
    else:
        flash(_("Assessment recorded."), "info")
    return redirect(url_for("evidence.item", item_id=item_id) + "#verification")


@bp.route("/evidence/<int:item_id>/verification/confirm", methods=["POST"])
def confirm_verification(item_id):
    """Make the working verification status public, as a second reviewer. The form carries the
    status the reviewer saw. :raise 403: not a reviewer. :raise 404: not visible."""
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    if not policy.can_assess_evidence(actor()):
        abort(403)
    try:
        verification.confirm(actor(), item_id, request.form.to_dict())
    except ValidationFailed as exc:
        _flash_errors(exc, {"status": _("Verification")})
    except ServiceError as exc:
        if exc.status not in (403, 409):  # four eyes, or the status changed: said on the page
            abort(exc.status)
        flash(str(exc.message), "error")
    else:
        flash(_("Verification confirmed: the public now sees this status."), "info")
    return redirect(url_for("evidence.item", item_id=item_id) + "#verification")


@bp.route("/archive")
def archive():
    """Ingested archives, each with how many of its files are not tied to an incident yet.

    :raise 403: not staff who may see unpublished material.
    """
    if not policy.can_handle_archive(actor()):
        abort(403)
    return render_template("evidence/archive.html", batches=service.archive_batches(actor()),
                           store_check=fixity.last_store_check(),
                           check_days=settings().STORE_CHECK_DAYS)


@bp.route("/archive/<int:batch_id>")
def batch(batch_id):
    """:raise 403: not staff who may see unpublished material. :raise 404: no such batch."""
    if not policy.can_handle_archive(actor()):
        abort(403)
    page = request.args.get("page", "1")
    page = int(page) if page.isdecimal() and len(page) < 6 and 0 < int(page) < 100_000 else 1
    found, items, total = service.batch_items(actor(), batch_id, page)
    return render_template("evidence/batch.html", batch=found, items=items, total=total, page=page,
                           pages=max(1, -(-total // 100)))


@bp.route("/evidence/<int:item_id>/assign", methods=["POST"])
def assign(item_id):
    """Tie an ingested item to an incident. :raise 403/404: per the policy."""
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        item = service.assign_to_incident(actor(), item_id, request.form.get("incident", ""))
    except ServiceError as exc:
        if exc.status in (403, 404):
            flash(str(exc.message), "error")
            return redirect(url_for("evidence.item", item_id=item_id))
        raise
    flash(_("Evidence attached. It becomes public only with the incident's next approval."), "info")
    return redirect(url_for("records.incident_detail", incident_id=item.incident_id) + "#evidence")


@bp.route("/evidence/<int:item_id>/preview")
def preview(item_id):
    """A thumbnail or poster frame; graphic items get a blurred one unless ``clear=1``."""
    _view, path = service.preview_file(actor(), item_id, _store(), request.args.get("clear") == "1")
    response = _without_time(path, "image/jpeg", _made_copy(path))
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@bp.route("/evidence/<int:item_id>/media")
def media(item_id):
    """What the page's player or image shows, with range requests for seeking: the original for
    staff (every viewing joins the custody log), a derivative without metadata for anyone else.

    :raise 404: not visible, or nothing that may be shown inline to this reader.
    """
    view, path, media_type = service.media_file(actor(), item_id, _store())
    response = _without_time(path, media_type, view.item.stored_file_id if view.staff else _made_copy(path))
    response.headers["Content-Disposition"] = "inline"
    # Even if a decoder were fooled, this response can run nothing and load nothing.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def _made_copy(path: str) -> str:
    """The ETag of a file made from an original (a copy, a preview): its name changes with the
    redaction decision it was made from, and the same name is made anew with other bytes (signed at
    another second) when previews are deleted. Hashed: the file's time must not show through."""
    made = os.stat(path)
    return hashlib.sha256(f"{os.path.basename(path)}:{made.st_ino}:{made.st_mtime_ns}:{made.st_size}".encode()).hexdigest()[:32]


def _without_time(path: str, media_type: str, etag: str):
    """A file with no Last-Modified: an original's time is when the first copy of its bytes arrived,
    perhaps with an item this reader may not see; a derivative's or preview's, when it was first
    viewed. Conditional and range requests rest on an ETag that names the content, not a time
    (``_made_copy``: a cache holding the copy of an earlier decision must not be told that it is
    still good)."""
    response = send_file(path, mimetype=media_type, conditional=False, etag=False, max_age=0)
    response.headers.pop("Last-Modified", None)
    response.set_etag(etag)
    return response.make_conditional(request, accept_ranges=True, complete_length=os.path.getsize(path))


@bp.route("/evidence/<int:item_id>/download")
def download(item_id):
    """The original as an attachment, for staff only; every download joins the custody log.

    The suggested name has no control or bidi character, so no header can fail after the custody
    entry was written, and "photo\u202egpj.exe" arrives as "photo_gpj.exe".
    """
    view, path = service.open_original(actor(), item_id, "downloaded", _store())
    name = sendable_name(view.item.original_filename) or view.item.stored_file_id
    # The item's own date, not the stored file's: that is when the first copy of these bytes came
    # in, perhaps with an item this reader may not see.
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                         download_name=name, conditional=True, etag=view.item.stored_file_id,
                         last_modified=view.item.created_at)
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
